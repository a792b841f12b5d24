import { issuerSignedToken } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

export default rejectionCase({
  title: 'no "sub" claim',
  reason: 'CLAIM_MISSING',
  authorization: async ({ issuer, realToken }) =>
    bearer(await issuerSignedToken(issuer, realToken, { sub: undefined })),
});
