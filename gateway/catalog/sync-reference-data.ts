import type { Kysely } from 'kysely';
import { referenceData } from '../../catalog-schema/reference-data.ts';
import type { Database } from '../database/database.ts';

/**
 * Brings the ozg_leistung table in line with catalog-schema/reference/ozg-leistungen.csv (one upsert).
 * The table exists so that OZG-Leistungen can be searched with the same German text search as services.
 */
export async function syncReferenceData(db: Kysely<Database>): Promise<void> {
  const rows = [...referenceData().ozgLeistungen.values()].map((l) => ({
    id: l.id,
    name: l.name,
    themenfeld_id: l.themenfeld.id,
    lebenslage_id: l.lebenslage.id,
  }));
  await db
    .insertInto('ozg_leistung')
    .values(rows)
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({
        name: eb.ref('excluded.name'),
        themenfeld_id: eb.ref('excluded.themenfeld_id'),
        lebenslage_id: eb.ref('excluded.lebenslage_id'),
      })),
    )
    .execute();
}
