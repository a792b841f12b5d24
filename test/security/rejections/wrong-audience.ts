import { issuerSignedToken } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

export default rejectionCase({
  title: 'a token for another API (wrong "aud")',
  reason: 'AUDIENCE_MISMATCH',
  authorization: async ({ issuer, realToken }) =>
    bearer(await issuerSignedToken(issuer, realToken, { aud: ['https://fachverfahren.example.org'] })),
});
