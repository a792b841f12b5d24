import { decodeToken, rawToken } from '../../helpers/identity-provider.ts';
import { bearer, rejectionCase } from '../rejection-case.ts';

export default rejectionCase({
  title: 'no "alg" header at all',
  reason: 'ALGORITHM_NOT_ALLOWED',
  authorization: async ({ realToken }) => {
    const { header, payload } = decodeToken(realToken);
    const { alg: _alg, ...withoutAlg } = header;
    return bearer(rawToken(withoutAlg, payload, realToken.split('.')[2]));
  },
});
