// Loads the benchmark catalogue the way providers publish: each provider its own listings, each
// listing through validateListing, then publishListings (content hash, revisions, one-owner rule,
// search vocabulary) with the gateway's write hooks (subscriptions, audit chain) in batches of
// 1,000, several providers at the same time.
import { sql, type Kysely } from 'kysely';
import { validateListing } from '../catalog-schema/validate-listing.ts';
import { upsertOrganisation } from '../gateway/catalog/organisations.ts';
import type { CatalogWriteHooks } from '../gateway/catalog/publish-listing.ts';
import { publishListings } from '../gateway/catalog/publish-listings.ts';
import type { Database } from '../gateway/database/database.ts';
import { benchListings, benchProviders, type BenchListing } from './catalogue-data.ts';

export const BATCH_SIZE = 1000;

export interface LoadResult {
  listings: number;
  providers: number;
  /** How many providers published at the same time. */
  concurrency: number;
  seconds: number;
  listingsPerSecond: number;
}

export interface LoadOptions {
  /** The gateway's write hooks (gateway/write-modules.ts). */
  hooks: CatalogWriteHooks;
  /** Providers publishing at the same time, each its own batches one after the other. */
  concurrency: number;
  progress?: (done: number) => void;
}

/** Generates `count` listings of `providerCount` providers and publishes them; times validation and publishing. */
export async function loadCatalogue(
  db: Kysely<Database>,
  count: number,
  providerCount: number,
  options: LoadOptions,
): Promise<LoadResult> {
  const providers = benchProviders(providerCount);
  for (const provider of providers) await upsertOrganisation(db, provider);
  const byProvider = new Map<string, BenchListing[]>();
  for (const item of benchListings(count, providers)) {
    const own = byProvider.get(item.providerId) ?? [];
    own.push(item);
    byProvider.set(item.providerId, own);
  }
  const queue = [...byProvider.values()];

  const concurrency = Math.max(1, options.concurrency);
  const started = performance.now();
  let done = 0;
  let failed = false;
  const publisher = async () => {
    for (let own = queue.shift(); own && !failed; own = queue.shift()) {
      for (let i = 0; i < own.length && !failed; i += BATCH_SIZE) {
        const batch = own.slice(i, i + BATCH_SIZE).map(({ providerId, listing }) => {
          const validation = validateListing(listing);
          if (!validation.ok) {
            throw new Error(
              `generated listing ${providerId}/${listing.id} is invalid: ${JSON.stringify(validation.problems)}`,
            );
          }
          return { providerId, listing: validation.listing, source: 'PUSH' as const };
        });
        await publishListings(db, batch, options.hooks);
        done += batch.length;
        options.progress?.(done);
      }
    }
  };
  // A failed publish ends the load: the others finish the batch they are sending and stop.
  const outcomes = await Promise.allSettled(
    Array.from({ length: concurrency }, () =>
      publisher().catch((error: unknown) => {
        failed = true;
        throw error;
      }),
    ),
  );
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
  const seconds = (performance.now() - started) / 1000;
  // Fresh statistics, as autovacuum would gather them shortly after a bulk load in production.
  await sql`vacuum analyze`.execute(db);
  return {
    listings: count,
    providers: providerCount,
    concurrency,
    seconds,
    listingsPerSecond: count / seconds,
  };
}
