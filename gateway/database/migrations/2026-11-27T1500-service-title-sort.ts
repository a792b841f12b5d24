import { sql, type Kysely } from 'kysely';
import { titleSortKey } from '../../catalog/title-sort-key.ts';

// Immutable once landed: a change to the schema is a new migration.

// Browsing orders titles as a German dictionary does (DIN 5007-1): by a sort key the gateway
// computes when it writes a listing (title-sort-key.ts), compared in byte order, then by the exact
// title and the id. The byte order of the titles themselves put every umlaut and every lower-case
// initial after Z. The key of existing rows is computed here by the same function, a batch of rows
// per statement. The title index is replaced, not joined by a second one: each index of `service`
// costs every write its share.

const ROWS_PER_STATEMENT = 1000;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table service add column title_sort text collate "C"`.execute(db);
  let after = '';
  for (;;) {
    const { rows } = await sql<{ id: string; title: string }>`
      select id, title from service where id > ${after} order by id limit ${ROWS_PER_STATEMENT}`.execute(db);
    if (rows.length === 0) break;
    await sql`
      update service s set title_sort = v.title_sort
      from unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => titleSortKey(r.title))}::text[])
        as v (id, title_sort)
      where s.id = v.id`.execute(db);
    after = rows[rows.length - 1]!.id;
  }
  await sql`alter table service alter column title_sort set not null`.execute(db);
  await sql`drop index service_title`.execute(db);
  await sql`create index service_title_sort on service (title_sort, title, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index service_title_sort`.execute(db);
  await sql`alter table service drop column title_sort`.execute(db);
  await sql`create index service_title on service (title, id)`.execute(db);
}
