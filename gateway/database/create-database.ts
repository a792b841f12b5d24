import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database, DatabaseHandle } from './database.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { listenPglite, listenPostgres } from './listen.ts';
import { LeanRowsClient, type LeanRowsClientConfig } from './pg-rows.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import { PGliteWire } from './pglite-wire.ts';
import { SESSION_PLAN_CACHE_MODE, TransactionPlanModeDialect } from './transaction-plans.ts';
import { allowDirectReads, logStatement, type DirectRead } from './statement-counter.ts';

export type DatabaseOptions =
  | {
      kind: 'postgres';
      url: string;
      /** Connections in the pool. Default 10. */
      poolSize?: number;
      /**
       * Whether each connection prepares a statement with parameters once (pg-rows.ts). Default true;
       * false behind a pooler that does not keep a session's prepared statements.
       */
      prepareStatements?: boolean;
    }
  | {
      kind: 'pglite';
      /** Directory for the data; omitted means in memory. */
      dataDir?: string;
      /**
       * PostgreSQL's shared_buffers inside the process, in MiB. Default 16: embedded PostgreSQL's own
       * default of 128 MiB made the gateway's memory grow by about 140 MiB under search load while
       * searches were no faster, and 16 instead of 32 kept the peak under search load about 28 MiB
       * lower at the same CPU time per search: the operating system caches the data files as well.
       */
      sharedBuffersMb?: number;
      /**
       * A dump of a data directory (PGlite's `dumpDataDir`) to start from instead of an empty
       * database. The tests start each in-memory database from one migrated dump (test/helpers).
       */
      initialData?: Blob;
    };

/** The embedded database's shared_buffers unless configured (DatabaseOptions). */
export const DEFAULT_PGLITE_SHARED_BUFFERS_MB = 16;

/**
 * How the catalogue opens embedded PostgreSQL: its extensions and settings (the benchmark's baseline
 * too). Every file write of embedded PostgreSQL is a synchronous call on the gateway's one thread.
 * `wal_init_zero = off`: a new 16 MiB WAL segment is not first filled with zeros (loading 10,000
 * listings wrote about 100 MB of zeros, as much as the WAL itself); the records carry checksums, so
 * recovery never needed the zeros. Side by side (with `wal_buffers = 4MB`, which wrote the WAL in
 * 4,100 instead of 10,000 pieces but saved only about 15 ms of 6 s and was dropped, being memory
 * in the gateway's process): about 5 % less time to load (bench/README.md, "Where loading into
 * embedded PostgreSQL goes"). The session's plan mode: each execution of a statement the wire
 * prepared is planned for its values, and a transaction (every write) plans as PostgreSQL does by
 * default (transaction-plans.ts).
 */
export function pgliteOptions(sharedBuffersMb = DEFAULT_PGLITE_SHARED_BUFFERS_MB) {
  return {
    extensions: { pg_trgm },
    postgresqlconf: [
      `shared_buffers = ${sharedBuffersMb}MB`,
      'wal_init_zero = off',
      `plan_cache_mode = ${SESSION_PLAN_CACHE_MODE}`,
    ].join('\n'),
  };
}

/**
 * The catalogue's pool of PostgreSQL connections (the benchmark's baseline too). Its clients decode
 * rows through compiled row shapes and prepare their statements (pg-rows.ts): the same rows, less
 * CPU. The pool hands its whole configuration to each client it creates, `prepareStatements` included.
 */
export function postgresPool(options: Omit<Extract<DatabaseOptions, { kind: 'postgres' }>, 'kind'>): pg.Pool {
  const poolConfig: pg.PoolConfig & LeanRowsClientConfig = {
    connectionString: options.url,
    max: options.poolSize ?? 10,
    Client: LeanRowsClient as unknown as new () => pg.ClientBase,
    prepareStatements: options.prepareStatements ?? true,
  };
  const pool = new pg.Pool(poolConfig);
  // An idle client's error (the server restarted) must not crash the process; the pool replaces it.
  pool.on('error', (error) => console.error('postgres pool: idle client error:', error.message));
  return pool;
}

/**
 * One statement on a connection checked out of `pool` for it, as kysely runs a statement outside a
 * transaction: its rows. The loaders' reads (readRows) and the benchmark's baseline (a) run this way.
 */
export function pooledRead(pool: pg.Pool): DirectRead {
  return async (text, values) => {
    const client = await pool.connect();
    try {
      return (await client.query(text, values as unknown[])).rows;
    } finally {
      client.release();
    }
  };
}

/** Opens the catalogue's database: PostgreSQL through a `pg` pool, or embedded PostgreSQL (PGlite). */
export async function createDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.kind === 'postgres') {
    const pool = postgresPool(options);
    // A pool that prepares its statements plans them for their values, except inside a transaction.
    const dialect =
      (options.prepareStatements ?? true)
        ? new TransactionPlanModeDialect({ pool })
        : new PostgresDialect({ pool });
    const db = new Kysely<Database>({ dialect, log: logStatement });
    // The loaders' reads (statement-counter.ts, readRows) go straight to a pooled connection.
    allowDirectReads(db, pooledRead(pool));
    return {
      db,
      dialect: 'postgres',
      listen: (channel, handlers, heartbeat) => listenPostgres(options.url, channel, handlers, heartbeat),
      close: () => db.destroy(),
    };
  }
  let release = () => {};
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    release = lockDataDir(options.dataDir);
  }
  let client: PGlite;
  try {
    client = await PGlite.create(options.dataDir ?? 'memory://', {
      ...pgliteOptions(options.sharedBuffersMb),
      ...(options.initialData ? { loadDataDir: options.initialData } : {}),
    });
  } catch (error) {
    release();
    throw error;
  }
  const wire = new PGliteWire(client);
  const dialect = new PGliteDialect(wire);
  const db = new Kysely<Database>({ dialect, log: logStatement });
  // The loaders' reads (statement-counter.ts, readRows) take their turn of the one session directly.
  allowDirectReads(db, (text, values) => dialect.read(text, values));
  return {
    db,
    dialect: 'pglite',
    listen: (channel, handlers) => listenPglite(wire, db as Kysely<unknown>, channel, handlers),
    close: async () => {
      try {
        await db.destroy();
        await client.close();
      } finally {
        release();
      }
    },
  };
}
