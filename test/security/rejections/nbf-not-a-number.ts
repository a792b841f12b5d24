import { issuerSignedToken } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

// A malformed claim, not a token that becomes valid later (it was TOKEN_NOT_YET_VALID).
export default rejectionCase({
  title: '"nbf" that is not a number',
  reason: 'CLAIM_INVALID',
  authorization: async ({ issuer, realToken }) =>
    bearer(await issuerSignedToken(issuer, realToken, { nbf: 'soon' })),
});
