import { issuerSignedToken } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

// Issuer-signed, but 12 KB: refused by size before any parsing (the limit is 8 KiB).
export default rejectionCase({
  title: 'larger than 8 KiB',
  reason: 'TOKEN_TOO_LARGE',
  authorization: async ({ issuer, realToken }) =>
    bearer(await issuerSignedToken(issuer, realToken, { padding: 'x'.repeat(9000) })),
});
