import type { OperatorReason, PresenceSnapshot } from '@tidings/core';

/**
 * An operator's command, as the suite asks a target to run it on the hub its clients are connected
 * to. JSON, so out-of-process targets (Bun, Deno, workerd) can take it over their control channel.
 */
export type OperatorCommand =
  | { op: 'disconnect'; userId: string; reason: OperatorReason }
  | { op: 'unsubscribe'; userId: string; topics: string[] }
  | { op: 'presence'; topic: string };

/** What a command answers: `hub.presence`'s snapshot for `presence`, `{}` otherwise. */
export type OperatorAnswer = PresenceSnapshot | Record<string, never>;

/** The part of a hub (or of a Durable Object's RPC stub) the commands need. */
export interface OperatorHub {
  disconnect(target: { userId: string }, reason?: OperatorReason): Promise<void>;
  unsubscribe(target: { userId: string }, topics: string[]): Promise<void>;
  presence(topic: string): Promise<PresenceSnapshot>;
}

/** Runs a command on a hub: what an in-process target's `operator` and every control channel call. */
export async function runOperatorCommand(
  hub: OperatorHub,
  command: OperatorCommand,
): Promise<OperatorAnswer> {
  switch (command.op) {
    case 'disconnect':
      await hub.disconnect({ userId: command.userId }, command.reason);
      return {};
    case 'unsubscribe':
      await hub.unsubscribe({ userId: command.userId }, command.topics);
      return {};
    case 'presence': {
      // Only the snapshot's own fields, so an RPC stub's answer compares like an in-process one.
      const { users, connections } = await hub.presence(command.topic);
      return { users, connections };
    }
  }
}
