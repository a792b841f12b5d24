import { decodeToken, issuerSignedToken, TEST_AUDIENCE } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

// An ID token proves who signed in to a client, not that the client may act for them here. Were a
// client's id the catalogue's audience, its ID tokens would pass the audience check.
export default rejectionCase({
  title: "the issuer's real ID token, issued to a client whose id is the catalogue's audience",
  reason: 'NOT_AN_ACCESS_TOKEN',
  authorization: async ({ issuer, realIdToken }) => {
    const { header } = decodeToken(realIdToken);
    return bearer(await issuerSignedToken(issuer, realIdToken, { aud: TEST_AUDIENCE }, header));
  },
});
