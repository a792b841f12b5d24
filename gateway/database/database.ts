import type { Kysely } from 'kysely';
import type { CatalogTables } from './schema.ts';

/** All tables of the catalogue's PostgreSQL database. */
export type Database = CatalogTables;

/** The one database seam: a kysely instance on PostgreSQL or embedded PGlite, and how to close it. */
export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: 'postgres' | 'pglite';
  close(): Promise<void>;
}
