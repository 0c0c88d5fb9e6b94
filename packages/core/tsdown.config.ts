import { packageBuild } from '../../tsdown.shared.ts';

export default packageBuild('neutral', { index: 'src/index.ts', protocol: 'src/protocol/index.ts' });
