import { packageBuild } from '../../tsdown.shared.ts';

export default packageBuild('node', {
  index: 'src/index.ts',
  recorder: 'src/recorder/index.ts',
  hub: 'src/hub/index.ts',
});
