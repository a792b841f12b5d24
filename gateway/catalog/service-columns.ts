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
  'title_sort',
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

const columnLists = new Map<string, RawBuilder<unknown>>();

/** The service columns for a raw SQL select list, qualified by a table alias. */
export function serviceColumnsSql(alias: string): RawBuilder<unknown> {
  // Built once per alias: thirty quoted references cost more to build and compile on every query
  // than the query's own round trip does to parse on the gateway's side.
  let list = columnLists.get(alias);
  if (!list) {
    list = sql.raw(serviceColumnsText(alias));
    columnLists.set(alias, list);
  }
  return list;
}

/** The same select list as text, for a statement written out in full (statement-counter.ts, readRows). */
export function serviceColumnsText(alias: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(alias)) throw new Error(`not a table alias: ${alias}`);
  return SERVICE_COLUMNS.map((column) => `"${alias}"."${column}"`).join(', ');
}
