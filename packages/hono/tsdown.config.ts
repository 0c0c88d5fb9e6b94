import { packageBuild } from '../../tsdown.shared.ts';

export default packageBuild(
  'node',
  { index: 'src/index.ts', cloudflare: 'src/cloudflare/index.ts', node: 'src/node.ts' },
  {
    // Provided by workerd itself.
    deps: { neverBundle: ['cloudflare:workers'] },
  },
);
