/** An event as a client delivers it; only `id` and `topic` matter to the checks. */
export interface RecordedEvent {
  id: string;
  topic: string;
  event?: string;
  data?: unknown;
}

/**
 * One thing a client saw, in the order it saw it. A reset with `topics` is partial: those topics
 * lost events after `cursor` (the client's position, which does not move); their retained events
 * follow. A reset without `topics` is full: `cursor` is the head the client continues from.
 */
export type RecordedEntry =
  | { type: 'event'; envelope: RecordedEvent }
  | { type: 'reset'; cursor: string | undefined; topics?: readonly string[] };

/** A published event as the checks need it: its id, or the event itself (its `topic` is then known). */
export type PublishedEntry = string | { readonly id: string; readonly topic?: string };

/**
 * What a client had to receive, in publish order: one list for everything it received, or one list
 * per topic (topics not named are then ignored). A list holds ids, or events with `id` and `topic`
 * (a test hub's `log`, say).
 */
export type PublishedIds = readonly PublishedEntry[] | Readonly<Record<string, readonly PublishedEntry[]>>;

/** Options of `check` and `assertComplete`. */
export interface CheckOptions {
  /** Accept a gap when a reset arrived at that point. Default true; false demands every event. */
  allowResets?: boolean;
}

/** A run of consecutive published ids the client never received. */
export interface DeliveryGap {
  /** The missing ids, in publish order. */
  ids: string[];
  /** The last published id before the run that the client received, if any. */
  after: string | undefined;
  /** The first published id after the run that the client received, if any. */
  before: string | undefined;
  /**
   * True when the client received, between `after` and `before`, a reset that covers the run: the
   * server said "reload", so nothing was silently lost. A full reset covers ids up to its cursor
   * (when its cursor is one of the published ids); a partial one covers ids after its cursor of
   * the topics it names, so the run's topic must be known (per-topic lists, or events with `topic`).
   */
  coveredByReset: boolean;
}

/** The verdict of `check`. */
export interface DeliveryCheck {
  /** Every published id once, in order, except gaps covered by a reset (if allowed), and nothing unexpected. */
  ok: boolean;
  /** How many ids were published (in scope). */
  expected: number;
  /** How many events the client received (in scope), duplicates included. */
  received: number;
  /** Every missing id, in publish order, covered or not. */
  missing: string[];
  /** The missing ids as runs, each covered by a reset or not. */
  gaps: DeliveryGap[];
  /** Ids received more than once (each listed once). */
  duplicated: string[];
  /** Ids that arrived after an id published later than them. */
  outOfOrder: { id: string; after: string }[];
  /** Received ids that are not in the published list (with a per-topic list: only topics it names). */
  unexpected: string[];
  /** Resets received. */
  resets: number;
  /** With per-topic lists: the verdict of each topic. */
  topics?: Record<string, DeliveryCheck>;
}

/** Checks a client's timeline against the published ids: every event once, in order, or an explicit reset. */
export function checkDelivery(
  entries: readonly RecordedEntry[],
  published: PublishedIds,
  options: CheckOptions = {},
): DeliveryCheck {
  const allowResets = options.allowResets ?? true;
  if (Array.isArray(published)) return checkScope(entries, published, undefined, allowResets);
  if (typeof published !== 'object' || published === null) {
    throw new TypeError('published must be an array of ids or an object of arrays by topic');
  }
  const topics: Record<string, DeliveryCheck> = {};
  for (const [topic, ids] of Object.entries(published as Record<string, readonly PublishedEntry[]>)) {
    topics[topic] = checkScope(entries, ids, topic, allowResets);
  }
  const all = Object.values(topics);
  return {
    ok: all.every((c) => c.ok),
    expected: sum(all, (c) => c.expected),
    received: sum(all, (c) => c.received),
    missing: all.flatMap((c) => c.missing),
    gaps: all.flatMap((c) => c.gaps),
    duplicated: all.flatMap((c) => c.duplicated),
    outOfOrder: all.flatMap((c) => c.outOfOrder),
    unexpected: all.flatMap((c) => c.unexpected),
    resets: entries.filter((e) => e.type === 'reset').length,
    topics,
  };
}

/** A reset as the checks use it: where it came, and which published ids it may cover. */
interface ResetSpan {
  /** Its place in the timeline. */
  at: number;
  /** Covers ids with an index above this (a partial reset: after the client's position). */
  above: number;
  /** Covers ids with an index up to this (a full reset: up to the head it named). */
  upTo: number;
  /** A partial reset's topics; undefined for a full reset. */
  topics: ReadonlySet<string> | undefined;
}

function checkScope(
  entries: readonly RecordedEntry[],
  published: readonly PublishedEntry[],
  topic: string | undefined,
  allowResets: boolean,
): DeliveryCheck {
  const where = topic === undefined ? '' : ` of ${topic}`;
  if (!Array.isArray(published)) throw new TypeError(`published ids${where} must be an array`);
  const ids: string[] = [];
  const topicOf: (string | undefined)[] = [];
  for (const entry of published) {
    const id = typeof entry === 'string' ? entry : entry?.id;
    if (typeof id !== 'string') {
      throw new TypeError(`published ids${where} must be strings or events with a string id`);
    }
    ids.push(id);
    topicOf.push(topic ?? (typeof entry === 'string' ? undefined : entry.topic));
  }
  const order = new Map<string, number>();
  for (const [i, id] of ids.entries()) {
    if (order.has(id)) throw new TypeError(`published id ${id} is listed twice`);
    order.set(id, i);
  }
  // Where in the timeline each published id first arrived, and where each reset came.
  const arrivedAt: (number | undefined)[] = new Array(ids.length);
  const resets: ResetSpan[] = [];
  const duplicated = new Set<string>();
  const unexpected = new Set<string>();
  const outOfOrder: { id: string; after: string }[] = [];
  let received = 0;
  let latest = -1;
  for (const [at, entry] of entries.entries()) {
    if (entry.type === 'reset') {
      const cursor = entry.cursor === undefined ? undefined : order.get(entry.cursor);
      if (entry.topics) {
        // A partial reset's cursor is the client's position: what those topics lost comes after it.
        resets.push({ at, above: cursor ?? -1, upTo: Infinity, topics: new Set(entry.topics) });
      } else {
        // A full reset's cursor is the head when it was sent: events published after it must still come.
        resets.push({ at, above: -1, upTo: cursor ?? Infinity, topics: undefined });
      }
      continue;
    }
    const { id } = entry.envelope;
    if (topic !== undefined && entry.envelope.topic !== topic) continue;
    received++;
    const index = order.get(id);
    if (index === undefined) unexpected.add(id);
    else if (arrivedAt[index] !== undefined) duplicated.add(id);
    else {
      arrivedAt[index] = at;
      if (index < latest) outOfOrder.push({ id, after: ids[latest]! });
      else latest = index;
    }
  }
  const covered = (index: number, from: number, to: number) =>
    resets.some(
      (r) =>
        r.at > from &&
        r.at < to &&
        index > r.above &&
        index <= r.upTo &&
        (r.topics === undefined || (topicOf[index] !== undefined && r.topics.has(topicOf[index]!))),
    );
  const gaps: DeliveryGap[] = [];
  let run: DeliveryGap | undefined;
  // A stretch of missing ids sits, in the timeline, between the arrival of the last id received
  // before it and that of the first id received after it; a reset there covers it.
  let previous = -1;
  let next = -1;
  for (let i = 0; i < ids.length; i++) {
    if (arrivedAt[i] !== undefined) {
      run = undefined;
      previous = i;
      continue;
    }
    if (next < i) {
      next = i + 1;
      while (next < ids.length && arrivedAt[next] === undefined) next++;
    }
    const from = previous < 0 ? -1 : arrivedAt[previous]!;
    const isCovered = covered(i, from, arrivedAt[next] ?? Infinity);
    if (run?.coveredByReset !== isCovered) {
      run = { ids: [], after: ids[previous], before: ids[next], coveredByReset: isCovered };
      gaps.push(run);
    }
    run.ids.push(ids[i]!);
  }
  const missing = gaps.flatMap((g) => g.ids);
  const lost = gaps.some((g) => !g.coveredByReset || !allowResets);
  return {
    ok: !lost && duplicated.size === 0 && outOfOrder.length === 0 && unexpected.size === 0,
    expected: ids.length,
    received,
    missing,
    gaps,
    duplicated: [...duplicated],
    outOfOrder,
    unexpected: [...unexpected],
    resets: resets.length,
  };
}

function sum<T>(items: T[], of: (item: T) => number): number {
  return items.reduce((total, item) => total + of(item), 0);
}
