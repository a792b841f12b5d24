import type { Kysely } from 'kysely';
import type { Database } from '../database/database.ts';
import { readRows } from '../database/statement-counter.ts';
import type { NewOrganisation, OrganisationRow } from '../database/schema.ts';

/** Inserts an organisation, or updates its name, Land and Regionalschlüssel when it exists. */
export async function upsertOrganisation(
  db: Kysely<Database>,
  organisation: NewOrganisation,
): Promise<OrganisationRow> {
  return db
    .insertInto('organisation')
    .values(organisation)
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({
        name: eb.ref('excluded.name'),
        land: eb.ref('excluded.land'),
        regionalschluessel: eb.ref('excluded.regionalschluessel'),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The organisations with these ids, in one statement. */
export async function organisationsById(
  db: Kysely<Database>,
  ids: readonly string[],
): Promise<OrganisationRow[]> {
  if (ids.length === 0) return [];
  // One array parameter: the same statement text for any number of ids; run by readRows, a hot read.
  return readRows<OrganisationRow>(db, ORGANISATIONS_BY_ID, [[...ids]]);
}

const ORGANISATIONS_BY_ID = 'select * from organisation where id = any($1::text[])';

/** All providers, by name. */
export async function listProviders(db: Kysely<Database>): Promise<OrganisationRow[]> {
  return db
    .selectFrom('organisation')
    .selectAll()
    .where('kind', '=', 'PROVIDER')
    .orderBy('name')
    .orderBy('id')
    .execute();
}
