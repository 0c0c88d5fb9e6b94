// Who is watching the lab: presence on the topic `lab.viewers`, live. The page loads the viewers
// and a cursor over REST, then follows their joins and leaves from that cursor, so nothing that
// happened in between is missed. Every tab of this browser is one viewer (its id is kept in
// localStorage), and counted once however many tabs are open.

import { createClient } from '/lab/client.js';

const KEY = 'tidings-lab-viewer';

function viewerId() {
  let id = localStorage.getItem(KEY);
  if (!id) {
    id = `viewer-${crypto.randomUUID().replaceAll('-', '').slice(0, 8)}`;
    localStorage.setItem(KEY, id);
  }
  return id;
}

/** Shows the viewers in `list` (a `ul`) and their count in `count`. */
export async function showViewers(list, count) {
  const me = viewerId();
  const response = await fetch('/api/lab/viewers');
  if (!response.ok) throw new Error(`viewers: HTTP ${response.status}`);
  const { users, cursor } = await response.json();
  const present = new Set(users);

  function render() {
    const sorted = [...present].sort();
    count.textContent = sorted.length === 1 ? '1 viewer' : `${sorted.length} viewers`;
    list.replaceChildren(
      ...sorted.map((user) => {
        const item = document.createElement('li');
        item.textContent = user === me ? `${user} (you)` : user;
        item.dataset.user = user;
        return item;
      }),
    );
  }
  render();

  const client = createClient({
    url: '/realtime',
    topics: ['lab.viewers'],
    cursor,
    getToken: async () => {
      const answer = await fetch(`/api/lab/viewer-token?id=${me}`);
      if (!answer.ok) throw new Error(`viewer token: HTTP ${answer.status}`);
      return (await answer.json()).token;
    },
  });
  client.on('presence', ({ action, user }) => {
    if (action === 'join') present.add(user);
    else present.delete(user);
    render();
  });
  return client;
}
