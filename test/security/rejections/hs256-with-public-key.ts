import { decodeToken, hs256Token, publicKeyPem } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

// Algorithm confusion: HMAC keyed with the issuer's public key, which anyone can download.
export default rejectionCase({
  title: "HS256 signed with the issuer's public key as the secret",
  reason: 'ALGORITHM_NOT_ALLOWED',
  authorization: async ({ issuer, realToken }) => {
    const { header, payload } = decodeToken(realToken);
    const key = issuer.currentSigningKey().publicJwk;
    return bearer(
      hs256Token({ ...header, alg: 'HS256' }, { ...payload, roles: ['coordinator'] }, publicKeyPem(key)),
    );
  },
});
