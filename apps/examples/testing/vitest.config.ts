import { defineProject } from 'vitest/config';
import { sourceResolve } from '../../../vitest.shared.ts';

export default defineProject({
  ...sourceResolve,
  test: { name: 'example-testing', include: ['test/**/*.test.ts'] },
});
