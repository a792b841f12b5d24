import { issuerSignedToken } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

// Expired 31 s ago: just beyond the 30 s clock tolerance.
export default rejectionCase({
  title: 'expired beyond the clock tolerance',
  reason: 'TOKEN_EXPIRED',
  authorization: async ({ issuer, realToken }) => {
    const now = Math.floor(Date.now() / 1000);
    return bearer(await issuerSignedToken(issuer, realToken, { iat: now - 3600, exp: now - 31 }));
  },
});
