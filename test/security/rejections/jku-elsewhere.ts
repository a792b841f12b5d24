import { decodeToken, signToken } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

// The attacker signs with its own key and points "jku" at its own key set. The gateway must neither
// fetch that URL (the test counts requests there) nor trust the key.
export default rejectionCase({
  title: '"jku" header pointing at the attacker\'s key set',
  reason: 'KEY_IN_HEADER',
  authorization: async ({ realToken, attacker }) =>
    bearer(
      await signToken({ ...decodeToken(realToken).payload, roles: ['coordinator'] }, attacker.privateJwk, {
        jku: attacker.jwksUrl,
      }),
    ),
});
