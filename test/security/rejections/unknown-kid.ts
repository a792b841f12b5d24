import { issuerSignedToken } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

// The issuer's own key, but a key id its key set does not have.
export default rejectionCase({
  title: 'a key id the issuer does not publish',
  reason: 'KEY_NOT_FOUND',
  authorization: async ({ issuer, realToken }) =>
    bearer(await issuerSignedToken(issuer, realToken, {}, { kid: 'no-such-key' })),
});
