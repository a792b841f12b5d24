import { sql, type Kysely } from 'kysely';
import type { Database } from '../gateway/database/database.ts';
import { readRows } from '../gateway/database/statement-counter.ts';
import { UserError } from '../gateway/errors.ts';
import type { CertificateRow, CheckRow } from './schema.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a string can be a certificate id (the column is a uuid; anything else finds nothing). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** The certificates of these services, newest first, in one statement. */
export async function certificatesOfServices(
  db: Kysely<Database>,
  serviceIds: readonly string[],
): Promise<CertificateRow[]> {
  if (serviceIds.length === 0) return [];
  // One array parameter: the same statement text for any number of services; run by readRows, on a
  // path every service detail takes (see bench/README.md).
  return readRows<CertificateRow>(db, CERTIFICATES_OF_SERVICES, [[...serviceIds]]);
}

const CERTIFICATES_OF_SERVICES =
  'select * from certification_certificate where service_id = any($1::text[]) order by issued_at desc, id desc';

/** The certificates with these ids (ids that cannot be certificate ids find nothing), in one statement. */
export async function certificatesById(
  db: Kysely<Database>,
  ids: readonly string[],
): Promise<CertificateRow[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  return readRows<CertificateRow>(db, CERTIFICATES_BY_ID, [valid]);
}

const CERTIFICATES_BY_ID = 'select * from certification_certificate where id = any($1::uuid[])';

export const MAX_EXPIRY_WINDOW_DAYS = 730;

/**
 * Certificates that are valid now (not revoked, listing unchanged) and expire within `withinDays` days,
 * soonest first. A certificate already followed by a valid one for the same service and profile that
 * lasts longer is left out: it has been renewed.
 */
export async function expiringCertificates(
  db: Kysely<Database>,
  withinDays: number,
  now: Date = new Date(),
): Promise<CertificateRow[]> {
  if (!Number.isInteger(withinDays) || withinDays < 1 || withinDays > MAX_EXPIRY_WINDOW_DAYS) {
    throw new UserError(
      'BAD_USER_INPUT',
      `withinDays must be a whole number from 1 to ${MAX_EXPIRY_WINDOW_DAYS}; it was ${withinDays}.`,
      { argument: 'withinDays' },
    );
  }
  const until = new Date(now.getTime() + withinDays * 86_400_000);
  const { rows } = await sql<CertificateRow>`
    select c.* from certification_certificate c
    join service s on s.id = c.service_id and s.content_hash = c.content_hash
    where c.revoked_at is null and c.expires_at > ${now} and c.expires_at <= ${until}
      and not exists (
        select 1 from certification_certificate r
        where r.service_id = c.service_id and r.profile_id = c.profile_id and r.content_hash = s.content_hash
          and r.revoked_at is null and r.expires_at > c.expires_at)
    order by c.expires_at, c.id`.execute(db);
  return rows;
}

/** The checks recorded for a service, newest first. */
export async function checksOfService(db: Kysely<Database>, serviceId: string): Promise<CheckRow[]> {
  return db
    .selectFrom('certification_check')
    .selectAll()
    .where('service_id', '=', serviceId)
    .orderBy('checked_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

/**
 * When the next valid certificate expires (not revoked, expiring after `now`), or null. Until then,
 * which services are certified changes only by writes: what a cached answer needs to know.
 */
export async function nextCertificateExpiry(
  db: Kysely<Database>,
  now: Date = new Date(),
): Promise<Date | null> {
  const row = await db
    .selectFrom('certification_certificate')
    .select((eb) => eb.fn.min('expires_at').as('next'))
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row?.next ? new Date(row.next) : null;
}
