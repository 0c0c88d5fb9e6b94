// The scoreboard page's script, bundled for the browser by src/bundle-page.ts.
import { createClient } from '@tidings/client';
import { createFeedView } from './feed-view.ts';
import type { Topics } from './scores.ts';

const client = createClient<Topics>({ url: `${location.origin}/realtime` });
const view = createFeedView(client);
const status = document.querySelector('#status')!;
const transport = document.querySelector('#transport')!;
const scores = document.querySelector('#scores')!;

function render(): void {
  status.textContent = view.status;
  transport.textContent = client.transport ?? '';
  scores.replaceChildren(
    ...view.lines.map((line) => {
      const item = document.createElement('li');
      item.textContent = line;
      return item;
    }),
  );
}

view.onChange(render);
client.on('fallback', render);
render();
