import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIENT_DEFAULTS } from '../../packages/client/src/index.ts';
import { createRetentionPolicy } from '../../packages/core/src/broker-api.ts';
import { createHub, HUB_DEFAULTS } from '../../packages/core/src/index.ts';
import {
  POSTGRES_BROKER_DEFAULTS,
  type PostgresBrokerOptions,
  resolvePostgresBrokerOptions,
} from '../../packages/postgres/src/postgres-broker-options.ts';
import { REDIS_BROKER_DEFAULTS } from '../../packages/redis/src/index.ts';
import { resolveRedisBrokerOptions } from '../../packages/redis/src/redis-broker-options.ts';

const repo = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(resolve(repo, path), 'utf8');
const doc = read('docs/configuration.md');

/** The part of configuration.md from `heading` (`## …` or `### …`) to the next heading of any level. */
function section(heading: string, level = '##'): string {
  const start = doc.indexOf(`\n${level} ${heading}`);
  expect(start, heading).toBeGreaterThan(-1);
  const end = doc.slice(start + 1).search(level === '##' ? /\n## / : /\n##/);
  return doc.slice(start, end === -1 ? undefined : start + 1 + end);
}

/** The table row documenting `name` in `text`. */
function rowOf(text: string, name: string): string | undefined {
  return text.split('\n').find((line) => line.startsWith(`| \`${name}\``));
}

const cells = (row: string) =>
  row
    .split(/(?<!\\)\|/)
    .slice(1, -1)
    .map((cell) => cell.trim());

/** The "to turn it off" cell of `name`'s row in `text`, or undefined when its table has no such column. */
function offCellOf(text: string, name: string): string | undefined {
  const lines = text.split('\n');
  let at = lines.findIndex((line) => line.startsWith(`| \`${name}\``));
  while (at > 0 && !lines[at - 1]!.startsWith('| ---')) at--;
  const column = cells(lines[at - 2] ?? '').indexOf('to turn it off');
  return column === -1 ? undefined : cells(lines.find((line) => line.startsWith(`| \`${name}\``))!)[column];
}

/**
 * `{ name: jsdoc }` for every field of `interface <name>` in a source file (an empty JSDoc for a
 * field without one), its line breaks and leading `*`s folded into spaces.
 */
function fieldsOf(path: string, name: string): Record<string, string> {
  const source = read(path);
  const start = source.search(new RegExp(`export interface ${name}[ <]`));
  expect(start, `interface ${name} in ${path}`).toBeGreaterThan(-1);
  const body = source.slice(source.indexOf('{', start), source.indexOf('\n}', start));
  const fields: Record<string, string> = {};
  for (const match of body.matchAll(/(?:^ {2}\/\*\*([\s\S]*?)\*\/\n)?^ {2}(\w+)\??:/gm)) {
    fields[match[2]!] = (match[1] ?? '').replace(/\s*\n\s*\*?\s*/g, ' ').trim();
  }
  expect(Object.keys(fields).length, `fields of ${name}`).toBeGreaterThan(0);
  return fields;
}

// The hub's options are in the sections before the framework packages.
const hubPart = doc.slice(0, doc.indexOf('\n## Framework packages'));
const jwtPart = section('`jwt` (`JwtOptions`)', '###');
const ticketsPart = section('`tickets` (`TicketOptions`)', '###');
const clientPart = section('`@tidings/client`');
const redisPart = section('`@tidings/redis`');
const postgresPart = section('`@tidings/postgres`');

const MAX_TIMER_MS = 2_147_483_647;
const JWKS_URL = 'https://id.example/.well-known/jwks.json';
const SECRET = 'a test secret of at least 32 bytes';
const escapeRe = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Applies one option value as the package would, rejecting with the `TypeError` it would throw. */
type Accepts = (name: string, value: unknown) => Promise<void>;
/** Creates (and closes) a hub with `base(name, value)` as its options. */
const hubAccepts =
  (base: (name: string, value: unknown) => object): Accepts =>
  async (name, value) => {
    await createHub(base(name, value) as Parameters<typeof createHub>[0]).close();
  };

interface OptionInterface {
  path: string;
  name: string;
  /** Where configuration.md documents its fields. */
  part: string;
  /** Checks that a value its JSDoc offers (an `Off:` value, an `At most` ceiling) is what the code takes. */
  accepts?: Accepts;
}

const core = 'packages/core/src/options.ts';
const coreAuth = 'packages/core/src/auth/auth-options.ts';
const redis = 'packages/redis/src/redis-broker-options.ts';
const postgres = 'packages/postgres/src/postgres-broker-options.ts';
const jwtAccepts = hubAccepts((name, value) => ({ jwt: { jwksUrl: JWKS_URL, [name]: value } }));

// Every option interface whose JSDoc states, field by field, the default and how to turn it off.
const INTERFACES: OptionInterface[] = [
  { path: 'packages/client/src/options.ts', name: 'ClientOptions', part: clientPart },
  {
    path: core,
    name: 'HubOptions',
    part: hubPart,
    accepts: hubAccepts((name, value) => ({ jwt: { secret: SECRET }, [name]: value })),
  },
  { path: coreAuth, name: 'JwtClaimOptions', part: jwtPart, accepts: jwtAccepts },
  { path: coreAuth, name: 'JwtSecretOptions', part: jwtPart },
  { path: coreAuth, name: 'JwtKeysOptions', part: jwtPart },
  { path: coreAuth, name: 'JwtJwksOptions', part: jwtPart, accepts: jwtAccepts },
  { path: coreAuth, name: 'TicketOptions', part: ticketsPart },
  {
    path: redis,
    name: 'RedisBrokerOptions',
    part: redisPart,
    accepts: async (name, value) => {
      resolveRedisBrokerOptions({ url: 'redis://127.0.0.1:6379', [name]: value });
    },
  },
  { path: 'packages/redis/src/internal/redis-cluster.ts', name: 'RedisClusterOptions', part: redisPart },
  {
    path: postgres,
    name: 'PostgresBrokerOptions',
    part: postgresPart,
    accepts: async (name, value) => {
      const options = {
        connectionString: 'postgres://127.0.0.1/app',
        [name]: value,
      } as PostgresBrokerOptions;
      resolvePostgresBrokerOptions(options);
      createRetentionPolicy(options);
    },
  },
];

const DEFAULT = /\bDefault\b|\bRequired\b/;
const OFF = /\bRequired\b|\bOff: |\bCannot be turned off: /;
const CANNOT = /\bCannot be turned off: /;
const MAX_SAFE = '`Number.MAX_SAFE_INTEGER`';

describe('docs/configuration.md agrees with the code', () => {
  it.each(Object.entries(HUB_DEFAULTS))('hub option %s: documented with its default', (name, value) => {
    const row = rowOf(hubPart, name);
    expect(row, `no row for ${name}`).toBeDefined();
    expect(row).toContain(`\`${value}\``);
  });

  it('every hub option has a row and a JSDoc that states its default', () => {
    const fields = fieldsOf(core, 'HubOptions');
    expect(Object.keys(fields).length).toBeGreaterThan(20);
    for (const [name, jsdoc] of Object.entries(fields)) {
      expect(rowOf(hubPart, name), `no row for ${name}`).toBeDefined();
      expect(jsdoc, `${name}'s JSDoc`).toMatch(DEFAULT);
    }
  });

  it.each(Object.entries(CLIENT_DEFAULTS).filter(([, v]) => typeof v === 'number'))(
    'client option %s: documented with its default',
    (name, value) => {
      const row = rowOf(clientPart, name);
      expect(row, `no row for ${name}`).toBeDefined();
      expect(row).toContain(`\`${value}\``);
    },
  );

  it('every client option has a row and a JSDoc that states its default', () => {
    const fields = fieldsOf('packages/client/src/options.ts', 'ClientOptions');
    expect(Object.keys(fields).length).toBeGreaterThan(10);
    for (const [name, jsdoc] of Object.entries(fields)) {
      expect(rowOf(clientPart, name), `no row for ${name}`).toBeDefined();
      expect(jsdoc, `${name}'s JSDoc`).toMatch(DEFAULT);
      expect(offCellOf(clientPart, name), `${name}'s "to turn it off"`).toMatch(/^(?!—)./);
    }
  });

  it.each(Object.entries(REDIS_BROKER_DEFAULTS))(
    'Redis broker option %s: documented with its default',
    (name, value) => {
      const row = rowOf(redisPart, name);
      expect(row, `no row for ${name}`).toBeDefined();
      expect(row).toContain(typeof value === 'string' ? `'${value}'` : `\`${value}\``);
    },
  );

  it.each(Object.entries(POSTGRES_BROKER_DEFAULTS))(
    'Postgres broker option %s: documented with its default',
    (name, value) => {
      const row = rowOf(postgresPart, name);
      expect(row, `no row for ${name}`).toBeDefined();
      expect(row).toContain(typeof value === 'string' ? `'${value}'` : `\`${value}\``);
    },
  );

  it.each([
    ['hub', HUB_DEFAULTS, fieldsOf(core, 'HubOptions')],
    ['Redis broker', REDIS_BROKER_DEFAULTS, fieldsOf(redis, 'RedisBrokerOptions')],
    ['Postgres broker', POSTGRES_BROKER_DEFAULTS, fieldsOf(postgres, 'PostgresBrokerOptions')],
  ] as const)('%s: each JSDoc names the default the code applies', (_, defaults, fields) => {
    for (const [name, value] of Object.entries(defaults)) {
      const said = typeof value === 'string' ? `Default \`'${value}'\`` : `Default ${value}`;
      expect(fields[name], `${name}'s JSDoc`).toMatch(new RegExp(`${escapeRe(said)}(?!\\d)`));
    }
  });
});

describe.each(INTERFACES)('$name: every option says its default and how to turn it off', (spec) => {
  const fields = fieldsOf(spec.path, spec.name);

  it.each(Object.entries(fields))('%s', async (name, jsdoc) => {
    expect(jsdoc, `${name} has no JSDoc`).not.toBe('');
    expect(jsdoc, `${name}'s JSDoc: its default, or Required`).toMatch(DEFAULT);
    expect(jsdoc, `${name}'s JSDoc: "Off: …", "Cannot be turned off: …" or Required`).toMatch(OFF);

    // configuration.md: a row, the same default, and the same way to turn it off.
    const row = rowOf(spec.part, name);
    expect(row, `configuration.md has no row for ${name}`).toBeDefined();
    const stated = /\bDefault:? \(?(\d+)\b/.exec(jsdoc)?.[1];
    if (stated !== undefined) expect(row, `${name}'s default in configuration.md`).toContain(`\`${stated}\``);
    const off = offCellOf(spec.part, name);
    expect(off, `${name}'s "to turn it off" in configuration.md`).toBeDefined();
    expect(off, `${name}'s "to turn it off" in configuration.md`).not.toMatch(/^(—.*)?$/);
    expect(/^cannot\b/.test(off!), `${name}: JSDoc and configuration.md agree it cannot be turned off`).toBe(
      CANNOT.test(jsdoc),
    );
    expect(/^required\b/.test(off!), `${name}: JSDoc and configuration.md agree it is required`).toBe(
      /\bRequired\b/.test(jsdoc),
    );
    expect(off!.includes(MAX_SAFE), `${name}: JSDoc and configuration.md agree on ${MAX_SAFE}`).toBe(
      jsdoc.includes(`Off: ${MAX_SAFE}`),
    );

    // What the JSDoc says can be set is accepted, and its ceiling is enforced.
    if (!spec.accepts) return;
    const value = /\bOff: (`Number\.MAX_SAFE_INTEGER`|0(?!\d)|false\b)/.exec(jsdoc)?.[1];
    if (value !== undefined) {
      const parsed = value === MAX_SAFE ? Number.MAX_SAFE_INTEGER : value === '0' ? 0 : false;
      await expect(spec.accepts(name, parsed), `${name}: ${value}`).resolves.toBeUndefined();
    }
    if (/\bAt most 2147483647\b/.test(jsdoc)) {
      await expect(spec.accepts(name, MAX_TIMER_MS)).resolves.toBeUndefined();
      await expect(spec.accepts(name, MAX_TIMER_MS + 1)).rejects.toThrow(TypeError);
    }
  });
});
