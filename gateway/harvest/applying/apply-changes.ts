import type { Kysely } from 'kysely';
import { contentHash } from '../../../catalog-schema/canonical-json.ts';
import type { Listing } from '../../../catalog-schema/generated/listing.ts';
import {
  publishListing,
  serviceId,
  withdrawService,
  type CatalogWriteHooks,
  type PublishInput,
  type PublishResult,
} from '../../catalog/publish-listing.ts';
import { publishListings } from '../../catalog/publish-listings.ts';
import type { Database } from '../../database/database.ts';
import { UserError } from '../../errors.ts';
import type { HarvestCounts, HarvestRejection, ValidatedChanges } from '../types.ts';

export interface ApplyOptions {
  providerId: string;
  endpointUrl: string;
  /** When the endpoint was read: the provenance of every listing this run writes. */
  fetchedAt: Date;
  /** The server's composed catalogue write hooks (audit, caches): harvest writes run them like push. */
  hooks: CatalogWriteHooks;
  /** Share of the provider's harvested listings a full sync may withdraw without confirmation. */
  maxWithdrawShare: number;
  /** Service ids a coordinator confirmed may be withdrawn beyond that share (a held run's). */
  confirmedWithdrawals: ReadonlySet<string>;
  /** Names the run in withdrawal reasons. */
  runId: string;
  signal?: AbortSignal;
}

/** Listings per publish transaction: long enough to be fast, short enough to let others write. */
const BATCH = 200;

function conflict(providerId: string, localId: string, message: string): HarvestRejection {
  return {
    localId,
    code: 'CONFLICT',
    message,
    problems: [{ path: '/id', message: `${serviceId(providerId, localId)} is published by push` }],
  };
}

/**
 * Applies validated changes through the catalogue's own write path (publish, withdraw, with the
 * server's hooks). Content the catalogue already holds is counted as unchanged without opening a
 * transaction. A listing whose id was pushed and is active is refused (CONFLICT), never overwritten;
 * a withdrawn pushed listing is taken over (reactivated as harvested). After a full
 * snapshot, the provider's harvested listings that were not served are withdrawn, unless there are
 * more of them than the allowed share: then nothing is withdrawn and the list is returned as held.
 */
export async function applyChanges(
  db: Kysely<Database>,
  changes: ValidatedChanges,
  options: ApplyOptions,
): Promise<HarvestCounts> {
  const { providerId } = options;
  const counts: HarvestCounts = {
    fetched: changes.fetched,
    created: 0,
    updated: 0,
    unchanged: 0,
    withdrawn: 0,
    rejected: 0,
    rejections: [...changes.rejections],
    heldWithdrawals: null,
  };
  const existing = await db
    .selectFrom('service')
    .select(['local_id', 'content_hash', 'status', 'source', 'source_endpoint'])
    .where('provider_id', '=', providerId)
    .execute();
  const current = new Map(existing.map((row) => [row.local_id, row]));

  const toPublish: Listing[] = [];
  for (const listing of changes.accepted) {
    const row = current.get(listing.id);
    if (row?.source === 'PUSH' && row.status === 'ACTIVE') {
      counts.rejections.push(
        conflict(
          providerId,
          listing.id,
          `${serviceId(providerId, listing.id)} was published by push and is active; the harvested listing with the same id is not applied. Withdraw or rename one of them: once the pushed listing is withdrawn, the next full harvest takes the id over.`,
        ),
      );
    } else if (
      row &&
      row.status === 'ACTIVE' &&
      row.content_hash === contentHash(listing) &&
      row.source_endpoint === options.endpointUrl
    ) {
      // Unchanged and from this URL: not even sent to the write path. From another URL (the
      // provider moved its endpoint), the write path records the new one and nothing else.
      counts.unchanged++;
    } else {
      toPublish.push(listing);
    }
  }

  const input = (listing: Listing): PublishInput => ({
    providerId,
    listing,
    source: 'HARVEST',
    endpoint: options.endpointUrl,
    fetchedAt: options.fetchedAt,
  });
  const tally = (result: PublishResult) => {
    if (result.outcome === 'CREATED') counts.created++;
    else if (result.outcome === 'UNCHANGED') counts.unchanged++;
    else counts.updated++;
  };
  for (let i = 0; i < toPublish.length; i += BATCH) {
    options.signal?.throwIfAborted();
    const batch = toPublish.slice(i, i + BATCH);
    try {
      for (const result of await publishListings(db, batch.map(input), options.hooks)) tally(result);
    } catch (error) {
      if (!(error instanceof UserError && error.code === 'CONFLICT')) throw error;
      // Someone pushed one of these ids since we looked; the batch rolled back. One by one, so that
      // only that listing is refused.
      for (const listing of batch) {
        try {
          tally(await publishListing(db, input(listing), options.hooks));
        } catch (single) {
          if (!(single instanceof UserError && single.code === 'CONFLICT')) throw single;
          counts.rejections.push(conflict(providerId, listing.id, single.message));
        }
      }
    }
  }

  if (changes.type === 'full') {
    const active = existing.filter((row) => row.source === 'HARVEST' && row.status === 'ACTIVE');
    const missing = active.filter((row) => !changes.servedIds.has(row.local_id)).map((row) => row.local_id);
    // What a coordinator confirmed (the listings a held run named) is withdrawn; anything else
    // counts against the share limit, so that a confirmation never covers listings nobody saw.
    const unconfirmed = missing.filter(
      (localId) => !options.confirmedWithdrawals.has(serviceId(providerId, localId)),
    );
    if (unconfirmed.length > Math.floor(options.maxWithdrawShare * active.length)) {
      counts.heldWithdrawals = missing.map((localId) => serviceId(providerId, localId)).sort();
    } else {
      for (const localId of missing) {
        options.signal?.throwIfAborted();
        await withdrawService(
          db,
          {
            serviceId: serviceId(providerId, localId),
            reason: `no longer served by ${options.endpointUrl} (full harvest, run ${options.runId})`,
            source: 'HARVEST',
          },
          options.hooks,
        );
        counts.withdrawn++;
      }
    }
  }
  counts.rejected = counts.rejections.length;
  return counts;
}
