import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../gateway/database/database.ts';
import type { CertificateRow } from './schema.ts';

export type CertificationStatusCode =
  'UNCERTIFIED' | 'CERTIFIED' | 'EXPIRED' | 'REVOKED' | 'RECERTIFICATION_REQUIRED';

/** A service's certification, computed from its certificates at the moment it is read. */
export interface CertificationStatus {
  status: CertificationStatusCode;
  /** The certificate the status rests on; null when UNCERTIFIED. */
  certificate: CertificateRow | null;
  /** Every certificate of the service, newest first. */
  certificates: CertificateRow[];
}

/**
 * The state of one certificate for a listing whose content hash is `contentHash`: revoked wins, then a
 * changed listing (the certificate no longer describes it), then expiry.
 */
export function certificateStatus(
  certificate: CertificateRow,
  contentHash: string,
  now: Date,
): Exclude<CertificationStatusCode, 'UNCERTIFIED'> {
  if (certificate.revoked_at !== null) return 'REVOKED';
  if (certificate.content_hash !== contentHash) return 'RECERTIFICATION_REQUIRED';
  if (certificate.expires_at.getTime() <= now.getTime()) return 'EXPIRED';
  return 'CERTIFIED';
}

/**
 * A service's status: CERTIFIED when any certificate is valid now (the one valid longest is named);
 * otherwise the state of the newest certificate; UNCERTIFIED without any. Never stored, so never stale.
 */
export function certificationStatus(
  service: { content_hash: string },
  certificates: readonly CertificateRow[],
  now: Date,
): CertificationStatus {
  const newestFirst = [...certificates].sort(
    (a, b) => b.issued_at.getTime() - a.issued_at.getTime() || (a.id < b.id ? 1 : -1),
  );
  const valid = newestFirst
    .filter((c) => certificateStatus(c, service.content_hash, now) === 'CERTIFIED')
    .sort((a, b) => b.expires_at.getTime() - a.expires_at.getTime());
  if (valid[0]) return { status: 'CERTIFIED', certificate: valid[0], certificates: newestFirst };
  const newest = newestFirst[0];
  if (!newest) return { status: 'UNCERTIFIED', certificate: null, certificates: [] };
  return {
    status: certificateStatus(newest, service.content_hash, now),
    certificate: newest,
    certificates: newestFirst,
  };
}

/**
 * SQL that is true when the service aliased `alias` holds a certificate valid now: the same rule as
 * certificationStatus's CERTIFIED, for the `certified` filter of the catalogue search.
 */
export function certifiedCondition(alias: string): RawBuilder<boolean> {
  return sql<boolean>`exists (
    select 1 from certification_certificate c
    where c.service_id = ${sql.ref(`${alias}.id`)}
      and c.content_hash = ${sql.ref(`${alias}.content_hash`)}
      and c.revoked_at is null
      and c.expires_at > now())`;
}

/**
 * The status of each of these services now, in one statement (services without a certificate are
 * UNCERTIFIED; unknown ids are left out). For readers outside the GraphQL request path.
 */
export async function certificationStatuses(
  db: Kysely<Database>,
  serviceIds: readonly string[],
  now: Date = new Date(),
): Promise<Map<string, CertificationStatusCode>> {
  if (serviceIds.length === 0) return new Map();
  const { rows } = await sql<CertificateRow & { service_content_hash: string; service_ref: string }>`
    select s.id as service_ref, s.content_hash as service_content_hash, c.*
    from service s left join certification_certificate c on c.service_id = s.id
    where s.id = any(${[...serviceIds]}::text[])`.execute(db);
  const byService = new Map<string, { contentHash: string; certificates: CertificateRow[] }>();
  for (const row of rows) {
    const entry = byService.get(row.service_ref) ?? {
      contentHash: row.service_content_hash,
      certificates: [],
    };
    if (row.id !== null) entry.certificates.push(row);
    byService.set(row.service_ref, entry);
  }
  return new Map(
    [...byService].map(([id, e]) => [
      id,
      certificationStatus({ content_hash: e.contentHash }, e.certificates, now).status,
    ]),
  );
}
