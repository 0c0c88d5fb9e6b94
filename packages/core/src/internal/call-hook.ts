import type { ErrorInfo } from '../errors.ts';

/**
 * Runs one of the app's hooks. A hook that throws is reported to `onError` (stage `hook`, naming
 * it) and never reaches the connection that caused the call. Callers check that the hook is set
 * first, so an unset hook costs one property read and nothing else.
 */
export function callHook<A extends unknown[]>(
  report: (error: unknown, info: ErrorInfo) => void,
  name: string,
  hook: (...args: A) => void,
  ...args: A
): void {
  try {
    hook(...args);
  } catch (error) {
    report(error, { stage: 'hook', hook: name });
  }
}
