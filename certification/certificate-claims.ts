// The content of a certificate: what the coordination office signs. Shared by issuing and verifying,
// and free of database code so that offline verification needs nothing else.
import type { CertifiedCheck } from './schema.ts';

/** The JOSE `typ` header of a certificate, so that no other JWT can pass for one. */
export const CERTIFICATE_TYP = 'vc-certificate+jwt';

/** The signature algorithms a certificate may use: ECDSA P-256 (the default) or Ed25519. */
export const CERTIFICATE_ALGORITHMS = ['ES256', 'EdDSA'] as const;
export type CertificateAlgorithm = (typeof CERTIFICATE_ALGORITHMS)[number];

/** The signed claims of a certificate (a JWT payload). Times in `checks` are ISO 8601. */
export interface CertificateClaims {
  /** The coordination office that certifies (CERTIFICATE_ISSUER). */
  iss: string;
  /** The service id. */
  sub: string;
  /** The certificate id. */
  jti: string;
  /** Issued at, seconds since the epoch. */
  iat: number;
  /** Expiry, seconds since the epoch: the earliest expiry of the checks it rests on. */
  exp: number;
  service: { id: string; provider: string; revision: number; contentHash: string };
  profile: { id: string; version: number };
  checks: CertifiedCheck[];
  /** The organisation that issued it (the coordination office's organisation id). */
  issuedBy: string;
}

/** Whether a verified payload has the shape of certificate claims (a signature alone does not say so). */
export function isCertificateClaims(payload: unknown): payload is CertificateClaims {
  const p = payload as Partial<CertificateClaims> | null;
  const hash = (v: unknown) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.iss === 'string' &&
    typeof p.sub === 'string' &&
    typeof p.jti === 'string' &&
    typeof p.iat === 'number' &&
    typeof p.exp === 'number' &&
    typeof p.issuedBy === 'string' &&
    typeof p.service === 'object' &&
    p.service !== null &&
    p.service.id === p.sub &&
    hash(p.service.contentHash) &&
    typeof p.profile === 'object' &&
    p.profile !== null &&
    typeof p.profile.id === 'string' &&
    typeof p.profile.version === 'number' &&
    Array.isArray(p.checks) &&
    p.checks.length > 0 &&
    p.checks.every(
      (c) =>
        typeof c === 'object' &&
        c !== null &&
        typeof c.criterion === 'string' &&
        typeof c.criterionVersion === 'number' &&
        c.outcome === 'PASSED' &&
        hash(c.evidenceSha256) &&
        typeof c.validUntil === 'string',
    )
  );
}
