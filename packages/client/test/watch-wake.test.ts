import { describe, expect, it, vi } from 'vitest';
import { watchWake } from '../src/internal/watch-wake.ts';

function fakeWindow() {
  const win = new EventTarget() as EventTarget & { document: EventTarget & { hidden: boolean } };
  win.document = Object.assign(new EventTarget(), { hidden: false });
  return win;
}

describe('wake-ups', () => {
  it('wakes hard on the online event (the network changed), until stopped', () => {
    const win = fakeWindow();
    const wake = vi.fn();
    const stop = watchWake(wake, win as never);
    win.dispatchEvent(new Event('online'));
    expect(wake.mock.calls).toEqual([[true]]);
    stop();
    win.dispatchEvent(new Event('online'));
    expect(wake).toHaveBeenCalledTimes(1);
  });

  it('wakes softly when the tab becomes visible, not when it is hidden', () => {
    const win = fakeWindow();
    const wake = vi.fn();
    watchWake(wake, win as never);
    const flip = (hidden: boolean) => {
      win.document.hidden = hidden;
      win.document.dispatchEvent(new Event('visibilitychange'));
    };
    flip(true);
    expect(wake).not.toHaveBeenCalled();
    flip(false);
    expect(wake.mock.calls).toEqual([[false]]);
  });

  it('does nothing where there is no window or document (Node)', () => {
    const wake = vi.fn();
    const stop = watchWake(wake, {});
    stop();
    expect(wake).not.toHaveBeenCalled();
  });
});
