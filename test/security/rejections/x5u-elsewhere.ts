import { decodeToken, signToken } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

export default rejectionCase({
  title: '"x5u" header pointing at the attacker\'s certificate',
  reason: 'KEY_IN_HEADER',
  authorization: async ({ realToken, attacker }) =>
    bearer(
      await signToken(decodeToken(realToken).payload, attacker.privateJwk, {
        x5u: `${new URL(attacker.jwksUrl).origin}/cert.pem`,
      }),
    ),
});
