/** What the lab publishes on its topic: a sequence number and a timestamp, for gaps and latency. */
export interface LabEvent {
  /** 1, 2, 3, … across the server's life: a receiver that sees 7 after 5 missed one. */
  seq: number;
  /** When the server published it: `performance.timeOrigin + performance.now()`, in ms. */
  sentAt: number;
  /** Padding up to the chosen payload size. */
  pad: string;
}

/** Settings asked for by a page. */
export interface LabSettings {
  /** Events per second; 0 stops. */
  rate: number;
  /** Characters of padding per event. */
  payloadBytes: number;
}

/** The publisher's state, as the lab routes report it. */
export interface LabState extends LabSettings {
  running: boolean;
  /** The last sequence number published. */
  seq: number;
  maxRate: number;
  maxPayloadBytes: number;
  idleStopMs: number;
}

/** Options of `createLabPublisher`. */
export interface LabPublisherOptions {
  /** Highest rate a page may ask for, in events per second. Default 100. */
  maxRate?: number;
  /** Largest padding a page may ask for, in bytes. Default 16384. */
  maxPayloadBytes?: number;
  /** The publisher stops when no page has asked for this long, in ms. Default 30000. */
  idleStopMs?: number;
}

/** A bounded publisher for the lab's demo events. */
export interface LabPublisher {
  /** Applies settings (clamped to the limits) and counts as "someone is watching"; throws a TypeError for non-numbers. */
  set(settings: LabSettings): LabState;
  state(): LabState;
  close(): void;
}

// A late timer publishes what is due, up to this many at once; beyond that it skips ahead instead of flooding.
const MAX_BURST = 20;

const now = (): number => performance.timeOrigin + performance.now();

function clamp(value: unknown, max: number, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`${name} must be a number`);
  return Math.min(max, Math.max(0, Math.round(n)));
}

/**
 * Publishes `LabEvent`s at the asked rate until no page has asked for `idleStopMs`, so a
 * forgotten tab does not keep a server busy. One publisher per server: every page shares it, and
 * the last settings asked for win.
 */
export function createLabPublisher(
  publish: (event: LabEvent) => Promise<unknown>,
  options: LabPublisherOptions = {},
): LabPublisher {
  const maxRate = options.maxRate ?? 100;
  const maxPayloadBytes = options.maxPayloadBytes ?? 16_384;
  const idleStopMs = options.idleStopMs ?? 30_000;
  let settings: LabSettings = { rate: 0, payloadBytes: 0 };
  let pad = '';
  let seq = 0;
  let askedAt = 0;
  let dueAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const stop = (): void => {
    clearTimeout(timer);
    timer = undefined;
  };

  function tick(): void {
    timer = undefined;
    const t = performance.now();
    if (t - askedAt > idleStopMs) {
      settings = { ...settings, rate: 0 };
      return;
    }
    const periodMs = 1000 / settings.rate;
    for (let burst = 0; dueAt <= t && burst < MAX_BURST; burst++) {
      // The hub assigns ids in call order, so not awaiting keeps seq and id in step.
      publish({ seq: ++seq, sentAt: now(), pad }).catch(() => {});
      dueAt += periodMs;
    }
    if (dueAt <= t) dueAt = t + periodMs;
    timer = setTimeout(tick, dueAt - t);
    timer.unref?.();
  }

  const state = (): LabState => ({
    ...settings,
    running: timer !== undefined,
    seq,
    maxRate,
    maxPayloadBytes,
    idleStopMs,
  });

  return {
    set(next) {
      const rate = clamp(next.rate, maxRate, 'rate');
      const payloadBytes = clamp(next.payloadBytes, maxPayloadBytes, 'payloadBytes');
      askedAt = performance.now();
      if (payloadBytes !== pad.length) pad = 'x'.repeat(payloadBytes);
      const changed = rate !== settings.rate || timer === undefined;
      settings = { rate, payloadBytes };
      if (changed) {
        stop();
        dueAt = askedAt;
        if (rate > 0) tick();
      }
      return state();
    },
    state,
    close: stop,
  };
}
