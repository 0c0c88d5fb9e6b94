import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRecorder, DeliveryError, type Recorder } from '../src/recorder/index.ts';

/** Records a timeline written as `['a-1', 'a-2', 'reset', 'a-5']` (an optional `reset@cursor`) on `topic`. */
function play(timeline: string[], topic = 't'): Recorder {
  const recorder = createRecorder();
  for (const item of timeline) {
    if (item.startsWith('reset')) recorder.reset({ cursor: item.split('@')[1] });
    else recorder.event({ id: item, topic, event: 'message', data: null });
  }
  return recorder;
}

const published = ['e-1', 'e-2', 'e-3', 'e-4', 'e-5', 'e-6'];

describe('recorder.check', () => {
  it('passes every event once, in order', () => {
    const check = play(published).check(published);
    expect(check).toMatchObject({ ok: true, expected: 6, received: 6, missing: [], gaps: [], resets: 0 });
    expect(() => play(published).assertComplete(published)).not.toThrow();
  });

  it('finds missing ids as gaps, with what came before and after', () => {
    const check = play(['e-1', 'e-2', 'e-5', 'e-6']).check(published);
    expect(check.ok).toBe(false);
    expect(check.missing).toEqual(['e-3', 'e-4']);
    expect(check.gaps).toEqual([{ ids: ['e-3', 'e-4'], after: 'e-2', before: 'e-5', coveredByReset: false }]);
  });

  it('accepts a gap covered by a reset received at that point', () => {
    const check = play(['e-1', 'e-2', 'reset', 'e-5', 'e-6']).check(published);
    expect(check.ok).toBe(true);
    expect(check.resets).toBe(1);
    expect(check.gaps).toEqual([{ ids: ['e-3', 'e-4'], after: 'e-2', before: 'e-5', coveredByReset: true }]);
    expect(play(['e-1', 'e-2', 'reset', 'e-5', 'e-6']).check(published, { allowResets: false }).ok).toBe(
      false,
    );
  });

  it('does not let a reset elsewhere cover a gap', () => {
    const check = play(['e-1', 'e-3', 'reset', 'e-4', 'e-6']).check(published);
    expect(check.ok).toBe(false);
    expect(check.gaps).toEqual([
      { ids: ['e-2'], after: 'e-1', before: 'e-3', coveredByReset: false },
      { ids: ['e-5'], after: 'e-4', before: 'e-6', coveredByReset: false },
    ]);
  });

  it('limits a reset to the events before its cursor: later ones must still come', () => {
    const check = play(['e-1', 'reset@e-3']).check(published);
    expect(check.ok).toBe(false);
    expect(check.gaps).toEqual([
      { ids: ['e-2', 'e-3'], after: 'e-1', before: undefined, coveredByReset: true },
      { ids: ['e-4', 'e-5', 'e-6'], after: 'e-1', before: undefined, coveredByReset: false },
    ]);
    expect(play(['e-1', 'reset@e-3', 'e-4', 'e-5', 'e-6']).check(published).ok).toBe(true);
  });

  it('finds duplicates and events out of order', () => {
    const check = play(['e-1', 'e-2', 'e-2', 'e-4', 'e-3', 'e-5', 'e-6', 'e-1']).check(published);
    expect(check.ok).toBe(false);
    expect(check.duplicated).toEqual(['e-2', 'e-1']);
    expect(check.outOfOrder).toEqual([{ id: 'e-3', after: 'e-4' }]);
    expect(check.missing).toEqual([]);
    expect(check.received).toBe(8);
  });

  it('reports ids that were never published', () => {
    const check = play([...published, 'x-9']).check(published);
    expect(check.ok).toBe(false);
    expect(check.unexpected).toEqual(['x-9']);
  });

  it('checks per topic, ignoring topics not listed', () => {
    const recorder = createRecorder();
    for (const [id, topic] of [
      ['1', 'a'],
      ['2', 'b'],
      ['3', 'other'],
      ['5', 'b'],
      ['4', 'a'],
    ] as const) {
      recorder.event({ id, topic });
    }
    const check = recorder.check({ a: ['1', '4'], b: ['2', '5', '6'] });
    expect(check.ok).toBe(false);
    expect(check.topics?.a?.ok).toBe(true);
    expect(check.topics?.b?.missing).toEqual(['6']);
    expect(check.unexpected).toEqual([]);
    expect(check.expected).toBe(5);
    // The same events against one list in publish order: 5 came before 4.
    expect(recorder.check(['1', '2', '3', '4', '5']).outOfOrder).toEqual([{ id: '4', after: '5' }]);
  });

  it('rejects published lists it cannot read', () => {
    const recorder = createRecorder();
    expect(() => recorder.check(['a', 'a'])).toThrow(TypeError);
    // @ts-expect-error: not ids
    expect(() => recorder.check([1, 2])).toThrow(TypeError);
    // @ts-expect-error: not a list
    expect(() => recorder.check('e-1')).toThrow(TypeError);
    // @ts-expect-error: not an envelope
    expect(() => recorder.event({ topic: 't' })).toThrow(TypeError);
  });
});

describe('partial resets', () => {
  // A resume at cursor 1: topic `a` lost 2 and 3 (retention), its retained 5 follows the reset; `b`
  // lost nothing and its 4 must come.
  const log = [
    { id: '1', topic: 'a' },
    { id: '2', topic: 'a' },
    { id: '3', topic: 'a' },
    { id: '4', topic: 'b' },
    { id: '5', topic: 'a' },
  ];
  function resumed(arrived: string[], resetTopics: string[]): Recorder {
    const recorder = createRecorder();
    recorder.event({ id: '1', topic: 'a' });
    recorder.reset({ cursor: '1', topics: resetTopics });
    for (const id of arrived) recorder.event({ id, topic: log.find((e) => e.id === id)!.topic });
    return recorder;
  }

  it('covers the gap of a topic it names, per topic and in one list of events', () => {
    const recorder = resumed(['4', '5'], ['a']);
    expect(recorder.entries[1]).toEqual({ type: 'reset', cursor: '1', topics: ['a'] });
    const perTopic = recorder.check({ a: ['1', '2', '3', '5'], b: ['4'] });
    expect(perTopic.ok).toBe(true);
    expect(perTopic.topics?.a?.gaps).toEqual([
      { ids: ['2', '3'], after: '1', before: '5', coveredByReset: true },
    ]);
    expect(recorder.check(log).ok).toBe(true);
    expect(recorder.check(log, { allowResets: false }).ok).toBe(false);
  });

  it('does not cover a topic it does not name', () => {
    const recorder = resumed(['5'], ['a']);
    const check = recorder.check(log);
    expect(check.ok).toBe(false);
    expect(check.gaps).toEqual([
      { ids: ['2', '3'], after: '1', before: '5', coveredByReset: true },
      { ids: ['4'], after: '1', before: '5', coveredByReset: false },
    ]);
    expect(recorder.check({ a: ['1', '2', '3', '5'], b: ['4'] }).topics?.b?.ok).toBe(false);
    expect(() => recorder.assertComplete(log)).toThrow(
      'missing 4 between 1 and 5, and no reset covering them',
    );
  });

  it('covers nothing at or before its cursor: the client had those already', () => {
    const recorder = createRecorder();
    recorder.event({ id: '2', topic: 'a' });
    recorder.reset({ cursor: '2', topics: ['a'] });
    recorder.event({ id: '5', topic: 'a' });
    expect(recorder.check(log.filter((e) => e.topic === 'a')).gaps).toEqual([
      { ids: ['1'], after: undefined, before: '2', coveredByReset: false },
      { ids: ['3'], after: '2', before: '5', coveredByReset: true },
    ]);
  });

  it('cannot cover bare ids in one list, whose topic it cannot know; a full reset covers any topic', () => {
    const ids = log.map((e) => e.id);
    expect(resumed(['4', '5'], ['a']).check(ids).ok).toBe(false);
    const full = createRecorder();
    full.event({ id: '1', topic: 'a' });
    full.reset({ cursor: '4' });
    full.event({ id: '5', topic: 'a' });
    expect(full.check(ids).ok).toBe(true);
    expect(full.check(log).ok).toBe(true);
  });

  it('records what a client emits, topics included, and refuses topics that are not names', () => {
    const recorder = createRecorder();
    // @ts-expect-error: not a list of names
    expect(() => recorder.reset({ cursor: '1', topics: 'a' })).toThrow(TypeError);
    expect(() => recorder.check([{ topic: 'a' } as never])).toThrow(TypeError);
    expect(recorder.entries).toEqual([]);
  });
});

describe('recorder.assertComplete', () => {
  it('throws a DeliveryError whose message says what went wrong', () => {
    const recorder = play(['e-1', 'e-3', 'e-3', 'e-6', 'e-5']);
    let error: unknown;
    try {
      recorder.assertComplete(published);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toBeInstanceOf(Error);
    const { message, check } = error as DeliveryError;
    expect(message).toBe(
      [
        'delivery incomplete: 6 published, 5 received',
        '  missing e-2 between e-1 and e-3, and no reset covering them',
        '  missing e-4 between e-3 and e-5, and no reset covering them',
        '  received more than once: e-3',
        '  out of order: e-5 arrived after e-6',
      ].join('\n'),
    );
    expect(check.ok).toBe(false);
  });

  it('names the topic, and a gap a reset covered when resets are not allowed', () => {
    const recorder = play(['a-1', 'reset', 'a-3'], 'a');
    expect(() => recorder.assertComplete({ a: ['a-1', 'a-2', 'a-3'] })).not.toThrow();
    expect(() => recorder.assertComplete({ a: ['a-1', 'a-2', 'a-3'] }, { allowResets: false })).toThrow(
      'topic a: missing a-2 between a-1 and a-3, after a reset (resets not allowed)',
    );
  });
});

describe('recorder.waitFor', () => {
  it('resolves on a count or a predicate as records arrive, without polling', async () => {
    const recorder = createRecorder();
    const byCount = recorder.waitFor(2);
    const byReset = recorder.waitFor((r) => r.resets === 1);
    let counted = false;
    void byCount.then(() => {
      counted = true;
    });
    recorder.event({ id: '1', topic: 't' });
    await Promise.resolve();
    expect(counted).toBe(false);
    recorder.event({ id: '2', topic: 't' });
    await byCount;
    recorder.reset({ cursor: '2' });
    await byReset;
    expect(recorder.ids).toEqual(['1', '2']);
    expect(recorder.entries.at(-1)).toEqual({ type: 'reset', cursor: '2' });
    await recorder.waitFor(1);
  });

  it('rejects after timeoutMs, saying what it has', async () => {
    const recorder = createRecorder();
    recorder.event({ id: '1', topic: 't' });
    await expect(recorder.waitFor(3, { timeoutMs: 20 })).rejects.toThrow(
      'recorder.waitFor timed out after 20 ms waiting for 3 events: 1 events and 0 resets recorded',
    );
    await expect(
      recorder.waitFor(() => {
        throw new Error('bad predicate');
      }),
    ).rejects.toThrow('bad predicate');
  });
});

describe('recorder.attach', () => {
  it('records a client-shaped object and stops when detached', () => {
    type Listener = (arg: never) => void;
    const listeners = new Map<string, Set<Listener>>();
    const client = {
      on(name: string, listener: Listener) {
        if (!listeners.has(name)) listeners.set(name, new Set());
        listeners.get(name)!.add(listener);
        return () => listeners.get(name)!.delete(listener);
      },
      emit(name: string, arg: unknown) {
        for (const listener of listeners.get(name) ?? []) (listener as (a: unknown) => void)(arg);
      },
    };
    const recorder = createRecorder();
    const detach = recorder.attach(client);
    client.emit('event', { id: 'e-1', topic: 't', event: 'message', data: 1 });
    client.emit('reset', { cursor: 'e-9' });
    detach();
    client.emit('event', { id: 'e-2', topic: 't', event: 'message', data: 2 });
    expect(recorder.entries).toEqual([
      { type: 'event', envelope: { id: 'e-1', topic: 't', event: 'message', data: 1 } },
      { type: 'reset', cursor: 'e-9' },
    ]);
    expect(listeners.get('event')?.size).toBe(0);
  });
});

describe('the recorder and the test hub are runtime-neutral', () => {
  const root = resolve(import.meta.dirname, '../../..');
  function lint(path: string): { ok: boolean; output: string } {
    try {
      const output = execFileSync(join(root, 'node_modules/.bin/biome'), ['lint', path], {
        cwd: root,
        encoding: 'utf8',
        stdio: 'pipe',
      });
      return { ok: true, output };
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string };
      return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  }

  for (const folder of ['recorder', 'hub']) {
    it(`has no node: import in src/${folder} (the lint rule passes)`, () => {
      const result = lint(`packages/testing/src/${folder}`);
      expect(result.output).not.toContain('noNodejsModules');
      expect(result.ok).toBe(true);
    });

    it(`the rule is in force: a node: import added to src/${folder} fails lint`, () => {
      const dir = mkdtempSync(join(root, `packages/testing/src/${folder}/.lint-probe-`));
      try {
        writeFileSync(
          join(dir, 'probe.ts'),
          "import { setTimeout } from 'node:timers';\nexport const probe = setTimeout;\n",
        );
        const result = lint(dir);
        expect(result.ok).toBe(false);
        expect(result.output).toContain('noNodejsModules');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
