import { listen } from '../src/listen.ts';
const running = await listen({ secret: 'a-test-secret-of-at-least-32-bytes!!', port: 0 });
const { token } = await (await fetch(`${running.url}/api/token`)).json();
for (let i = 0; i < 200; i++) {
  const ac = new AbortController();
  const p = fetch(`${running.url}/realtime/sse?topics=lab`, { headers: { authorization: `Bearer ${token}` }, signal: ac.signal }).catch(() => {});
  setTimeout(() => ac.abort(), i % 10);
  await p;
  await new Promise((r) => setTimeout(r, 12));
}
await new Promise((r) => setTimeout(r, 300));
console.log(running.hub.stats().connections);
await running.close();
