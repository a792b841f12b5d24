import { decodeToken, rawToken } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

// The issuer's claims, unsigned: "alg": "none" must never pass as a signature.
export default rejectionCase({
  title: 'alg "none" with an empty signature',
  reason: 'ALGORITHM_NOT_ALLOWED',
  authorization: async ({ realToken }) =>
    bearer(rawToken({ alg: 'none', typ: 'at+jwt' }, decodeToken(realToken).payload)),
});
