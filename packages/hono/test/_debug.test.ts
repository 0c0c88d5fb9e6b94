import { baseConfig, CONFORMANCE_SECRET } from '@tidings/conformance';
import { signJwt } from '@tidings/core';
import { it } from 'vitest';
import { WebSocket } from 'ws';
import { createWorkerBundler, startWorker, workerServer } from './support/workerd-target.ts';

const bundled = createWorkerBundler();

it('debug', async () => {
  const worker = await startWorker(await bundled(), baseConfig({}));
  const server = workerServer(worker);
  const token = await signJwt({ sub: 'u', role: 'subscriber', exp: Math.floor(Date.now() / 1000) + 600 }, CONFORMANCE_SECRET);
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws?topics=a`, { headers: { authorization: `Bearer ${token}` } });
  const t0 = Date.now();
  ws.on('message', (d) => console.log(Date.now() - t0, 'msg', String(d)));
  ws.on('close', (c, r) => console.log(Date.now() - t0, 'close', c, String(r)));
  await new Promise((r) => setTimeout(r, 2000));
  const ac = new AbortController();
  const lp = fetch(`${server.url}/long-poll?topics=b&timeout=20`, { headers: { authorization: `Bearer ${token}` }, signal: ac.signal }).catch(() => 'aborted');
  await new Promise((r) => setTimeout(r, 300));
  console.log('stats before abort', await (await fetch(`${server.url.replace('/realtime', '')}/control/stats`)).text());
  ac.abort(); await lp;
  await new Promise((r) => setTimeout(r, 500));
  console.log('stats after abort', await (await fetch(`${server.url.replace('/realtime', '')}/control/stats`)).text());
  await server.close();
}, 20000);
