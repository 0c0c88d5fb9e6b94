import { eventually } from './inbox.ts';

/** What {@link seatLongPolls} leaves behind: the seated polls and the probe the server refused. */
export interface SeatedLongPolls {
  /** One answer per poll, in order; a poll refused while a probe held a slot was sent again. */
  polls: Promise<Response>[];
  /** The probe's 429: the proof that every slot is taken. Its body is unread. */
  full: Response;
}

/**
 * Sends `count` held long polls with `open` (given each poll's index, also when it is sent again) and waits until `probe` is refused with 429.
 *
 * The polls take their slots asynchronously, and each probe holds a slot for a moment: a poll that
 * arrives in that moment is refused (429, correctly) and would never be seated, so a test waiting
 * for "full" would wait forever. Such a poll is sent again, and "full" only counts once no poll is
 * refused. The bound is generous because a loaded machine seats polls slowly; it is a cap on a
 * wait that ends as soon as the server is full, never a measure of speed.
 */
export async function seatLongPolls(
  count: number,
  open: (index: number) => Promise<Response>,
  probe: () => Promise<Response>,
  what: string,
  timeoutMs = 20_000,
): Promise<SeatedLongPolls> {
  const polls: Promise<Response>[] = [];
  const refused = new Set<number>();
  const seat = (i: number): void => {
    const poll = open(i);
    polls[i] = poll;
    poll.then(
      (res) => {
        if (res.status !== 429) return;
        refused.add(i);
        void res.body?.cancel();
      },
      () => {}, // an abort from the test's cleanup is expected, not unhandled
    );
  };
  for (let i = 0; i < count; i++) seat(i);
  const full = await eventually(
    async () => {
      for (const i of refused) {
        refused.delete(i);
        seat(i);
      }
      const res = await probe();
      if (res.status === 429 && refused.size === 0) return res;
      await res.body?.cancel();
      return undefined;
    },
    what,
    timeoutMs,
  );
  return { polls, full };
}
