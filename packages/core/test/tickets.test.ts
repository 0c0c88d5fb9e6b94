import { beforeEach, describe, expect, it } from 'vitest';
import { upgrade } from '../src/adapter.ts';
import type { Broker } from '../src/broker-api.ts';
import { createHub, createMemoryBroker, type HubOptions } from '../src/index.ts';
import {
  advance,
  call,
  expectError,
  flush,
  makeHub,
  openWs,
  request,
  until,
  useFakeClock,
} from './support/harness.ts';
import { readSse } from './support/sse-reader.ts';

beforeEach(useFakeClock);

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const TICKETS = 'another-shared-ticket-secret-of-32-bytes+';
const base: HubOptions = { jwt: { secret: SECRET }, authorize: (_p, topic) => topic !== 'secret' };
const ann = { id: 'ann', claims: { email: 'ann@example.test', role: 'reader' } };

describe('connect tickets', () => {
  it('opens SSE, a WebSocket and a poll once each, as the principal it was issued for', async () => {
    const seen: unknown[] = [];
    const hub = makeHub({ ...base, authorize: (principal) => seen.push(principal) > 0 });
    const sse = readSse(await call(hub, `sse?topics=a&ticket=${await hub.issueTicket(ann)}`));
    const socket = await openWs(hub, `?topics=a&ticket=${await hub.issueTicket(ann)}`);
    expect(socket.ofType('welcome')).toHaveLength(1);
    expect((await call(hub, `poll?topics=a&ticket=${await hub.issueTicket(ann)}`)).status).toBe(200);
    const id = await hub.publish('a', 'hello');
    await flush();
    expect(sse.events.at(-1)?.id).toBe(id);
    expect(socket.eventIds()).toEqual([id]);
    expect(seen).toEqual([ann, ann, ann].map((p) => ({ id: p.id, claims: p.claims })));
  });

  it('is single-use: a replay is 401 on every route, whatever the first use was', async () => {
    const hub = makeHub(base);
    const ticket = await hub.issueTicket(ann);
    expect((await call(hub, `poll?topics=a&ticket=${ticket}`)).status).toBe(200);
    for (const path of [`poll?topics=a&ticket=${ticket}`, `sse?topics=a&ticket=${ticket}`]) {
      await expectError(hub, await hub.handle(request(path)), 401, 'unauthorized');
    }
    const decision = await upgrade(hub, request(`ws?topics=a&ticket=${ticket}`));
    expect(decision.accepted).toBe(false);
  });

  it('expires after ttlMs (default 30 s)', async () => {
    const hub = makeHub(base);
    const short = await hub.issueTicket(ann, { ttlMs: 1000 });
    const standard = await hub.issueTicket(ann);
    await advance(1500);
    await expectError(hub, await hub.handle(request(`poll?topics=a&ticket=${short}`)), 401, 'unauthorized');
    expect((await call(hub, `poll?topics=a&ticket=${standard}`)).status).toBe(200);
    const late = await hub.issueTicket(ann);
    await advance(30_500);
    await expectError(hub, await hub.handle(request(`poll?topics=a&ticket=${late}`)), 401, 'unauthorized');
  });

  it('bound to topics: a ticket for [a] cannot open b, nor subscribe to b later', async () => {
    const hub = makeHub(base);
    await expectError(
      hub,
      await hub.handle(request(`sse?topics=b&ticket=${await hub.issueTicket(ann, { topics: ['a'] })}`)),
      403,
      'forbidden',
    );
    const socket = await openWs(hub, `?topics=a&ticket=${await hub.issueTicket(ann, { topics: ['a'] })}`);
    socket.send({ type: 'subscribe', topics: ['b'] });
    await until(() => socket.ofType('error').length === 1, 'the refusal');
    expect(socket.ofType('error')[0]!.code).toBe('forbidden');
    expect(hub.stats().topics).toBe(1);
  });

  it('keeps the principal expiry: the connection ends when the credential behind the ticket would have', async () => {
    const hub = makeHub({ ...base, tickMs: 100 });
    const expiresAt = Date.now() + 5000;
    const socket = await openWs(hub, `?topics=a&ticket=${await hub.issueTicket({ id: 'ann', expiresAt })}`);
    await advance(4500);
    expect(socket.isClosed).toBe(false);
    await advance(1000);
    expect(socket.closed).toEqual({ code: 4401, reason: 'token_expired' });
  });

  it('is opaque: nothing of the principal can be read from it, and a tampered one is refused', async () => {
    const hub = makeHub(base);
    const ticket = await hub.issueTicket(ann);
    const decoded = Buffer.from(ticket.slice(3), 'base64url').toString('latin1');
    expect(decoded).not.toContain('ann');
    expect(ticket).not.toMatch(/^eyJ/);
    const flipped = ticket.slice(0, -2) + (ticket.at(-2) === 'A' ? 'B' : 'A') + ticket.at(-1);
    for (const bad of [flipped, 'v1.', 'garbage', `v2.${ticket.slice(3)}`, `v1.${'A'.repeat(5000)}`]) {
      await expectError(
        hub,
        await hub.handle(request(`poll?topics=a&ticket=${encodeURIComponent(bad)}`)),
        401,
        'unauthorized',
      );
    }
  });

  it('opens on another hub with the same secret and broker, once across both', async () => {
    const broker = createMemoryBroker();
    const a = makeHub({ ...base, broker, tickets: { secret: TICKETS } });
    const b = makeHub({ ...base, broker, tickets: { secret: TICKETS } });
    const ticket = await a.issueTicket(ann);
    expect((await call(b, `poll?topics=a&ticket=${ticket}`)).status).toBe(200);
    await expectError(a, await a.handle(request(`poll?topics=a&ticket=${ticket}`)), 401, 'unauthorized');
    // Another secret: the ticket is not one of its own.
    const stranger = makeHub({ ...base, broker, tickets: { secret: `${TICKETS}!` } });
    const other = await a.issueTicket(ann);
    await expectError(
      stranger,
      await stranger.handle(request(`poll?topics=a&ticket=${other}`)),
      401,
      'unauthorized',
    );
  });

  it('a ticket is not a JWT and a JWT is not a ticket', async () => {
    const hub = makeHub(base);
    const ticket = await hub.issueTicket(ann);
    await expectError(
      hub,
      await hub.handle(request('poll?topics=a', { headers: { authorization: `Bearer ${ticket}` } })),
      401,
      'unauthorized',
    );
  });

  it('a broker whose claim fails answers 503 and reports stage broker', async () => {
    const reports: unknown[] = [];
    const memory = createMemoryBroker();
    const broker: Broker = {
      ...memory,
      claimOnce() {
        throw new Error('redis away');
      },
    };
    const hub = makeHub({ ...base, broker, onError: (_e, info) => reports.push(info) });
    const response = await hub.handle(request(`poll?topics=a&ticket=${await hub.issueTicket(ann)}`));
    await expectError(hub, response, 503, 'unavailable');
    expect(reports).toEqual([{ stage: 'broker', route: 'poll' }]);
  });

  it('issueTicket refuses what it cannot honour with a TypeError', async () => {
    const noSecret = makeHub({ anonymous: true });
    await expect(noSecret.issueTicket(ann)).rejects.toThrow(/tickets\.secret/);
    const { claimOnce: _omit, ...withoutClaim } = createMemoryBroker();
    const noClaim = makeHub({ ...base, broker: withoutClaim as Broker });
    await expect(noClaim.issueTicket(ann)).rejects.toThrow(/claimOnce/);
    const hub = makeHub(base);
    await expect(hub.issueTicket(ann, { ttlMs: 300_001 })).rejects.toThrow(/maxTtlMs/);
    await expect(hub.issueTicket(ann, { ttlMs: 0 })).rejects.toThrow(TypeError);
    await expect(hub.issueTicket(ann, { topics: [] })).rejects.toThrow(/topics/);
    await expect(hub.issueTicket(ann, { topics: ['bad topic'] })).rejects.toThrow(/topic/);
    const huge = { id: 'x', claims: { blob: 'x'.repeat(5000) } };
    await expect(hub.issueTicket(huge)).rejects.toThrow(/too large/);
  });

  it('with tickets.secret an anonymous or authenticate hub issues tickets too', async () => {
    const hub = makeHub({ authenticate: () => null, tickets: { secret: TICKETS } });
    expect((await call(hub, `poll?topics=a&ticket=${await hub.issueTicket({ id: 'u' })}`)).status).toBe(200);
    await expectError(hub, await hub.handle(request('poll?topics=a')), 401, 'unauthorized');
  });
});

describe('the memory broker claimOnce', () => {
  it('true once, false until the ttl passes, then true again', () => {
    const broker = createMemoryBroker();
    expect(broker.claimOnce!('k', 1000)).toBe(true);
    expect(broker.claimOnce!('k', 1000)).toBe(false);
    expect(broker.claimOnce!('other', 1000)).toBe(true);
    return advance(1001).then(() => {
      expect(broker.claimOnce!('k', 1000)).toBe(true);
    });
  });
});

describe('hub.options never shows a secret', () => {
  it('leaves out jwt.secret and tickets.secret', () => {
    const hub = createHub({ ...base, tickets: { secret: TICKETS, ttlMs: 10_000 } });
    const shown = JSON.stringify(hub.options);
    expect(shown).not.toContain(SECRET);
    expect(shown).not.toContain(TICKETS);
    expect(hub.options.tickets).toEqual({ ttlMs: 10_000 });
    void hub.close();
  });
});
