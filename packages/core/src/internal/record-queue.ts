import type { EventRecord } from '../event-record.ts';

/**
 * Records in `seq` order with cheap removal from the front: an array and a head index, compacted
 * once the dead prefix is as long as the live part (amortised O(1) per record).
 */
export class RecordQueue {
  #items: EventRecord[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** The oldest record, if any. */
  first(): EventRecord | undefined {
    return this.#items[this.#head];
  }

  push(record: EventRecord): void {
    this.#items.push(record);
  }

  /** Removes and returns the oldest record. */
  shift(): EventRecord | undefined {
    const record = this.#items[this.#head];
    if (record === undefined) return undefined;
    this.#items[this.#head++] = undefined as never;
    if (this.#head >= 64 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return record;
  }

  /** Appends the records with `seq` greater than `afterSeq` to `out`, in order (binary search for the first). */
  collectAfter(afterSeq: number, out: EventRecord[]): void {
    const items = this.#items;
    let lo = this.#head;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (items[mid]!.seq <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < items.length; i++) out.push(items[i]!);
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
