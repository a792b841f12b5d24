import { sql, type Kysely, type Transaction } from 'kysely';
import { contentHash } from '../../catalog-schema/canonical-json.ts';
import type { Database } from '../database/database.ts';
import type { ServiceRow } from '../database/schema.ts';
import { UserError } from '../errors.ts';
import { listingColumns } from './listing-columns.ts';
import type { CatalogWriteEvent, CatalogWriteHooks, PublishInput, PublishResult } from './publish-listing.ts';
import { vocabulary } from './search-terms.ts';
import { serviceColumnsSql } from './service-columns.ts';

/**
 * Rows per statement. A service row has 31 columns: 1,000 rows stay well below PostgreSQL's 65,535
 * bind parameters and keep each statement's memory bounded.
 */
const ROWS_PER_STATEMENT = 1000;

interface Prepared {
  input: PublishInput;
  id: string;
  hash: string;
  columns: ReturnType<typeof listingColumns>;
  endpoint: string | null;
  fetchedAt: Date;
}

/**
 * Publishes many listings in one transaction with exactly the guarantees of publishing them one by
 * one with `publishListing`, in input order: a new id is created with revision 1; changed content
 * becomes a new revision; a withdrawn listing is reactivated; identical active content writes
 * nothing (no row, no timestamp, no hook); an active listing of the other source (push vs harvest)
 * is a CONFLICT that rolls the whole batch back, while a withdrawn one is taken over (reactivated
 * with this source, numbered on like any reactivation); the search vocabulary is extended, once per
 * batch and in sorted order, so that concurrent publishes cannot deadlock on new words; the write
 * hooks run inside the transaction for every write, once, after the batch's last write (so the audit
 * chain's lock comes after every row lock of the batch, also when an id repeats or the batch spans
 * several statements). Costs a handful of statements per 1,000 listings instead of four per listing.
 * Every listing must have passed `validateListing`.
 */
export async function publishListings(
  db: Kysely<Database>,
  inputs: readonly PublishInput[],
  hooks: CatalogWriteHooks = {},
): Promise<PublishResult[]> {
  if (inputs.length === 0) return [];
  return db.transaction().execute(async (trx) => {
    const results: PublishResult[] = [];
    const prepared = inputs.map(prepare);
    // The same id twice must behave as two publishes in a row: the second sees the first's result.
    for (const round of rounds(prepared)) {
      for (let i = 0; i < round.length; i += ROWS_PER_STATEMENT) {
        results.push(...(await publishRound(trx, round.slice(i, i + ROWS_PER_STATEMENT))));
      }
    }
    await extendVocabulary(
      trx,
      prepared.filter((_, i) => results[i]!.outcome !== 'UNCHANGED'),
    );
    // Rounds keep the input order: results[i] is inputs[i]'s.
    const events = results.flatMap((result, i): CatalogWriteEvent[] =>
      result.outcome === 'UNCHANGED'
        ? []
        : [
            {
              action: 'service.published',
              service: result.service,
              outcome: result.outcome,
              actor: inputs[i]!.actor ?? null,
            },
          ],
    );
    if (events.length > 0) await hooks.afterWrites?.(trx, events);
    return results;
  });
}

function prepare(input: PublishInput): Prepared {
  return {
    input,
    id: `${input.providerId}/${input.listing.id}`,
    hash: contentHash(input.listing),
    columns: listingColumns(input.listing),
    endpoint: input.endpoint ?? null,
    fetchedAt: input.fetchedAt ?? new Date(),
  };
}

/** Splits the batch, keeping its order, into runs in which every id occurs at most once. */
function rounds(prepared: Prepared[]): Prepared[][] {
  const result: Prepared[][] = [];
  let current: Prepared[] = [];
  let ids = new Set<string>();
  for (const p of prepared) {
    if (ids.has(p.id)) {
      result.push(current);
      current = [];
      ids = new Set();
    }
    ids.add(p.id);
    current.push(p);
  }
  result.push(current);
  return result;
}

async function publishRound(trx: Transaction<Database>, round: Prepared[]): Promise<PublishResult[]> {
  // New ids are inserted together with their first revision in one statement, in the order of their
  // ids: two publishes of the same provider that insert overlapping new ids take their row locks in
  // the same order (see extendVocabulary), as the lock of existing rows below does. The conflict
  // has no target, so that every unique index of `service` is an arbiter: the id and (provider_id,
  // local_id) say the same, and a conflict on an index that is not an arbiter is an error, which two
  // publishes inserting the same new listing at the same moment could meet (seen once in CI).
  const byIdOrder = [...round].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const { rows: inserted } = await sql<Stamps>`
    with inserted as (
      insert into service (${sql.join(INSERT_COLUMNS.map((c) => sql.ref(c)))})
      select ${sql.join(INSERT_COLUMNS.map(valueOf))}
      from ${rowsOf(byIdOrder.map(insertRow), INSERT_COLUMNS)}
      on conflict do nothing
      returning *
    ), revision as (
      ${insertRevisions('inserted', sql`true`)}
    )
    select id, published_at, updated_at from inserted`.execute(trx);
  const byId = new Map(round.map((p) => [p.id, p]));
  const outcomes = new Map<string, PublishResult>(
    inserted.map((stamps) => [
      stamps.id,
      { service: storedRow(byId.get(stamps.id)!, 1, stamps), outcome: 'CREATED' },
    ]),
  );

  const existingIds = round.filter((p) => !outcomes.has(p.id)).map((p) => p.id);
  if (existingIds.length > 0) {
    const { rows: current } = await sql<ServiceRow>`
      select ${serviceColumnsSql('s')} from service s
      where s.id = any(${existingIds}::text[])
      order by s.id
      for update`.execute(trx);
    const currentById = new Map(current.map((row) => [row.id, row]));
    const changes: Change[] = [];
    const moved: Prepared[] = [];
    for (const p of round) {
      if (outcomes.has(p.id)) continue;
      const row = currentById.get(p.id);
      if (!row) throw new Error(`service ${p.id} neither inserted nor found`);
      // One owner per listing while it is active; once withdrawn, the other source may take it over.
      if (row.source !== p.input.source && row.status === 'ACTIVE') throw sourceConflict(row);
      if (row.content_hash === p.hash && row.status === 'ACTIVE') {
        // Same content again: nothing is written, not even a timestamp, unless it now comes from
        // another endpoint URL (the provider moved its endpoint): then only where it comes from.
        if (row.source_endpoint !== p.endpoint) moved.push(p);
        outcomes.set(p.id, { service: { ...row, source_endpoint: p.endpoint }, outcome: 'UNCHANGED' });
        continue;
      }
      const contentChanged = row.content_hash !== p.hash;
      changes.push({ p, revision: contentChanged ? row.revision + 1 : row.revision, contentChanged });
    }
    if (moved.length > 0) {
      await sql`
        update service s set source_endpoint = v.endpoint
        from unnest(${moved.map((p) => p.id)}::text[], ${moved.map((p) => p.endpoint)}::text[])
          as v (id, endpoint)
        where s.id = v.id`.execute(trx);
    }
    if (changes.length > 0) {
      const updated = await updateServices(trx, changes);
      for (const { p, revision, contentChanged } of changes) {
        const stamps = updated.get(p.id);
        if (!stamps) throw new Error(`service ${p.id} was locked but not updated`);
        outcomes.set(p.id, {
          service: storedRow(p, revision, stamps),
          outcome: contentChanged ? 'UPDATED' : 'REACTIVATED',
        });
      }
    }
  }

  return round.map((p) => outcomes.get(p.id)!);
}

/**
 * Adds the words of the written listings to the search vocabulary, once per transaction and in one
 * order for every writer. A new word's row stays locked until the transaction ends, so two
 * publishes that inserted shared new words in different orders (or in several statements each)
 * could each wait for the other: PostgreSQL ends such a deadlock by failing one of them. Sorted, a
 * publish waits at most for one that is ahead of it.
 */
async function extendVocabulary(trx: Transaction<Database>, written: Prepared[]): Promise<void> {
  const terms = vocabulary(
    ...written.flatMap((p) => [p.input.listing.title, p.input.listing.summary, p.columns.keywords_text]),
  ).sort();
  if (terms.length === 0) return;
  // unnest yields the array's order, and the insert takes its rows in that order.
  await sql`insert into search_term (term) select unnest(${terms}::text[]) on conflict do nothing`.execute(
    trx,
  );
}

/** What the database sets itself when a listing is written. */
interface Stamps {
  id: string;
  published_at: Date;
  updated_at: Date;
}

/**
 * The stored row of a written listing, built from what was sent and the database's timestamps rather
 * than read back: a thousand documents parsed again cost more than the insert (embedded PostgreSQL).
 */
function storedRow(p: Prepared, revision: number, stamps: Stamps): ServiceRow {
  const row: Omit<ServiceRow, 'search_vector'> = {
    id: p.id,
    provider_id: p.input.providerId,
    local_id: p.input.listing.id,
    status: 'ACTIVE',
    revision,
    content_hash: p.hash,
    document: p.input.listing,
    ...p.columns,
    source: p.input.source,
    source_endpoint: p.endpoint,
    fetched_at: p.fetchedAt,
    published_at: stamps.published_at,
    updated_at: stamps.updated_at,
    withdrawn_at: null,
    withdrawn_reason: null,
  };
  // Readers never see the search vector (service-columns.ts); it stays in the database here too.
  return row as ServiceRow;
}

interface Change {
  p: Prepared;
  revision: number;
  contentChanged: boolean;
}

function sourceConflict(current: ServiceRow): UserError {
  return new UserError(
    'CONFLICT',
    current.source === 'HARVEST'
      ? `Service ${current.id} is harvested from ${current.source_endpoint ?? 'the provider endpoint'}; change it there, not by push (once a full harvest has withdrawn it, it can be pushed).`
      : `Service ${current.id} was published by push and is active; a harvested listing with the same id cannot replace it. Withdraw or rename one of them: once the pushed listing is withdrawn, harvest takes the id over.`,
    { serviceId: current.id, source: current.source },
  );
}

/** The columns derived from the listing document, with their SQL types. */
const LISTING_COLUMN_TYPES = {
  version: 'text',
  title: 'text',
  title_sort: 'text',
  summary: 'text',
  description: 'text',
  keywords_text: 'text',
  themenfelder: 'text[]',
  lebenslagen: 'text[]',
  ozg_ids: 'text[]',
  leika_keys: 'text[]',
  available_in: 'text[]',
  efa: 'boolean',
  developing_land: 'text',
  operating_model: 'text',
  hosting_location: 'text',
  schutzbedarf: 'text',
  schutzbedarf_level: 'smallint',
} as const satisfies Record<keyof Prepared['columns'], string>;
type ListingColumn = keyof typeof LISTING_COLUMN_TYPES;
const LISTING_COLUMNS = Object.keys(LISTING_COLUMN_TYPES) as ListingColumn[];

const COLUMN_TYPES: Record<string, string> = {
  ...LISTING_COLUMN_TYPES,
  id: 'text',
  provider_id: 'text',
  local_id: 'text',
  status: 'text',
  revision: 'integer',
  content_changed: 'boolean',
  content_hash: 'text',
  document: 'jsonb',
  source: 'text',
  source_endpoint: 'text',
  fetched_at: 'timestamptz',
};

const INSERT_COLUMNS = [
  'id',
  'provider_id',
  'local_id',
  'status',
  'revision',
  'content_hash',
  'document',
  ...LISTING_COLUMNS,
  'source',
  'source_endpoint',
  'fetched_at',
] as const;

const UPDATE_COLUMNS = [
  'id',
  'revision',
  'content_changed',
  'content_hash',
  'document',
  ...LISTING_COLUMNS,
  'source',
  'source_endpoint',
  'fetched_at',
] as const;

/**
 * The rows as one jsonb parameter, unpacked into typed columns: one bind parameter for a thousand
 * rows, where a VALUES list needs thirty per row (slow to bind, above all in embedded PostgreSQL).
 */
function rowsOf(rows: Record<string, unknown>[], columns: readonly string[]) {
  const definitions = columns.map((c) => sql`${sql.ref(c)} ${sql.raw(COLUMN_TYPES[c]!)}`);
  return sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v (${sql.join(definitions)})`;
}

/**
 * The long texts are sent once, inside the document, and taken from it in SQL: the parameter is
 * then about half as large (it is the bulk of what a batch costs to send and to parse). A text that
 * is stored composed (NFC) where the document has it decomposed is sent as its own column instead.
 */
const FROM_DOCUMENT: Record<string, string> = {
  title: 'title',
  summary: 'summary',
  description: 'description',
};

/** The SQL value of a column of the recordset `v`. */
function valueOf(column: string) {
  const field = FROM_DOCUMENT[column];
  return field
    ? sql`coalesce(${sql.ref(`v.${column}`)}, v.document ->> ${sql.lit(field)})`
    : sql.ref(`v.${column}`);
}

function listingRow(p: Prepared): Record<string, unknown> {
  const row: Record<string, unknown> = { ...p.columns, document: p.input.listing };
  const sent = p.input.listing as unknown as Record<string, unknown>;
  for (const [column, field] of Object.entries(FROM_DOCUMENT)) {
    if (row[column] === sent[field]) delete row[column];
  }
  return row;
}

function insertRow(p: Prepared): Record<string, unknown> {
  return {
    ...listingRow(p),
    id: p.id,
    provider_id: p.input.providerId,
    local_id: p.input.listing.id,
    status: 'ACTIVE',
    revision: 1,
    content_hash: p.hash,
    source: p.input.source,
    source_endpoint: p.endpoint,
    fetched_at: p.fetchedAt.toISOString(),
  };
}

/** Records a revision for each row of `from` (a CTE of service rows) that meets `condition`. */
function insertRevisions(from: string, condition: ReturnType<typeof sql>) {
  return sql`
    insert into service_revision (service_id, revision, version, content_hash, document, source, source_endpoint)
    select r.id, r.revision, r.version, r.content_hash, r.document, r.source, r.source_endpoint
    from ${sql.table(from)} r where ${condition}`;
}

/** Brings every changed service to its new content, with a revision where the content changed. */
async function updateServices(trx: Transaction<Database>, changes: Change[]): Promise<Map<string, Stamps>> {
  const rows = changes.map(({ p, revision, contentChanged }) => ({
    ...listingRow(p),
    id: p.id,
    revision,
    content_changed: contentChanged,
    content_hash: p.hash,
    source: p.input.source,
    source_endpoint: p.endpoint,
    fetched_at: p.fetchedAt.toISOString(),
  }));
  const { rows: updated } = await sql<Stamps>`
    with updated as (
      update service s set
        status = 'ACTIVE',
        revision = v.revision,
        content_hash = v.content_hash,
        document = v.document,
        ${sql.join(LISTING_COLUMNS.map((c) => sql`${sql.ref(c)} = ${valueOf(c)}`))},
        source = v.source,
        source_endpoint = v.source_endpoint,
        fetched_at = v.fetched_at,
        updated_at = now(),
        withdrawn_at = null,
        withdrawn_reason = null
      from ${rowsOf(rows, UPDATE_COLUMNS)}
      where s.id = v.id
      returning s.*, v.content_changed
    ), revision as (
      ${insertRevisions('updated', sql`r.content_changed`)}
    )
    select id, published_at, updated_at from updated`.execute(trx);
  return new Map(updated.map((row) => [row.id, row]));
}
