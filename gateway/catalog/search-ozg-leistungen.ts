import { sql, type Kysely } from 'kysely';
import { referenceData, type OzgLeistung } from '../../catalog-schema/reference-data.ts';
import type { Database } from '../database/database.ts';
import { UserError } from '../errors.ts';
import { words } from './search-terms.ts';

/** Searches OZG-Leistungen by name (German stemming, or a substring), optionally in one Themenfeld. */
export async function searchOzgLeistungen(
  db: Kysely<Database>,
  args: { search?: string | null; themenfeld?: string | null },
): Promise<OzgLeistung[]> {
  const ref = referenceData();
  if (args.themenfeld != null && !ref.themenfelder.has(args.themenfeld)) {
    throw new UserError('BAD_USER_INPUT', `Unknown Themenfeld ${JSON.stringify(args.themenfeld)}.`, {
      argument: 'themenfeld',
    });
  }
  const terms = words(args.search ?? '').slice(0, 10);
  let query = db.selectFrom('ozg_leistung as o').select(['o.id']);
  if (args.themenfeld != null) query = query.where('o.themenfeld_id', '=', args.themenfeld);
  if (terms.length > 0) {
    const text = terms.join(' ');
    query = query.where((eb) =>
      eb.or([
        eb(sql`o.search_vector`, '@@', sql`plainto_tsquery('german', ${text})`),
        eb(sql`lower(o.name)`, 'like', `%${text.replace(/[\\%_]/g, '\\$&')}%`),
      ]),
    );
  }
  const rows = await query.orderBy('o.name').orderBy('o.id').execute();
  return rows.map((row) => ref.ozgLeistungen.get(row.id)).filter((l): l is OzgLeistung => l !== undefined);
}
