import { defineProject } from 'vitest/config';
import { sourceResolve } from '../vitest.shared.ts';

// Tests of the repository itself: the test runner, and that the docs agree with the code. The docs
// tests import package sources, which reach other workspace packages through the `source`
// condition, so they need no build.
export default defineProject({ ...sourceResolve, test: { name: 'repo', include: ['test/**/*.test.ts'] } });
