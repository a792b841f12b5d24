// Verifies a certificate with nothing but a JSON Web Key Set: no database, no network of its own.
// Used by the verifyCertificate query and by `npm run verify-certificate`.
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JSONWebKeySet,
} from 'jose';
import {
  CERTIFICATE_ALGORITHMS,
  CERTIFICATE_TYP,
  isCertificateClaims,
  type CertificateClaims,
} from './certificate-claims.ts';

/** Why a certificate does not verify; stable codes a caller can switch on. */
export type CertificateProblem =
  'MALFORMED' | 'NOT_A_CERTIFICATE' | 'UNKNOWN_KEY' | 'BAD_SIGNATURE' | 'EXPIRED' | 'WRONG_ISSUER';

export type CertificateVerification =
  | { valid: true; kid: string; claims: CertificateClaims }
  | {
      valid: false;
      problem: CertificateProblem;
      message: string;
      kid: string | null;
      /** True when the signature checked out (an expired certificate is still genuine). */
      signatureValid: boolean;
      /** The claims, only when the signature checked out. */
      claims: CertificateClaims | null;
    };

function invalid(
  problem: CertificateProblem,
  message: string,
  kid: string | null,
  signed?: CertificateClaims | null,
): CertificateVerification {
  return { valid: false, problem, message, kid, signatureValid: Boolean(signed), claims: signed ?? null };
}

/**
 * Checks a compact JWS certificate: its `typ`, its algorithm, its signature against the key named by
 * its `kid` in `jwks`, its expiry, its claims' shape and, when asked, its issuer. Never throws for a
 * bad certificate; reports the first problem.
 */
export async function verifyCertificateJws(
  jws: string,
  jwks: JSONWebKeySet,
  options: { now?: Date; issuer?: string } = {},
): Promise<CertificateVerification> {
  const token = jws.trim();
  let kid: string | null = null;
  try {
    const header = decodeProtectedHeader(token);
    kid = typeof header.kid === 'string' ? header.kid : null;
  } catch {
    return invalid('MALFORMED', 'This is not a compact JWS (three base64url parts separated by dots).', null);
  }
  try {
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
      typ: CERTIFICATE_TYP,
      algorithms: [...CERTIFICATE_ALGORITHMS],
      ...(options.now ? { currentDate: options.now } : {}),
    });
    if (!isCertificateClaims(payload)) {
      return invalid(
        'NOT_A_CERTIFICATE',
        'The signature is valid, but the claims are not those of a certificate.',
        kid,
      );
    }
    if (options.issuer !== undefined && payload.iss !== options.issuer) {
      return invalid(
        'WRONG_ISSUER',
        `The certificate was issued by ${JSON.stringify(payload.iss)}, not by ${JSON.stringify(options.issuer)}.`,
        kid,
        payload,
      );
    }
    return { valid: true, kid: protectedHeader.kid ?? kid ?? '', claims: payload };
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      // jose checks the signature before the claims: an expired certificate is genuine but no longer valid.
      const claims = decodeJwt(token);
      const signed = isCertificateClaims(claims) ? claims : null;
      const until =
        typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : 'an unknown time';
      return invalid('EXPIRED', `The certificate expired at ${until}.`, kid, signed);
    }
    if (error instanceof errors.JWKSNoMatchingKey) {
      return invalid(
        'UNKNOWN_KEY',
        `No key in the key set matches the certificate's key id ${JSON.stringify(kid)}; it was not signed by this issuer.`,
        kid,
      );
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return invalid(
        'BAD_SIGNATURE',
        'The signature does not match the content: the certificate was altered.',
        kid,
      );
    }
    if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'typ') {
      return invalid('NOT_A_CERTIFICATE', `The token's type is not ${CERTIFICATE_TYP}.`, kid);
    }
    if (error instanceof errors.JOSEAlgNotAllowed) {
      return invalid(
        'NOT_A_CERTIFICATE',
        `Certificates are signed with ${CERTIFICATE_ALGORITHMS.join(' or ')}; this token uses another algorithm.`,
        kid,
      );
    }
    if (error instanceof errors.JOSEError) {
      return invalid('MALFORMED', `The certificate cannot be read: ${error.message}`, kid);
    }
    throw error;
  }
}
