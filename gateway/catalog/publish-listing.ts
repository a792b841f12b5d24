import { sql, type Kysely, type Transaction } from 'kysely';
import { contentHash } from '../../catalog-schema/canonical-json.ts';
import type { Listing } from '../../catalog-schema/generated/listing.ts';
import type { Database } from '../database/database.ts';
import type { ListingSource, ServiceRow } from '../database/schema.ts';
import { UserError } from '../errors.ts';
import { listingColumns } from './listing-columns.ts';
import { vocabulary } from './search-terms.ts';

export interface PublishInput {
  providerId: string;
  /** A listing that passed validateListing. */
  listing: Listing;
  source: ListingSource;
  /** For harvested listings: the endpoint it came from. */
  endpoint?: string | null;
  fetchedAt?: Date;
}

export type PublishOutcome = 'CREATED' | 'UPDATED' | 'REACTIVATED' | 'UNCHANGED';

export interface PublishResult {
  service: ServiceRow;
  outcome: PublishOutcome;
}

/** Hooks that run inside the publishing transaction (the audit chain appends here). */
export interface CatalogWriteHooks {
  afterWrite?(trx: Transaction<Database>, event: CatalogWriteEvent): Promise<void>;
}

export interface CatalogWriteEvent {
  action: 'service.published' | 'service.withdrawn';
  service: ServiceRow;
  outcome?: PublishOutcome;
}

/** The catalogue id of a provider's listing. */
export function serviceId(providerId: string, localId: string): string {
  return `${providerId}/${localId}`;
}

/**
 * Publishes a listing for a provider in one transaction: creates the service, records a new revision
 * when the content changed, reactivates a withdrawn listing, and writes nothing when the same content
 * is already active. A listing belongs to one source: a pushed listing cannot be replaced by harvest
 * and the other way round (CONFLICT).
 */
export async function publishListing(
  db: Kysely<Database>,
  input: PublishInput,
  hooks: CatalogWriteHooks = {},
): Promise<PublishResult> {
  const { providerId, listing, source } = input;
  const id = serviceId(providerId, listing.id);
  const hash = contentHash(listing);
  const documentJson = JSON.stringify(listing);
  const columns = listingColumns(listing);
  const endpoint = input.endpoint ?? null;
  const fetchedAt = input.fetchedAt ?? new Date();

  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('service')
      .values({
        id,
        provider_id: providerId,
        local_id: listing.id,
        status: 'ACTIVE',
        revision: 1,
        content_hash: hash,
        document: documentJson,
        ...columns,
        source,
        source_endpoint: endpoint,
        fetched_at: fetchedAt,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returningAll()
      .executeTakeFirst();

    let result: PublishResult;
    if (inserted) {
      await insertRevision(trx, inserted);
      result = { service: inserted, outcome: 'CREATED' };
    } else {
      const current = await trx
        .selectFrom('service')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (current.source !== source) {
        throw new UserError(
          'CONFLICT',
          current.source === 'HARVEST'
            ? `Service ${id} is harvested from ${current.source_endpoint ?? 'the provider endpoint'}; change it there, not by push.`
            : `Service ${id} was published by push; a harvested listing with the same id cannot replace it. Withdraw or rename one of them.`,
          { serviceId: id, source: current.source },
        );
      }
      if (current.content_hash === hash && current.status === 'ACTIVE') {
        // Same content again: nothing is written, not even a timestamp.
        return { service: current, outcome: 'UNCHANGED' };
      }
      const contentChanged = current.content_hash !== hash;
      const updated = await trx
        .updateTable('service')
        .set({
          status: 'ACTIVE',
          revision: contentChanged ? current.revision + 1 : current.revision,
          content_hash: hash,
          document: documentJson,
          ...columns,
          source_endpoint: endpoint,
          fetched_at: fetchedAt,
          updated_at: sql<Date>`now()`,
          withdrawn_at: null,
          withdrawn_reason: null,
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (contentChanged) await insertRevision(trx, updated);
      result = { service: updated, outcome: contentChanged ? 'UPDATED' : 'REACTIVATED' };
    }

    const terms = vocabulary(listing.title, listing.summary, columns.keywords_text);
    if (terms.length > 0) {
      await sql`insert into search_term (term) select unnest(${terms}::text[]) on conflict do nothing`.execute(
        trx,
      );
    }
    await hooks.afterWrite?.(trx, {
      action: 'service.published',
      service: result.service,
      outcome: result.outcome,
    });
    return result;
  });
}

async function insertRevision(trx: Transaction<Database>, service: ServiceRow): Promise<void> {
  await trx
    .insertInto('service_revision')
    .values({
      service_id: service.id,
      revision: service.revision,
      version: service.version,
      content_hash: service.content_hash,
      document: JSON.stringify(service.document),
      source: service.source,
      source_endpoint: service.source_endpoint,
    })
    .execute();
}

/**
 * Withdraws a service: it leaves search results but stays readable by id. Withdrawing a withdrawn
 * service changes nothing.
 */
export async function withdrawService(
  db: Kysely<Database>,
  input: { serviceId: string; reason: string | null; source: ListingSource },
  hooks: CatalogWriteHooks = {},
): Promise<ServiceRow> {
  return db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('service')
      .selectAll()
      .where('id', '=', input.serviceId)
      .forUpdate()
      .executeTakeFirst();
    if (!current)
      throw new UserError('NOT_FOUND', `There is no service ${input.serviceId}.`, {
        serviceId: input.serviceId,
      });
    if (current.source !== input.source) {
      throw new UserError(
        'CONFLICT',
        `Service ${current.id} is harvested from ${current.source_endpoint ?? 'the provider endpoint'}; remove it there and the next full harvest withdraws it.`,
        { serviceId: current.id, source: current.source },
      );
    }
    if (current.status === 'WITHDRAWN') return current;
    const withdrawn = await trx
      .updateTable('service')
      .set({
        status: 'WITHDRAWN',
        withdrawn_at: sql<Date>`now()`,
        withdrawn_reason: input.reason,
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', current.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await hooks.afterWrite?.(trx, { action: 'service.withdrawn', service: withdrawn });
    return withdrawn;
  });
}
