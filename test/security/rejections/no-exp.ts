import { issuerSignedToken } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

// jose accepts a token without "exp" unless told it is required; a token must not live forever.
export default rejectionCase({
  title: 'no "exp" claim',
  reason: 'CLAIM_MISSING',
  authorization: async ({ issuer, realToken }) =>
    bearer(await issuerSignedToken(issuer, realToken, { exp: undefined })),
});
