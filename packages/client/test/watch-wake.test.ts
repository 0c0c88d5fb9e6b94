import { describe, expect, it, vi } from 'vitest';
import { watchWake } from '../src/internal/watch-wake.ts';

function fakeWindow() {
  const win = new EventTarget() as EventTarget & { document: EventTarget & { hidden: boolean } };
  win.document = Object.assign(new EventTarget(), { hidden: false });
  return win;
}

describe('wake-ups', () => {
  it('wakes on the online event', () => {
    const win = fakeWindow();
    const wake = vi.fn();
    const stop = watchWake(wake, 60_000, win as never);
    win.dispatchEvent(new Event('online'));
    expect(wake).toHaveBeenCalledTimes(1);
    stop();
    win.dispatchEvent(new Event('online'));
    expect(wake).toHaveBeenCalledTimes(1);
  });

  it('wakes when a tab hidden longer than the threshold becomes visible, not after a short hide', () => {
    vi.useFakeTimers();
    try {
      const win = fakeWindow();
      const wake = vi.fn();
      watchWake(wake, 60_000, win as never);
      const flip = (hidden: boolean) => {
        win.document.hidden = hidden;
        win.document.dispatchEvent(new Event('visibilitychange'));
      };
      flip(true);
      vi.advanceTimersByTime(5_000);
      flip(false);
      expect(wake).not.toHaveBeenCalled();
      flip(true);
      vi.advanceTimersByTime(61_000);
      flip(false);
      expect(wake).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does nothing where there is no window or document (Node)', () => {
    const wake = vi.fn();
    const stop = watchWake(wake, 1, {});
    stop();
    expect(wake).not.toHaveBeenCalled();
  });
});
