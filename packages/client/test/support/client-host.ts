// Runs one @tidings/client in this process, driven by its parent over IPC: the parent's tests run
// the same client on another Node binary (Node 22) through this file. Started with
// `--conditions=source`, so the client and @tidings/core/protocol are read from their sources.
// What the commands do is `client-driver.ts`, the same code the parent runs in its own process.
import { createDriver, type HostCommand, type HostReport } from './client-driver.ts';

export type { HostCommand, HostReport } from './client-driver.ts';

const send = (report: HostReport) => process.send!(report);
const drive = createDriver(send);

process.on('message', (command: HostCommand) => {
  drive(command);
  if (command.kind === 'end') process.disconnect();
});
send({
  kind: 'ready',
  node: process.version,
  hasGlobalWebSocket: typeof globalThis.WebSocket === 'function',
});
