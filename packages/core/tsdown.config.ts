import { packageBuild } from '../../tsdown.shared.ts';

export default packageBuild('neutral', {
  index: 'src/index.ts',
  adapter: 'src/adapter.ts',
  broker: 'src/broker-api.ts',
  protocol: 'src/protocol/index.ts',
});
