import { decodeToken, rawToken } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

// A real token whose payload was changed to claim the coordinator role; the signature is the original.
export default rejectionCase({
  title: 'payload changed after signing',
  reason: 'SIGNATURE_INVALID',
  authorization: async ({ realToken }) => {
    const { header, payload } = decodeToken(realToken);
    return bearer(rawToken(header, { ...payload, roles: ['coordinator'] }, realToken.split('.')[2]));
  },
});
