import { WAIT_MS } from '../clients/inbox.ts';
import { type Harness, uniqueTopic } from '../harness.ts';
import {
  type Alternative,
  APP_PONG,
  type CaseKit,
  errorReply,
  eventReply,
  type FrameCase,
  pongReply,
} from './frame-case.ts';
import { OP } from './frame-codec.ts';
import { openFrameSocket, type ServerItem } from './frame-socket.ts';

/** How a case ended, seen from the client. */
export interface Observation {
  /** What the server sent after its welcome, as reply strings (see frame-case.ts), up to the probe's echo. */
  replies: string[];
  /**
   * `open`: the probe was answered; `closed`: a close frame came; `dropped`: TCP closed without a
   * close frame; `hung`: none of these within the bound.
   */
  end: 'open' | 'closed' | 'dropped' | 'hung';
  /** The first close frame's code (`null`: a close frame without a code). */
  code?: number | null;
  /** Close frames received. */
  closes: number;
  /** Frames the server should never have sent. */
  violations: string[];
}

const PROBE = 'probe';

type Mapped = { reply: string } | { probe: 'event' | 'ack' } | { welcome: true } | { close: number | null };

function mapItem(item: ServerItem): Mapped {
  switch (item.kind) {
    case 'pong':
      return { reply: pongReply(item.payload) };
    case 'ping':
      return { reply: `ping ${item.payload.toString('hex')}` };
    case 'binary':
      return { reply: `binary ${item.bytes.length} bytes` };
    case 'close':
      return { close: item.code ?? null };
    case 'text': {
      let message: { type?: unknown; code?: unknown; data?: unknown; ref?: unknown };
      try {
        message = JSON.parse(item.text);
      } catch {
        return { reply: `text ${item.text.slice(0, 80)}` };
      }
      if (message.type === 'welcome') return { welcome: true };
      if (message.type === 'pong') return { reply: APP_PONG };
      if (message.type === 'error') return { reply: errorReply(String(message.code)) };
      if (message.type === 'event' && message.data === PROBE) return { probe: 'event' };
      if (message.type === 'event') return { reply: eventReply(message.data) };
      if (message.type === 'ack' && message.ref === PROBE) return { probe: 'ack' };
      return { reply: `text ${item.text.slice(0, 80)}` };
    }
  }
}

function summarise(items: readonly ServerItem[], ended: boolean, violations: string[]): Observation {
  const replies: string[] = [];
  let probed = false;
  let answered = false;
  let closes = 0;
  let code: number | null | undefined;
  for (const item of items) {
    const mapped = mapItem(item);
    if ('close' in mapped) {
      closes++;
      if (closes === 1) code = mapped.close;
    } else if ('probe' in mapped) {
      probed = true;
      if (mapped.probe === 'ack') answered = true;
    } else if ('reply' in mapped && !probed && closes === 0) replies.push(mapped.reply);
  }
  const end = closes > 0 ? 'closed' : answered ? 'open' : ended ? 'dropped' : 'hung';
  return { replies, end, ...(code === undefined ? {} : { code }), closes, violations: [...violations] };
}

/**
 * Runs one case on a fresh connection subscribed to a topic of its own: the handshake, the
 * welcome, the case's frames, then (unless the case closed) a probe publish whose ack shows the
 * connection still serves. Waits for the ack, a close frame or the connection's end, then for the
 * TCP close after a close frame, each bounded.
 */
export async function observeCase(h: Harness, frameCase: FrameCase): Promise<Observation> {
  const topic = uniqueTopic('frames');
  const socket = await openFrameSocket(h.route('ws', { topics: topic }), await h.auth('publisher'));
  try {
    await socket.items.until(
      (items) => items.some((i) => i.kind === 'text' && i.text.startsWith('{"type":"welcome"')),
      'the welcome message',
    );
    const start = socket.items.items.length;
    const kit: CaseKit = {
      topic,
      socket,
      async waitFor(kind, count) {
        await socket.items.until(
          (items) => items.slice(start).filter((i) => i.kind === kind).length >= count,
          `${count} × ${kind}`,
        );
      },
      async reacted(or) {
        const ended = () => socket.items.ended || socket.items.items.some((i) => i.kind === 'close');
        await socket.items
          .until((items) => ended() || items.slice(start).some((i) => i.kind === or), 'a close or the end')
          .catch(() => {});
        return ended();
      },
    };
    await frameCase.run(kit);
    const closeSeen = () => socket.items.items.some((i) => i.kind === 'close');
    if (frameCase.probe !== false && !socket.ended && !closeSeen()) {
      await socket.send([
        { opcode: OP.text, payload: JSON.stringify({ type: 'publish', topic, data: PROBE, ref: PROBE }) },
      ]);
    }
    const settled = (items: ServerItem[]) =>
      socket.items.ended ||
      items.some((i) => i.kind === 'close') ||
      items.some((i) => i.kind === 'text' && i.text.includes(`"ref":"${PROBE}"`));
    await socket.items
      .until(settled, 'an answer to the probe, a close frame or the end', WAIT_MS)
      .catch(() => {});
    if (closeSeen()) {
      await socket.items.closed('the TCP connection after the close frame', WAIT_MS).catch(() => {});
    }
    return summarise(socket.items.items.slice(start), socket.items.ended, socket.violations);
  } finally {
    socket.close();
  }
}

/** The table's word for an observation that is not the expected one. */
export function describeObservation(observation: Observation, sentCloseCode?: number): string {
  if (observation.end === 'closed' && sentCloseCode !== undefined && observation.code === sentCloseCode) {
    return 'runtime echoes the close code';
  }
  switch (observation.end) {
    case 'open':
      return 'runtime accepts';
    case 'dropped':
      return 'runtime drops the connection';
    case 'hung':
      return 'runtime waits (no answer, no close)';
    case 'closed':
      return observation.code === null
        ? 'runtime closes without a code'
        : `runtime closes with ${observation.code}`;
  }
}

const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((value, i) => value === b[i]);

/** `pass`, or `pass (note)` for an alternative Autobahn also accepts, or undefined. */
function repliesGrade(
  expected: { replies: string[]; alternatives?: Alternative[] },
  replies: readonly string[],
): string | undefined {
  if (same(replies, expected.replies)) return 'pass';
  const alternative = expected.alternatives?.find((a) =>
    typeof a.replies === 'function' ? a.replies(replies) : same(replies, a.replies),
  );
  if (!alternative) return undefined;
  return alternative.note === undefined ? 'pass' : `pass (${alternative.note})`;
}

/** Grades an observation: `pass` (possibly with a note) or the word for what happened instead. */
export function gradeCase(frameCase: FrameCase, o: Observation): { pass: boolean; label: string } {
  const expect = frameCase.expect;
  const describe = () => describeObservation(o, frameCase.sentCloseCode);
  if (expect.outcome === 'any') return { pass: true, label: describe().replace(/^runtime /, '') };
  const closedWith = (code: number | null) => o.end === 'closed' && o.code === code && o.closes === 1;
  const ended =
    expect.outcome === 'open'
      ? o.end === 'open'
      : expect.outcome === 'close'
        ? expect.codes.some(closedWith)
        : closedWith(expect.code);
  const label = ended ? repliesGrade(expect, o.replies) : undefined;
  if (label) return { pass: true, label };
  return { pass: false, label: ended ? 'fail: other answers' : describe() };
}
