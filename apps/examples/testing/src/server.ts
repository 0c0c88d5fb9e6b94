import { createHub } from '@tidings/core';
import { listen } from './app.ts';
import { SCOREBOARD_HUB_OPTIONS } from './hub-options.ts';
import type { Topics } from './scores.ts';

const port = Number(process.env.PORT || 3000);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be a port number, got ${process.env.PORT}`);
  process.exit(1);
}
const hub = createHub<Topics>(SCOREBOARD_HUB_OPTIONS);
const running = await listen({ hub, port, host: process.env.HOST || '127.0.0.1' });
console.log(`scoreboard: ${running.origin}/ (tidings under ${running.url})`);

// A demo match: one team scores every second or two.
const teams = ['Red', 'Blue'];
const points = [0, 0];
const timer = setInterval(() => {
  const i = Math.random() < 0.5 ? 0 : 1;
  points[i]! += 1;
  void hub.publish('scores', { team: teams[i]!, points: points[i]! });
}, 1500);

async function stop(): Promise<void> {
  clearInterval(timer);
  await running.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
