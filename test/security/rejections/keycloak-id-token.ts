import { issuerSignedToken } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

// Keycloak types every token it signs in a "typ" claim ("Bearer", "ID", "Refresh", "Logout") and writes
// the generic "JWT" into the header of all of them.
export default rejectionCase({
  title: 'a Keycloak ID token ("typ": "ID" claim, header type "JWT") for the catalogue\'s audience',
  reason: 'NOT_AN_ACCESS_TOKEN',
  authorization: async ({ issuer, realToken }) =>
    bearer(await issuerSignedToken(issuer, realToken, { typ: 'ID' }, { typ: 'JWT' })),
});
