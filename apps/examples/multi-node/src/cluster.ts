import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startBalancer } from './balancer.ts';
import { type LocalRedis, startLocalRedis } from './local-redis.ts';

const NODE_ENTRY = fileURLToPath(new URL('./node.ts', import.meta.url));

/** Options of `startCluster`. */
export interface ClusterOptions {
  /** The Redis to share. Default: a redis-server started here on a free port, stopped by `stop()`. */
  redisUrl?: string;
  /** Ports of the two hub processes. Default `[3001, 3002]`; 0 picks free ones. */
  nodePorts?: [number, number];
  /** Port of the round-robin balancer in front of them. Default 3000; 0 picks a free one. */
  balancerPort?: number;
  /** Key prefix in Redis. Default `example-multi-node:`. */
  prefix?: string;
}

/** A running cluster: Redis, two hub processes and the balancer. */
export interface Cluster {
  /** The balancer, e.g. `http://127.0.0.1:3000`: open this one. */
  url: string;
  redisUrl: string;
  nodes: { name: string; url: string; pid: number }[];
  /** Stops the balancer, each node (SIGTERM, a clean drain) and the Redis it started, by PID. */
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
function spawnNode(name: string, port: number, redisUrl: string, prefix: string | undefined) {
  const child = spawn(process.execPath, ['--conditions=source', NODE_ENTRY], {
    env: {
      ...process.env,
      NODE_NAME: name,
      PORT: String(port),
      REDIS_URL: redisUrl,
      TIDINGS_PREFIX: prefix ?? '',
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

/** Starts Redis (unless given), two hub processes and a round-robin balancer in front of them. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const redis: LocalRedis | undefined = options.redisUrl
    ? undefined
    : await startLocalRedis(await freePort());
  const redisUrl = options.redisUrl ?? redis!.url;
  const ports = options.nodePorts ?? [3001, 3002];
  const started: ChildProcess[] = [];
  const stopAll = async () => {
    await Promise.all(started.map(stopChild));
    await redis?.stop();
  };
  try {
    const spawned = ports.map((port, i) => spawnNode(`node-${i + 1}`, port, redisUrl, options.prefix));
    started.push(...spawned.map((s) => s.child));
    const urls = await Promise.all(spawned.map((s) => s.ready));
    const nodes = spawned.map((s, i) => ({ name: `node-${i + 1}`, url: urls[i]!, pid: s.child.pid! }));
    const balancer = await startBalancer(
      nodes.map((n) => n.url),
      options.balancerPort ?? 3000,
    );
    return {
      url: balancer.url,
      redisUrl,
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
