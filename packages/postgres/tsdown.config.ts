import { packageBuild } from '../../tsdown.shared.ts';

export default packageBuild('node', { index: 'src/index.ts' });
