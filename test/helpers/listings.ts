import type { Listing } from '../../catalog-schema/generated/listing.ts';
import { upsertOrganisation } from '../../gateway/catalog/organisations.ts';
import { publishListing } from '../../gateway/catalog/publish-listing.ts';
import type { Database } from '../../gateway/database/database.ts';
import type { OrganisationKind } from '../../gateway/database/schema.ts';
import type { Kysely } from 'kysely';

/** A valid listing document; `overrides` replace top-level fields. */
export function makeListing(overrides: Partial<Listing> & { id: string }): Listing {
  return {
    version: '1.0.0',
    title: `Testdienst ${overrides.id}`,
    summary: 'Ein Onlinedienst für die Prüfung des Katalogs.',
    description: 'Dieser Dienst existiert nur in den Tests des Katalogs und beschreibt nichts Bestimmtes.',
    efa: false,
    availableIn: ['DE-SH'],
    operatingModel: 'SAAS',
    hostingLocation: 'DE',
    schutzbedarf: 'NORMAL',
    plans: [{ id: 'standard', name: 'Standard', pricingModel: 'FLAT', priceEur: 10 }],
    contact: { name: 'Testteam', email: 'test@example.org' },
    ...overrides,
  };
}

/** Registers an organisation directly in the database (what a coordinator does through the API). */
export async function registerOrganisation(
  db: Kysely<Database>,
  id: string,
  kind: OrganisationKind = 'PROVIDER',
  land: string | null = 'DE-SH',
): Promise<void> {
  await upsertOrganisation(db, { id, kind, name: `Organisation ${id}`, land, regionalschluessel: null });
}

/** Publishes listings for a provider through the catalogue's own publish path. */
export async function publishAll(
  db: Kysely<Database>,
  providerId: string,
  listings: Listing[],
): Promise<void> {
  for (const listing of listings) await publishListing(db, { providerId, listing, source: 'PUSH' });
}
