import { bearer, rejectionCase } from '../rejection-case.ts';

export default rejectionCase({
  title: 'a header that is not JSON',
  reason: 'TOKEN_MALFORMED',
  authorization: async ({ realToken }) => {
    const [, payload, signature] = realToken.split('.');
    return bearer(`${Buffer.from('{"alg":"ES256",').toString('base64url')}.${payload}.${signature}`);
  },
});
