import { rejectionCase } from '../rejection-case.ts';

export default rejectionCase({
  title: 'another authorization scheme (Basic)',
  reason: 'NOT_A_BEARER_TOKEN',
  authorization: async () => `Basic ${Buffer.from('provider@dataport:secret').toString('base64')}`,
});
