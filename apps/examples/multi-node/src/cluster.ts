import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startBalancer } from './balancer.ts';
import { type LocalPostgres, startLocalPostgres } from './local-postgres.ts';
import { type LocalRedis, startLocalRedis } from './local-redis.ts';

const NODE_ENTRY = fileURLToPath(new URL('./node.ts', import.meta.url));

/** Options of `startCluster`. */
export interface ClusterOptions {
  /** Where the nodes share events. Default `redis`. */
  broker?: 'redis' | 'postgres';
  /** The Redis to share. Default: a redis-server started here on a free port, stopped by `stop()`. */
  redisUrl?: string;
  /** The PostgreSQL to share (`broker: 'postgres'`). Default: one started here, stopped by `stop()`. */
  databaseUrl?: string;
  /** Ports of the two hub processes. Default `[3001, 3002]`; 0 picks free ones. */
  nodePorts?: [number, number];
  /** Port of the round-robin balancer in front of them. Default 3000; 0 picks a free one. */
  balancerPort?: number;
  /** Key prefix in Redis, or schema in Postgres. Default `example-multi-node:` / `example_multi_node`. */
  prefix?: string;
  /** More hub options for every node (JSON values only: they travel in an environment variable). Default none. */
  hubOptions?: Record<string, unknown>;
}

/** A running cluster: Redis or PostgreSQL, two hub processes and the balancer. */
export interface Cluster {
  /** The balancer, e.g. `http://127.0.0.1:3000`: open this one. */
  url: string;
  /** The Redis or PostgreSQL URL the nodes share. */
  storeUrl: string;
  nodes: { name: string; url: string; pid: number }[];
  /** Stops the balancer, each node (SIGTERM, a clean drain) and the store it started, by PID. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopChild(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await exited(child);
}

/** Runs `src/node.ts` in a process of its own; `ready` resolves to its URL once it listens. */
function spawnNode(
  name: string,
  port: number,
  store: Record<string, string>,
  prefix: string | undefined,
  hubOptions: Record<string, unknown> | undefined,
) {
  const child = spawn(process.execPath, ['--conditions=source', NODE_ENTRY], {
    env: {
      ...process.env,
      REDIS_URL: '',
      DATABASE_URL: '',
      ...store,
      NODE_NAME: name,
      PORT: String(port),
      TIDINGS_PREFIX: prefix ?? '',
      TIDINGS_HUB_OPTIONS: hubOptions ? JSON.stringify(hubOptions) : '',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<string>((resolve, reject) => {
    let output = '';
    const onExit = (code: number | null) => reject(new Error(`${name} exited (${code}) before listening`));
    child.once('exit', onExit);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const newline = output.indexOf('\n');
      if (newline === -1) return;
      child.off('exit', onExit);
      child.stdout!.removeAllListeners('data').pipe(process.stdout);
      resolve((JSON.parse(output.slice(0, newline)) as { url: string }).url);
    });
  });
  return { child, ready };
}

/** Starts Redis or PostgreSQL (unless given), two hub processes and a round-robin balancer in front of them. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const postgres = options.broker === 'postgres';
  let local: LocalRedis | LocalPostgres | undefined;
  if (postgres && !options.databaseUrl) local = await startLocalPostgres(await freePort());
  if (!postgres && !options.redisUrl) local = await startLocalRedis(await freePort());
  const storeUrl = (postgres ? options.databaseUrl : options.redisUrl) ?? local!.url;
  const store: Record<string, string> = postgres ? { DATABASE_URL: storeUrl } : { REDIS_URL: storeUrl };
  const ports = options.nodePorts ?? [3001, 3002];
  const started: ChildProcess[] = [];
  const stopAll = async () => {
    await Promise.all(started.map(stopChild));
    await local?.stop();
  };
  try {
    const spawned = ports.map((port, i) =>
      spawnNode(`node-${i + 1}`, port, store, options.prefix, options.hubOptions),
    );
    started.push(...spawned.map((s) => s.child));
    const urls = await Promise.all(spawned.map((s) => s.ready));
    const nodes = spawned.map((s, i) => ({ name: `node-${i + 1}`, url: urls[i]!, pid: s.child.pid! }));
    // It probes each node's readiness route, as a cloud load balancer would: a node that drains
    // (SIGTERM) or stops answering (frozen) gets no new clients within a fraction of a second.
    const balancer = await startBalancer(
      nodes.map((n) => n.url),
      options.balancerPort ?? 3000,
      '127.0.0.1',
      { path: '/realtime/ready' },
    );
    return {
      url: balancer.url,
      storeUrl,
      nodes,
      async stop() {
        await balancer.close();
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
