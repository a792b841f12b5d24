import { issuerSignedToken } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

// Valid from 2 minutes from now: beyond the 30 s clock tolerance.
export default rejectionCase({
  title: 'not valid yet ("nbf" in the future)',
  reason: 'TOKEN_NOT_YET_VALID',
  authorization: async ({ issuer, realToken }) =>
    bearer(await issuerSignedToken(issuer, realToken, { nbf: Math.floor(Date.now() / 1000) + 120 })),
});
