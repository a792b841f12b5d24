// Loads the benchmark catalogue the way providers publish: each listing through validateListing,
// then publishListings (the batched form of publishListing: content hash, revisions, one-owner rule,
// search vocabulary, write hooks) in batches of 1,000.
import { sql, type Kysely } from 'kysely';
import { validateListing } from '../catalog-schema/validate-listing.ts';
import { upsertOrganisation } from '../gateway/catalog/organisations.ts';
import { publishListings } from '../gateway/catalog/publish-listings.ts';
import type { Database } from '../gateway/database/database.ts';
import { benchListings, benchProviders } from './catalogue-data.ts';

export const BATCH_SIZE = 1000;

export interface LoadResult {
  listings: number;
  providers: number;
  seconds: number;
  listingsPerSecond: number;
}

/** Generates and publishes `count` listings of `providerCount` providers; times validation and publishing. */
export async function loadCatalogue(
  db: Kysely<Database>,
  count: number,
  providerCount: number,
  progress: (done: number) => void = () => {},
): Promise<LoadResult> {
  const providers = benchProviders(providerCount);
  for (const provider of providers) await upsertOrganisation(db, provider);
  const listings = benchListings(count, providers);

  const started = performance.now();
  for (let i = 0; i < listings.length; i += BATCH_SIZE) {
    const batch = listings.slice(i, i + BATCH_SIZE).map(({ providerId, listing }) => {
      const validation = validateListing(listing);
      if (!validation.ok) {
        throw new Error(
          `generated listing ${providerId}/${listing.id} is invalid: ${JSON.stringify(validation.problems)}`,
        );
      }
      return { providerId, listing: validation.listing, source: 'PUSH' as const };
    });
    await publishListings(db, batch);
    progress(Math.min(i + BATCH_SIZE, listings.length));
  }
  const seconds = (performance.now() - started) / 1000;
  // Fresh statistics, as autovacuum would gather them shortly after a bulk load in production.
  await sql`vacuum analyze`.execute(db);
  return { listings: count, providers: providerCount, seconds, listingsPerSecond: count / seconds };
}
