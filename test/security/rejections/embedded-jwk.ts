import { decodeToken, signToken } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

// The key travels in the token itself ("jwk" header): trusting it would let anyone sign.
export default rejectionCase({
  title: 'its own public key embedded in the "jwk" header',
  reason: 'KEY_IN_HEADER',
  authorization: async ({ realToken, attacker }) =>
    bearer(await signToken(decodeToken(realToken).payload, attacker.privateJwk, { jwk: attacker.publicJwk })),
});
