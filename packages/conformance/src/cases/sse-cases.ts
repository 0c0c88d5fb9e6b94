import { EventSource } from 'eventsource';
import { describe, expect } from 'vitest';
import { Inbox } from '../clients/inbox.ts';
import { openSse } from '../clients/sse-client.ts';
import { openTextStream } from '../clients/text-stream.ts';
import { type Harness, uniqueTopic, useCleanup } from '../harness.ts';
import { FOREIGN_CURSOR, spec } from './case-kit.ts';
import { headCursor } from './long-poll-cases.ts';

/** GET {base}/sse. */
export function sseCases(h: () => Harness): void {
  describe('server-sent events', () => {
    const cleanup = useCleanup();

    spec('opens with the documented headers and sends retry and a comment at once', async () => {
      const stream = await openTextStream(h().route('sse', { topics: uniqueTopic() }), await h().auth());
      cleanup(stream.close);
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const cacheControl = stream.response.headers.get('cache-control') ?? '';
      expect(cacheControl).toContain('no-cache');
      expect(cacheControl).toContain('no-transform');
      expect(stream.response.headers.get('x-accel-buffering')).toBe('no');
      const text = await stream.waitForText(/\n\n/);
      expect(text).toMatch(/^retry: \d+\n/);
      expect(text).toMatch(/^:/m);
    });

    spec(
      'frames each event with id, event (left out for "message") and the envelope as one data line',
      async () => {
        const topic = uniqueTopic();
        const stream = await openTextStream(h().route('sse', { topics: topic }), await h().auth());
        cleanup(stream.close);
        await stream.waitForText('\n\n');
        const id1 = await h().publish(topic, { a: 'line\nbreak' });
        const id2 = await h().publish(topic, { b: 2 }, 'custom.name');
        const text = await stream.waitForText(`id: ${id2}\n`);
        const envelope1 = JSON.stringify({ id: id1, topic, event: 'message', data: { a: 'line\nbreak' } });
        expect(text).toContain(`id: ${id1}\ndata: ${envelope1}\n\n`);
        const after2 = await stream.waitForText(/custom\.name[\s\S]*\n\n/);
        const envelope2 = JSON.stringify({ id: id2, topic, event: 'custom.name', data: { b: 2 } });
        expect(after2).toContain(`id: ${id2}\nevent: custom.name\ndata: ${envelope2}\n\n`);
      },
    );

    spec('resumes from Last-Event-ID, and from the cursor query', async () => {
      const topic = uniqueTopic();
      const cursor = await headCursor(h(), topic);
      const ids = [await h().publish(topic, 1), await h().publish(topic, 2), await h().publish(topic, 3)];
      const byHeader = await openSse(h().route('sse', { topics: topic }), {
        ...(await h().auth()),
        'last-event-id': ids[0]!,
      });
      cleanup(byHeader.close);
      const byQuery = await openSse(h().route('sse', { topics: topic, cursor }), await h().auth());
      cleanup(byQuery.close);
      const id4 = await h().publish(topic, 4);
      expect((await byHeader.waitForEnvelopes(3)).map((e) => e.id)).toEqual([ids[1], ids[2], id4]);
      expect((await byQuery.waitForEnvelopes(4)).map((e) => e.id)).toEqual([...ids, id4]);
      expect(byHeader.envelopes().map((e) => e.data)).toEqual([2, 3, 4]);
    });

    spec(
      'sends event: reset to the start of this epoch for a cursor of another, then what it retains',
      async () => {
        const topic = uniqueTopic();
        const before = await h().publish(topic, 'before');
        const stream = await openSse(
          h().route('sse', { topics: topic, cursor: FOREIGN_CURSOR }),
          await h().auth(),
        );
        cleanup(stream.close);
        const reset = await stream.waitForEvent('reset');
        expect(JSON.parse(reset.data)).toEqual({ cursor: reset.id });
        expect(reset.id).toBe(before.replace(/-\d+$/, '-0'));
        const id = await h().publish(topic, 'after');
        const events = await stream.waitForEnvelopes(2);
        expect(events.map((e) => e.id)).toEqual([before, id]);
      },
    );

    spec(
      'opens with a comment naming the heartbeat interval and the head the stream starts from',
      async () => {
        const topic = uniqueTopic();
        const head = await headCursor(h(), topic);
        const stream = await openTextStream(h().route('sse', { topics: topic }), await h().auth());
        cleanup(stream.close);
        const text = await stream.waitForText(/\n\n/);
        const heartbeatMs = h().config.sseHeartbeatMs ?? 15_000;
        expect(text).toMatch(
          new RegExp(`^retry: \\d+\n: open heartbeat=${heartbeatMs} cursor=(\\S+)\nid: \\1\n\n`),
        );
        const cursor = /cursor=(\S+)/.exec(text)![1]!;
        expect(cursor).toBe(head);
        // The `id:` line sets a browser EventSource's Last-Event-ID to the head: one that reconnects
        // before its first event resumes from there. A stream opened with a cursor has none.
        const resuming = await openTextStream(h().route('sse', { topics: topic, cursor }), await h().auth());
        cleanup(resuming.close);
        expect(await resuming.waitForText(/\n\n/)).not.toMatch(/^id:/m);
        // Resuming from it loses nothing published after the stream opened.
        const id = await h().publish(topic, 'after the opening');
        const resumed = await openSse(h().route('sse', { topics: topic, cursor }), await h().auth());
        cleanup(resumed.close);
        expect((await resumed.waitForEnvelopes(1))[0]!.id).toBe(id);
      },
    );

    spec('sends a ": ping" comment every heartbeat interval', async () => {
      const stream = await openSse(h().route('sse', { topics: uniqueTopic() }), await h().auth());
      cleanup(stream.close);
      await stream.inbox.count(2, (i) => i.kind === 'comment' && i.text === 'ping', 'ping comments');
    });

    spec('works with the eventsource client (a connect ticket in the URL, named events)', async () => {
      const topic = uniqueTopic();
      const ticket = await h().ticket({ id: 'eventsource-user', claims: { role: 'subscriber' } });
      const source = new EventSource(h().route('sse', { topics: topic, ticket }));
      cleanup(() => source.close());
      const inbox = new Inbox<{ type: string; id: string; data: unknown }>();
      const record = (event: MessageEvent) =>
        inbox.push({ type: event.type, id: event.lastEventId, data: JSON.parse(event.data).data });
      source.addEventListener('message', record);
      source.addEventListener('named', record);
      await new Promise<void>((resolve, reject) => {
        source.onopen = () => resolve();
        source.onerror = () => reject(new Error('EventSource failed to open'));
      });
      const id1 = await h().publish(topic, 'one');
      const id2 = await h().publish(topic, 'two', 'named');
      await inbox.until((items) => items.length >= 2, 'two EventSource events');
      expect(inbox.items).toEqual([
        { type: 'message', id: id1, data: 'one' },
        { type: 'named', id: id2, data: 'two' },
      ]);
    });
  });
}
