import { decodeToken, signToken } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

// A valid signature, by a key nobody trusts, under the key id of the issuer's real key.
export default rejectionCase({
  title: 'valid signature by an untrusted key (with the real key id)',
  reason: 'SIGNATURE_INVALID',
  authorization: async ({ issuer, realToken, attacker }) =>
    bearer(
      await signToken(decodeToken(realToken).payload, attacker.privateJwk, {
        kid: issuer.currentSigningKey().kid,
      }),
    ),
});
