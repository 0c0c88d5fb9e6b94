import { fileURLToPath } from 'node:url';
import { Child } from './child.ts';
import type { Target } from './targets.ts';

const SERVER_DIR = fileURLToPath(new URL('./server/', import.meta.url));
const LOADGEN = fileURLToPath(new URL('./loadgen/main.ts', import.meta.url));

/** Where a run gets its server and load generator processes from, and gives them back. */
export interface ProcessPool {
  /** A server for `target`; `role` picks its CPU (a publishing sidecar shares the load generator's). */
  server(
    target: Target,
    nodeFlags: string[],
    env: Record<string, string>,
    role: 'server' | 'publisher',
  ): Promise<Child>;
  releaseServer(server: Child): Promise<void>;
  loadgen(index: number): Promise<Child>;
  /** Starts what the coming runs will need, all at once, where the pool keeps processes. */
  prestart(targets: readonly Target[]): Promise<void>;
  releaseLoadgen(loadgen: Child): Promise<void>;
  close(): Promise<void>;
}

/** CPUs to pin the server and the load generators to. */
export interface Pinning {
  server: number;
  loadgen: number;
}

/**
 * Fresh processes for every run (the full benchmark): no state, heap or JIT warmth carries from
 * one target or scenario to the next, and idle memory is weighed on a clean process.
 */
export function createFreshPool(pin: Pinning | undefined): ProcessPool {
  return {
    async server(target, nodeFlags, env, role) {
      const child = new Child(`${target.id} ${role}`, `${SERVER_DIR}${target.script}`, target.args ?? [], {
        ...(pin ? { cpu: role === 'server' ? pin.server : pin.loadgen } : {}),
        nodeFlags,
        env,
      });
      await child.ready;
      return child;
    },
    releaseServer: (server) => server.kill(),
    async loadgen(index) {
      const child = new Child(`loadgen ${index + 1}`, LOADGEN, [], pin ? { cpu: pin.loadgen } : {});
      await child.ready;
      return child;
    },
    releaseLoadgen: (loadgen) => loadgen.kill(),
    async prestart() {},
    async close() {},
  };
}

/**
 * Processes kept across runs (the smoke profile): one server per script and arguments, one load
 * generator reset between runs. Startup is most of a tiny run's cost, and the smoke run only has
 * to prove every path works.
 */
export function createSharedPool(): ProcessPool {
  const servers = new Map<string, Promise<Child>>();
  const loadgens = new Map<number, Promise<Child>>();
  const pool: ProcessPool = {
    server(target, _nodeFlags, env, role) {
      const key = `${target.script} ${(target.args ?? []).join(' ')}`;
      let server = servers.get(key);
      if (!server) {
        const child = new Child(`${target.id} ${role}`, `${SERVER_DIR}${target.script}`, target.args ?? [], {
          nodeFlags: ['--expose-gc'],
          env,
        });
        server = child.ready.then(() => child);
        servers.set(key, server);
      }
      return server;
    },
    async releaseServer() {},
    loadgen(index) {
      let loadgen = loadgens.get(index);
      if (!loadgen) {
        const child = new Child(`loadgen ${index + 1}`, LOADGEN, []);
        loadgen = child.ready.then(() => child);
        loadgens.set(index, loadgen);
      }
      return loadgen;
    },
    async releaseLoadgen(loadgen) {
      await loadgen.request('reset');
    },
    async prestart(targets) {
      await Promise.all([
        pool.loadgen(0),
        ...targets.filter((t) => !t.dedicated).map((t) => pool.server(t, [], {}, 'server')),
      ]);
    },
    async close() {
      const all = [...servers.values(), ...loadgens.values()];
      servers.clear();
      loadgens.clear();
      await Promise.all(
        all.map((p) =>
          p.then(
            (c) => c.kill(),
            () => {},
          ),
        ),
      );
    },
  };
  return pool;
}
