// The benchmark's own database: a throwaway PostgreSQL database on the server DATABASE_URL names, or
// a fresh embedded PostgreSQL (PGlite) data directory. Created for one run and removed afterwards.
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { syncReferenceData } from '../gateway/catalog/sync-reference-data.ts';
import { createDatabase, type DatabaseOptions } from '../gateway/database/create-database.ts';
import { migrateToLatest } from '../gateway/database/migrate.ts';

export interface BenchDatabase {
  kind: 'postgres' | 'pglite';
  /** How the gateway and the baselines open it. */
  options: DatabaseOptions;
  /** The environment a child process needs to open it (DATABASE_URL or DATA_DIR). */
  env: Record<string, string>;
  /** What the report says about it (no credentials). */
  description: string;
  /**
   * The environment of a process that needs a database of its own with the same content: a copy of
   * the data directory for embedded PostgreSQL, which one process opens at a time; the same
   * database on a server. Call once loading is done and the database is closed.
   */
  copy(name: string): Record<string, string>;
  drop(): Promise<void>;
}

async function admin(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Creates the run's database: on the server of `adminUrl` when given, else a PGlite directory. */
export async function createBenchDatabase(adminUrl: string | undefined): Promise<BenchDatabase> {
  if (adminUrl) {
    const name = `vc_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    await admin(adminUrl, `create database ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    const version = (await client.query<{ v: string }>(`select current_setting('server_version') as v`))
      .rows[0]!.v;
    await client.end();
    return {
      kind: 'postgres',
      options: { kind: 'postgres', url: url.toString(), poolSize: 10 },
      env: { DATABASE_URL: url.toString() },
      description: `PostgreSQL ${version} (throwaway database ${name} on ${url.hostname}:${url.port || 5432})`,
      copy: () => ({ DATABASE_URL: url.toString() }),
      drop: () => admin(adminUrl, `drop database if exists ${name} with (force)`),
    };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'vc-bench-'));
  const manifest = new URL('../node_modules/@electric-sql/pglite/package.json', import.meta.url);
  const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  const copies: string[] = [];
  return {
    kind: 'pglite',
    options: { kind: 'pglite', dataDir },
    env: { DATA_DIR: dataDir },
    description: `embedded PostgreSQL (PGlite ${version}, data directory in ${tmpdir()})`,
    copy: (name) => {
      const copy = `${dataDir}-${name}`;
      cpSync(dataDir, copy, { recursive: true });
      copies.push(copy);
      return { DATA_DIR: copy };
    },
    drop: async () => {
      for (const dir of [dataDir, ...copies]) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Migrates the benchmark's database and loads the reference data, then closes it again, so that
 * another process (the load's, see loadCatalogueAsGateway) can open an embedded data directory.
 */
export async function prepareBenchDatabase(options: DatabaseOptions): Promise<void> {
  const handle = await createDatabase(options);
  try {
    await migrateToLatest(handle.db);
    await syncReferenceData(handle.db);
  } finally {
    await handle.close();
  }
}
