import { defaultClientConditions, defaultServerConditions } from 'vite';

/** Workspace packages resolve to their `src` through the `source` export condition, so tests never need a build. */
export const sourceResolve = {
  resolve: { conditions: ['source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['source', ...defaultServerConditions] } },
};
