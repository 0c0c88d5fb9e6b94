import { defineProject } from 'vitest/config';
import { sourceResolve } from '../../vitest.shared.ts';

export default defineProject({
  ...sourceResolve,
  // Sums the fuzz iterations of every file into one line at the end of the run.
  test: { name: 'core', include: ['test/**/*.test.ts'], globalSetup: ['./test/support/fuzz-report.ts'] },
});
