import { defineConformanceSuite, hostAppBody, runOperatorCommand, toHubOptions } from '@tidings/conformance';
import { createHub } from '@tidings/core';
import { serve } from '@tidings/node';
import { createPostgresBroker } from '../src/index.ts';
import { dropSchemas, uniqueSchema, useSharedPg } from './helpers/shared-pg.ts';

// The whole protocol suite on two hubs sharing one database: clients talk to hub A, the suite
// publishes through hub B, so every event crosses Postgres (NOTIFY, the commit-order feed) before
// it reaches a client, and every replay, resume and reset is answered from the tables.
const db = useSharedPg();

defineConformanceSuite({
  name: 'Postgres broker, two hubs (node:http)',
  capabilities: { protocolPing: true, clientAddress: true },
  async start(config) {
    const { retentionCount, retentionMs, ...options } = toHubOptions(config);
    const schema = uniqueSchema();
    const brokerOptions = { connectionString: db.url(), schema, retentionCount, retentionMs, pollMs: 10 };
    const brokerA = await createPostgresBroker(brokerOptions);
    const brokerB = await createPostgresBroker(brokerOptions);
    const hubA = createHub({ ...options, broker: brokerA });
    const hubB = createHub({ ...options, broker: brokerB });
    const served = await serve(hubA, {
      fallback: (req, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(hostAppBody(req.method, req.url)),
    });
    let closed: Promise<void> | undefined;
    return {
      url: served.url,
      publish: (topic, data, event) => hubB.publish(topic, data, event === undefined ? undefined : { event }),
      stats: async () => hubA.stats(),
      // On hub A, where the clients are: PostgreSQL has no cluster view, so commands stay on their node.
      operator: (command) => runOperatorCommand(hubA, command),
      shutdown: () => hubA.close(),
      close: () => {
        closed ??= (async () => {
          await served.close();
          await hubB.close();
          await brokerA.close();
          await brokerB.close();
          await dropSchemas(db.url(), [schema]);
        })();
        return closed;
      },
    };
  },
});
