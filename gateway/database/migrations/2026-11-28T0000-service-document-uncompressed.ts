import { sql, type Kysely } from 'kysely';

// Immutable once landed: a change to the schema is a new migration.

// A service row (its texts, arrays and search vector, and the listing document) is larger than the
// 2 KB at which PostgreSQL starts to shrink a row. It compressed the document first (pglz: about
// 2,000 to 1,300 bytes for a typical listing) and then moved it out of the row anyway. Stored
// `external`, the document is moved out of the row without being compressed: writing a listing no
// longer compresses it, and reading one no longer decompresses it. Measured (2026-11-28, 10,000
// listings harvested, two runs each, alternating): loading into embedded PostgreSQL 1,393 to 1,419
// -> 1,464 to 1,480 listings per second; PostgreSQL 2,888 to 3,137 -> 2,960 to 3,188; reading a
// service by id or searching, no difference beyond the noise; the table with its TOAST data about
// 12 % larger (93.5 -> 105.5 MB for 20,000 listings). Rows written before keep their compressed
// documents until they are written again; PostgreSQL reads both.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table service alter column document set storage external`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table service alter column document set storage extended`.execute(db);
}
