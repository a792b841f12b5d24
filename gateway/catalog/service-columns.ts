import { sql, type RawBuilder } from 'kysely';

/** Every column of `service` a reader needs; the search vector stays in the database. */
export const SERVICE_COLUMNS = [
  'id',
  'provider_id',
  'local_id',
  'status',
  'revision',
  'version',
  'content_hash',
  'document',
  'title',
  'summary',
  'description',
  'keywords_text',
  'themenfelder',
  'lebenslagen',
  'ozg_ids',
  'leika_keys',
  'available_in',
  'efa',
  'developing_land',
  'operating_model',
  'hosting_location',
  'schutzbedarf',
  'schutzbedarf_level',
  'source',
  'source_endpoint',
  'fetched_at',
  'published_at',
  'updated_at',
  'withdrawn_at',
  'withdrawn_reason',
] as const;

/** The service columns for a raw SQL select list, qualified by a table alias. */
export function serviceColumnsSql(alias: string): RawBuilder<unknown> {
  return sql.join(SERVICE_COLUMNS.map((column) => sql.ref(`${alias}.${column}`)));
}
