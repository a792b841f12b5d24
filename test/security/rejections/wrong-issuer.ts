import { issuerSignedToken } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

// Signed with a trusted key, but claiming an issuer nobody configured: nothing is fetched from it.
export default rejectionCase({
  title: 'an issuer that is not configured',
  reason: 'ISSUER_NOT_TRUSTED',
  authorization: async ({ issuer, realToken, attacker }) =>
    bearer(await issuerSignedToken(issuer, realToken, { iss: new URL(attacker.jwksUrl).origin })),
});
