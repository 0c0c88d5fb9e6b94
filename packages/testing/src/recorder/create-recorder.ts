import {
  type CheckOptions,
  checkDelivery,
  type DeliveryCheck,
  type PublishedIds,
  type RecordedEntry,
  type RecordedEvent,
} from './check-delivery.ts';
import { DeliveryError } from './delivery-error.ts';

/**
 * What `attach` needs of a client: `on('event')` and `on('reset')`, each returning its remover. A
 * `@tidings/client` `Client` fits, and so does any object shaped like it.
 */
export interface RecordableClient {
  on(name: 'event', listener: (envelope: RecordedEvent) => void): () => void;
  on(name: 'reset', listener: (info: { cursor: string; topics?: string[] }) => void): () => void;
}

/** Options of `recorder.waitFor`. */
export interface WaitForOptions {
  /** How long to wait before rejecting, in ms. Default 5000. */
  timeoutMs?: number;
}

/** The defaults of the recorder's options. */
export const RECORDER_DEFAULTS: { readonly waitTimeoutMs: 5000 } = { waitTimeoutMs: 5000 };

/** Records what a client saw and checks it against what was published. */
export interface Recorder {
  /** Records an event as the client delivered it. Throws a TypeError without a string `id` and `topic`. */
  event(envelope: RecordedEvent): void;
  /**
   * Records a reset: the server could not replay everything. Without `topics` it is full (`cursor`
   * is the head it carried, the client continues from there); with `topics` it is partial: those
   * topics lost events after `cursor`, and what they retain follows.
   */
  reset(info?: { cursor?: string; topics?: readonly string[] }): void;
  /** Records a client's `event` and `reset` events; returns the function that stops recording it. */
  attach(client: RecordableClient): () => void;
  /** Everything recorded, in order (a copy). */
  readonly entries: RecordedEntry[];
  /** The events recorded, in order, duplicates included (a copy). */
  readonly events: RecordedEvent[];
  /** Their ids. */
  readonly ids: string[];
  /** How many resets were recorded. */
  readonly resets: number;
  /**
   * Checks the recording against the ids that were published, in publish order (one list, or one
   * per topic): missing, duplicated, out-of-order and unexpected ids, and which gaps a reset covers.
   */
  check(published: PublishedIds, options?: CheckOptions): DeliveryCheck;
  /** Like `check`, but throws a DeliveryError with a readable message unless the check is ok. */
  assertComplete(published: PublishedIds, options?: CheckOptions): void;
  /**
   * Resolves once `condition` holds: a number is "at least this many events recorded", a function
   * is called with the recorder after every record. Rejects after `timeoutMs`, saying what it has.
   */
  waitFor(condition: number | ((recorder: Recorder) => boolean), options?: WaitForOptions): Promise<void>;
  /** Forgets everything recorded (pending waits stay). */
  clear(): void;
}

/**
 * Creates an event recorder. Runtime-neutral (no Node APIs), so it works in Node, browsers, Deno,
 * Bun and workers, with any test runner.
 *
 * @example
 * const recorder = createRecorder();
 * recorder.attach(client);
 * const ids = [await hub.publish('a', 1), await hub.publish('a', 2)];
 * await recorder.waitFor(2);
 * recorder.assertComplete(ids);
 */
export function createRecorder(): Recorder {
  let entries: RecordedEntry[] = [];
  const waiters = new Set<() => void>();
  const events = () => entries.flatMap((e) => (e.type === 'event' ? [e.envelope] : []));
  const changed = () => {
    for (const waiter of [...waiters]) waiter();
  };

  const recorder: Recorder = {
    event(envelope) {
      if (typeof envelope?.id !== 'string' || typeof envelope.topic !== 'string') {
        throw new TypeError('recorder.event needs an envelope with a string id and topic');
      }
      entries.push({ type: 'event', envelope });
      changed();
    },
    reset(info) {
      const topics = info?.topics;
      if (topics !== undefined && !(Array.isArray(topics) && topics.every((t) => typeof t === 'string'))) {
        throw new TypeError('recorder.reset topics must be an array of topic names');
      }
      entries.push(
        topics === undefined
          ? { type: 'reset', cursor: info?.cursor }
          : { type: 'reset', cursor: info?.cursor, topics: [...topics] },
      );
      changed();
    },
    attach(client) {
      const stops = [
        client.on('event', (e) => recorder.event(e)),
        client.on('reset', (i) => recorder.reset(i)),
      ];
      return () => {
        for (const stop of stops) stop();
      };
    },
    get entries() {
      return [...entries];
    },
    get events() {
      return events();
    },
    get ids() {
      return events().map((e) => e.id);
    },
    get resets() {
      return entries.filter((e) => e.type === 'reset').length;
    },
    check: (published, options) => checkDelivery(entries, published, options),
    assertComplete(published, options) {
      const verdict = checkDelivery(entries, published, options);
      if (!verdict.ok) throw new DeliveryError(verdict, options?.allowResets ?? true);
    },
    waitFor(condition, options = {}) {
      const timeoutMs = options.timeoutMs ?? RECORDER_DEFAULTS.waitTimeoutMs;
      if (!(timeoutMs >= 0 && timeoutMs < Infinity)) throw new TypeError('timeoutMs must be a number ≥ 0');
      if (typeof condition === 'number' && !(condition >= 0)) throw new TypeError('count must be ≥ 0');
      if (typeof condition !== 'number' && typeof condition !== 'function') {
        throw new TypeError('waitFor needs a count or a predicate');
      }
      const holds = () =>
        typeof condition === 'number' ? events().length >= condition : condition(recorder);
      const wanted = typeof condition === 'number' ? `${condition} events` : 'the condition';
      return new Promise<void>((resolve, reject) => {
        const finish = (error?: unknown) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error === undefined) resolve();
          else reject(error);
        };
        const check = () => {
          try {
            if (holds()) finish();
          } catch (error) {
            finish(error);
          }
        };
        const timer = setTimeout(() => {
          const had = `${events().length} events and ${recorder.resets} resets recorded`;
          finish(new Error(`recorder.waitFor timed out after ${timeoutMs} ms waiting for ${wanted}: ${had}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    clear() {
      entries = [];
    },
  };
  return recorder;
}
