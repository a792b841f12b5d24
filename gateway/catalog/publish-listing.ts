import { sql, type Kysely, type Transaction } from 'kysely';
import type { Listing } from '../../catalog-schema/generated/listing.ts';
import type { Database } from '../database/database.ts';
import type { ListingSource, ServiceRow } from '../database/schema.ts';
import { UserError } from '../errors.ts';
import { publishListings } from './publish-listings.ts';

export interface PublishInput {
  providerId: string;
  /** A listing that passed validateListing. */
  listing: Listing;
  source: ListingSource;
  /** For harvested listings: the endpoint it came from. */
  endpoint?: string | null;
  fetchedAt?: Date;
  /** Who publishes, for the audit trail; absent for system writes (harvest, seeding). */
  actor?: CatalogWriteActor | null;
}

/** The signed-in caller behind a catalogue write. */
export interface CatalogWriteActor {
  subject: string;
  organisationId: string | null;
}

export type PublishOutcome = 'CREATED' | 'UPDATED' | 'REACTIVATED' | 'UNCHANGED';

export interface PublishResult {
  service: ServiceRow;
  outcome: PublishOutcome;
}

/** Hooks that run inside the publishing transaction (the audit chain appends here). */
export interface CatalogWriteHooks {
  /**
   * Runs once per transaction, after its last catalogue write, with every write in order (a batch
   * that publishes the same id twice has two events for it). Never called with no events. Running
   * after all writes keeps the locks a hook takes (the audit chain's head) after the write's own.
   */
  afterWrites?(trx: Transaction<Database>, events: readonly CatalogWriteEvent[]): Promise<void>;
  /**
   * Runs inside the transaction that revokes a certificate (certification/revoke-certificate.ts): a
   * revocation changes what the catalogue shows too (subscriptions record their notices here).
   */
  afterCertificateRevoked?(
    trx: Transaction<Database>,
    certificate: { id: string; service_id: string },
  ): Promise<void>;
}

export interface CatalogWriteEvent {
  action: 'service.published' | 'service.withdrawn';
  service: ServiceRow;
  outcome?: PublishOutcome;
  /** Who made the write; absent or null for system writes. */
  actor?: CatalogWriteActor | null;
}

/** The catalogue id of a provider's listing. */
export function serviceId(providerId: string, localId: string): string {
  return `${providerId}/${localId}`;
}

/**
 * Publishes a listing for a provider in one transaction: creates the service, records a new revision
 * when the content changed, reactivates a withdrawn listing, and writes nothing when the same content
 * is already active. An active listing belongs to one source: a pushed listing cannot be replaced by
 * harvest and the other way round (CONFLICT); a withdrawn one may be taken over by the other source.
 */
export async function publishListing(
  db: Kysely<Database>,
  input: PublishInput,
  hooks: CatalogWriteHooks = {},
): Promise<PublishResult> {
  // One implementation of the publishing rules for one listing and for many (publish-listings.ts).
  const [result] = await publishListings(db, [input], hooks);
  return result!;
}

/**
 * Withdraws a service: it leaves search results but stays readable by id. Withdrawing a withdrawn
 * service changes nothing, whichever source withdraws it; an active one only its own source may.
 */
export async function withdrawService(
  db: Kysely<Database>,
  input: {
    serviceId: string;
    reason: string | null;
    source: ListingSource;
    actor?: CatalogWriteActor | null;
  },
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
    if (current.status === 'WITHDRAWN') return current;
    if (current.source !== input.source) {
      throw new UserError(
        'CONFLICT',
        current.source === 'HARVEST'
          ? `Service ${current.id} is harvested from ${current.source_endpoint ?? 'the provider endpoint'}; remove it there and the next full harvest withdraws it.`
          : `Service ${current.id} was published by push; only push withdraws it.`,
        { serviceId: current.id, source: current.source },
      );
    }
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
    await hooks.afterWrites?.(trx, [
      { action: 'service.withdrawn', service: withdrawn, actor: input.actor ?? null },
    ]);
    return withdrawn;
  });
}
