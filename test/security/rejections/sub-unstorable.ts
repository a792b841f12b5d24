import { issuerSignedToken } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

export default rejectionCase({
  title: 'a "sub" claim holding U+0000, which PostgreSQL cannot store',
  reason: 'CLAIM_INVALID',
  authorization: async ({ issuer, realToken }) =>
    bearer(await issuerSignedToken(issuer, realToken, { sub: 'provider\u0000@dataport' })),
});
