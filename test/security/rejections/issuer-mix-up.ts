import { issuerSignedToken } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

// Issuer A's key, issuer B's name: B's key set decides, and it has no such key.
export default rejectionCase({
  title: 'signed by one trusted issuer, naming the other',
  reason: 'KEY_NOT_FOUND',
  authorization: async ({ issuer, secondIssuer, realToken }) =>
    bearer(await issuerSignedToken(issuer, realToken, { iss: secondIssuer.issuer })),
});
