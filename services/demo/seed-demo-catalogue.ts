import type { Kysely } from 'kysely';
import { validateListing } from '../../catalog-schema/validate-listing.ts';
import { upsertOrganisation } from '../../gateway/catalog/organisations.ts';
import { publishListing, type CatalogWriteHooks } from '../../gateway/catalog/publish-listing.ts';
import type { Database } from '../../gateway/database/database.ts';
import { DEMO_ORGANISATIONS, demoListings } from './demo-catalogue.ts';

/**
 * Seeds the demo catalogue into an empty database through the same code path providers use, and does
 * nothing when organisations exist already (a second start reuses the data). Returns whether it seeded.
 */
export async function seedDemoCatalogue(
  db: Kysely<Database>,
  hooks: CatalogWriteHooks = {},
): Promise<boolean> {
  const existing = await db.selectFrom('organisation').select('id').limit(1).executeTakeFirst();
  if (existing) return false;
  for (const organisation of DEMO_ORGANISATIONS) await upsertOrganisation(db, organisation);
  for (const { providerId, listing } of demoListings()) {
    const validation = validateListing(listing);
    if (!validation.ok) {
      throw new Error(
        `demo listing ${providerId}/${listing.id} is invalid: ${JSON.stringify(validation.problems)}`,
      );
    }
    await publishListing(db, { providerId, listing: validation.listing, source: 'PUSH' }, hooks);
  }
  return true;
}
