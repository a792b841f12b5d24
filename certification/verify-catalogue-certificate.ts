import type { Kysely } from 'kysely';
import type { Database } from '../gateway/database/database.ts';
import { UserError } from '../gateway/errors.ts';
import type { CertificateClaims } from './certificate-claims.ts';
import { certificatesById } from './certificates.ts';
import type { CertificateRow } from './schema.ts';
import { publishedKeys } from './signing-keys.ts';
import { verifyCertificateJws, type CertificateProblem } from './verify-certificate.ts';

/** Offline problems plus what only the catalogue knows: revocations and listing changes. */
export type CatalogueCertificateProblem =
  CertificateProblem | 'REVOKED' | 'LISTING_CHANGED' | 'UNKNOWN_CERTIFICATE';

export interface CertificateVerificationResult {
  valid: boolean;
  signatureValid: boolean;
  problem: CatalogueCertificateProblem | null;
  message: string;
  keyId: string | null;
  claims: CertificateClaims | null;
  certificate: CertificateRow | null;
}

/** Longest accepted certificate text; real ones are a few kilobytes. */
export const MAX_CERTIFICATE_LENGTH = 32_768;

/**
 * Verifies a certificate as the catalogue sees it now: the offline checks against the published keys
 * (signature, type, expiry, issuer), then the catalogue's record: not revoked, and the listing still
 * has the content hash the certificate was issued for.
 */
export async function verifyCatalogueCertificate(
  db: Kysely<Database>,
  input: string,
  issuer: string,
  now: Date = new Date(),
): Promise<CertificateVerificationResult> {
  // Pasted or read from a file, a token often ends in a newline: the token is what lies between.
  const jws = input.trim();
  if (jws.length > MAX_CERTIFICATE_LENGTH) {
    throw new UserError(
      'BAD_USER_INPUT',
      `A certificate is at most ${MAX_CERTIFICATE_LENGTH} characters long.`,
      {
        argument: 'jws',
      },
    );
  }
  const offline = await verifyCertificateJws(jws, await publishedKeys(db), { now, issuer });
  const claims = offline.claims;
  const [stored] = claims ? await certificatesById(db, [claims.jti]) : [];
  // The record under the token's id vouches only for the very token the catalogue issued: a token
  // signed by a published key (an old one whose private part leaked, say) that borrows a real
  // certificate's id for other claims is not that certificate.
  const certificate = stored?.jws === jws ? stored : undefined;
  if (!offline.valid) {
    // A revocation outranks expiry: a revoked certificate that has run out since is reported as
    // revoked, so that its reader learns why it was withdrawn.
    const revoked = offline.signatureValid && certificate?.revoked_at ? certificate : undefined;
    return {
      valid: false,
      signatureValid: offline.signatureValid,
      problem: revoked ? 'REVOKED' : offline.problem,
      message: revoked ? revokedMessage(revoked) : offline.message,
      keyId: offline.kid,
      claims,
      certificate: certificate ?? null,
    };
  }
  const result = (
    problem: CatalogueCertificateProblem | null,
    message: string,
  ): CertificateVerificationResult => ({
    valid: problem === null,
    signatureValid: true,
    problem,
    message,
    keyId: offline.kid,
    claims: offline.claims,
    certificate: certificate ?? null,
  });
  if (!certificate) {
    return result(
      'UNKNOWN_CERTIFICATE',
      stored
        ? `The catalogue issued certificate ${offline.claims.jti} as another token than this one: this token is not a certificate of the catalogue.`
        : `The catalogue has no record of certificate ${offline.claims.jti}.`,
    );
  }
  if (certificate.revoked_at !== null) return result('REVOKED', revokedMessage(certificate));
  const service = await db
    .selectFrom('service')
    .select(['content_hash'])
    .where('id', '=', offline.claims.sub)
    .executeTakeFirst();
  if (!service || service.content_hash !== offline.claims.service.contentHash) {
    return result(
      'LISTING_CHANGED',
      `The listing of ${offline.claims.sub} has changed since the certificate was issued; it needs recertification.`,
    );
  }
  return result(
    null,
    `Valid: ${offline.claims.sub} is certified under ${offline.claims.profile.id} (version ${offline.claims.profile.version}) until ${new Date(offline.claims.exp * 1000).toISOString()}.`,
  );
}

function revokedMessage(certificate: { revoked_at: Date | null; revocation_reason: string | null }): string {
  return `The certificate was revoked at ${certificate.revoked_at!.toISOString()}: ${certificate.revocation_reason}`;
}
