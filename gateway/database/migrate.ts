import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import type { Database } from './database.ts';
import { certificationMigrations } from '../../certification/migrations/index.ts';
import { gatewayMigrations } from './migrations/index.ts';

/** Every component's migrations, merged; each name is unique and sorts by its timestamp. */
export function allMigrations(): Record<string, Migration> {
  return { ...gatewayMigrations, ...certificationMigrations };
}

function migrator(db: Kysely<Database>): Migrator {
  return new Migrator({
    db: db as unknown as Kysely<unknown>,
    provider: { getMigrations: async () => allMigrations() },
  });
}

/** Applies every pending migration; replicas starting together serialise on kysely's migration lock. */
export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResultSet> {
  const result = await migrator(db).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed`, { cause: result.error });
  }
  return result;
}

/** The names of migrations known to this build that the database has not applied yet. */
export async function pendingMigrations(db: Kysely<Database>): Promise<string[]> {
  const migrations = await migrator(db).getMigrations();
  return migrations.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
