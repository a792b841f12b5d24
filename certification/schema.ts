import type { ColumnType, Generated, Selectable } from 'kysely';

/** The tables certification/ owns, merged into `Database` in gateway/database/database.ts. */
export interface CertificationTables {
  certification_criterion: CriterionTable;
  certification_profile: ProfileTable;
  certification_check: CheckTable;
  certification_certificate: CertificateTable;
  certification_signing_key: SigningKeyTable;
  audit_event: AuditEventTable;
  audit_chain_head: AuditChainHeadTable;
}

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export type CheckOutcome = 'PASSED' | 'FAILED';

/** One version of a criterion; a version never changes once stored. */
export interface CriterionTable {
  id: string;
  version: number;
  title: string;
  description: string;
  evidence: string;
  default_validity_days: number;
  /** SHA-256 of the canonical JSON of the definition: detects a changed definition without a new version. */
  definition_hash: string;
  created_at: Generated<Date>;
}

/** The conditions a listing must meet for a profile, besides the checks. */
export interface ListingRequirements {
  /** The listing supports at least this protection need. */
  minSchutzbedarf?: 'NORMAL' | 'HIGH' | 'VERY_HIGH';
  /** The listing is an EfA service. */
  efa?: true;
}

/** One version of a profile: the criteria versions it requires. */
export interface ProfileTable {
  id: string;
  version: number;
  title: string;
  description: string;
  criteria: Json<{ id: string; version: number }[]>;
  listing_requirements: Json<ListingRequirements>;
  definition_hash: string;
  created_at: Generated<Date>;
}

export interface CheckTable {
  id: string;
  service_id: string;
  /** The listing's content hash when the check was recorded: the check is about exactly that content. */
  content_hash: string;
  criterion_id: string;
  criterion_version: number;
  outcome: CheckOutcome;
  evidence_url: string;
  evidence_sha256: string;
  notes: string | null;
  checked_by_subject: string;
  checked_by_organisation: string;
  checked_at: Timestamp;
  valid_until: Timestamp;
}

/** A check as a certificate names it (also the `checks` member of the signed claims). */
export interface CertifiedCheck {
  checkId: string;
  criterion: string;
  criterionVersion: number;
  outcome: CheckOutcome;
  evidenceSha256: string;
  checkedAt: string;
  validUntil: string;
}

export interface CertificateTable {
  id: string;
  service_id: string;
  content_hash: string;
  profile_id: string;
  profile_version: number;
  checks: Json<CertifiedCheck[]>;
  issued_at: Timestamp;
  expires_at: Timestamp;
  kid: string;
  jws: string;
  issued_by_subject: string;
  issued_by_organisation: string;
  revoked_at: Timestamp | null;
  revocation_reason: string | null;
  revoked_by_subject: string | null;
}

export type SigningKeyOrigin = 'GENERATED' | 'CONFIGURED';

export interface SigningKeyTable {
  /** RFC 7638 JWK thumbprint of the public key. */
  kid: string;
  alg: string;
  public_jwk: Json<Record<string, unknown>>;
  /** Only for keys generated in demo mode; configured (production) keys never reach the database. */
  private_jwk: Json<Record<string, unknown>> | null;
  origin: SigningKeyOrigin;
  created_at: Generated<Date>;
  /** When a newer key took over signing; the public key stays published so old certificates verify. */
  retired_at: Timestamp | null;
}

export interface AuditEventTable {
  sequence: ColumnType<string, number, never>;
  occurred_at: Timestamp;
  actor: Json<AuditActor>;
  action: string;
  subject: string;
  payload: Json<Record<string, unknown>>;
  previous_hash: string;
  hash: string;
}

/** Who caused an audit event: a signed-in principal and its organisation, or the system itself. */
export interface AuditActor {
  subject: string;
  organisation: string | null;
}

export interface AuditChainHeadTable {
  singleton: boolean;
  sequence: ColumnType<string, number, number>;
  hash: string;
}

export type CriterionRow = Selectable<CriterionTable>;
export type ProfileRow = Selectable<ProfileTable>;
export type CheckRow = Selectable<CheckTable>;
export type CertificateRow = Selectable<CertificateTable>;
export type SigningKeyRow = Selectable<SigningKeyTable>;
