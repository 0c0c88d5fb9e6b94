// Runs in a fresh directory where @tidings/express was installed from the local registry with npm:
// one event must arrive over SSE and over WebSocket. Prints one JSON line with what arrived.
import { createHub } from '@tidings/core';
import { tidings } from '@tidings/express';
import express from 'express';
import { receiveOnce } from './receive.mjs';

const hub = createHub({ anonymous: true });
const realtime = tidings(hub);
const app = express();
app.use('/realtime', realtime);
const server = app.listen(0, '127.0.0.1', async () => {
  realtime.attach(server);
  const base = `http://127.0.0.1:${server.address().port}/realtime`;
  const result = await receiveOnce(base, () => hub.publish('greetings', { hello: 'from express' }));
  console.log(JSON.stringify(result));
  await hub.close();
  server.close();
});
