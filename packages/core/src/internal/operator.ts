import type { ConnectionTarget, ControlMessage, OperatorReason } from '../cluster.ts';
import { isValidTopic } from '../protocol/topics.ts';
import type { Connection } from './connection.ts';
import type { HubContext } from './hub-context.ts';
import { issuedBy, type Revocations } from './revocations.ts';

const REASONS: ReadonlySet<string> = new Set<OperatorReason>(['kicked', 'revoked', 'unavailable']);

/** This node's connections a target names (a snapshot: ending them changes the sets). */
function connectionsOf(ctx: HubContext, target: ConnectionTarget): Connection[] {
  if ('topic' in target) return [...(ctx.registry.byTopic.get(target.topic) ?? [])];
  const found: Connection[] = [];
  for (const set of Object.values(ctx.registry.byTransport)) {
    for (const connection of set) {
      const match =
        'userId' in target
          ? connection.principal.id === target.userId
          : connection.id === target.connectionId;
      if (match) found.push(connection);
    }
  }
  return found;
}

/** Carries out an operator command on this node's connections. */
export function applyControl(ctx: HubContext, revocations: Revocations, message: ControlMessage): void {
  switch (message.type) {
    case 'disconnect':
      for (const connection of connectionsOf(ctx, message.target)) connection.end(message.reason);
      return;
    case 'unsubscribe':
      for (const connection of connectionsOf(ctx, { userId: message.userId })) {
        const topics = message.topics.filter((topic) => connection.topics.includes(topic));
        if (topics.length === 0) continue;
        ctx.unsubscribe(connection, topics);
        connection.unsubscribed(topics);
      }
      return;
    case 'revoke':
      revocations.set({ userId: message.userId, atMs: message.atMs, untilMs: message.untilMs });
      if (message.untilMs <= Date.now()) return;
      for (const connection of connectionsOf(ctx, { userId: message.userId })) {
        if (issuedBy(connection.principal, message.atMs)) connection.end('revoked');
      }
  }
}

/** Checks a `hub.disconnect` target and reason; a TypeError for anything else. */
export function checkDisconnect(target: unknown, reason: unknown): asserts target is ConnectionTarget {
  const keys = typeof target === 'object' && target !== null ? Object.keys(target) : [];
  const value = keys.length === 1 ? (target as Record<string, unknown>)[keys[0]!] : undefined;
  const ok =
    typeof value === 'string' &&
    value !== '' &&
    (keys[0] === 'userId' || keys[0] === 'connectionId' || (keys[0] === 'topic' && isValidTopic(value)));
  if (!ok) throw new TypeError('disconnect takes exactly one of { userId }, { connectionId } or { topic }');
  if (!REASONS.has(reason as string)) {
    throw new TypeError(`disconnect reason must be one of ${[...REASONS].join(', ')}, got ${reason}`);
  }
}
