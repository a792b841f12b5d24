import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../database/database.ts';
import { decodeSequenceCursor, pageSize, type Page, type SequenceList } from './page-cursor.ts';

/**
 * One page of `table`'s rows that meet every condition, newest first by `sequence`, with the total:
 * one statement. `first` and `after` are checked and decoded here (BAD_USER_INPUT).
 */
export async function sequencePage<Row>(
  db: Kysely<Database>,
  query: {
    table: SequenceList;
    /** The ever-growing column the keyset cursor points into. */
    sequence: 'id' | 'seq';
    conditions: readonly RawBuilder<unknown>[];
    first?: number | null;
    after?: string | null;
  },
): Promise<Page<Row>> {
  const size = pageSize(query.first);
  const after = query.after ? decodeSequenceCursor(query.table, query.after) : null;
  const sequence = sql.ref(query.sequence);
  const { rows } = await sql<Row & { total: number; found: boolean }>`
    with matching as (select * from ${sql.table(query.table)} where ${sql.join([sql`true`, ...query.conditions], sql` and `)})
    select total.total, page.id is not null as found, page.*
    from (select count(*)::int as total from matching) total
    left join lateral (
      select * from matching
      where ${after === null ? sql`true` : sql`${sequence} < ${after}::bigint`}
      order by ${sequence} desc
      limit ${size + 1}
    ) page on true`.execute(db);
  const found = rows.filter((r) => r.found);
  return {
    rows: found.slice(0, size).map(({ total: _total, found: _found, ...row }) => row as Row),
    hasNextPage: found.length > size,
    hasPreviousPage: after !== null,
    totalCount: rows[0]?.total ?? 0,
  };
}
