import { issuerSignedToken } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

export default rejectionCase({
  title: 'a token of another declared type (header type "logout+jwt")',
  reason: 'NOT_AN_ACCESS_TOKEN',
  authorization: async ({ issuer, realToken }) =>
    bearer(await issuerSignedToken(issuer, realToken, {}, { typ: 'logout+jwt' })),
});
