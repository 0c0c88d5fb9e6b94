import { defineProject } from 'vitest/config';
import { sourceResolve } from '../../vitest.shared.ts';

export default defineProject({
  ...sourceResolve,
  // Browser tests start Chromium and several tabs; on a busy 2-core machine that takes seconds.
  // The global setup sums the fuzz iterations of every file into one line at the end of the run.
  test: {
    name: 'client',
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    globalSetup: ['../core/test/support/fuzz-report.ts'],
  },
});
