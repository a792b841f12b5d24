import type { PGliteWire } from './pglite-wire.ts';
import { setTransactionPlanMode } from './transaction-plans.ts';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';

/**
 * A kysely dialect for embedded PostgreSQL (PGlite). PGlite is one database session, so the driver
 * hands out that session to one caller at a time: a transaction holds it from BEGIN to COMMIT and no
 * other request's statements can land inside it. (Sharing the session without that lock, as a plain
 * pass-through driver does, lets two concurrent transactions interleave.) A transaction's statements
 * are planned as PostgreSQL plans them by default (TRANSACTION_PLAN_MODE, transaction-plans.ts).
 */
export class PGliteDialect implements Dialect {
  readonly #client: PGliteWire;
  #driver: PGliteDriver | undefined;

  /** Statements run through `wire` (pglite-wire.ts), which hands out PGlite's answers faster. */
  constructor(wire: PGliteWire) {
    this.#client = wire;
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  createDriver(): Driver {
    this.#driver = new PGliteDriver(this.#client);
    return this.#driver;
  }

  /**
   * Runs one statement in the session's next turn, as kysely runs a statement outside a transaction,
   * but without kysely's executor (statement-counter.ts, readRows): its rows. Only once a Kysely
   * instance has been made with this dialect.
   */
  read(text: string, values: readonly unknown[]): Promise<unknown[]> {
    if (!this.#driver) throw new Error('PGliteDialect.read before a Kysely instance was made with it');
    return this.#driver.read(text, values);
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }
}

class PGliteDriver implements Driver {
  readonly #connection: PGliteConnection;
  #queue: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;

  constructor(client: PGliteWire) {
    this.#connection = new PGliteConnection(client);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#queue;
    let release!: () => void;
    this.#queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.#release = release;
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
    await setTransactionPlanMode(connection);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  async destroy(): Promise<void> {
    await this.#queue;
  }

  /** One statement in the session's next turn (PGliteDialect.read). */
  async read(text: string, values: readonly unknown[]): Promise<unknown[]> {
    await this.acquireConnection();
    try {
      return await this.#connection.rows(text, values);
    } finally {
      await this.releaseConnection();
    }
  }
}

class PGliteConnection implements DatabaseConnection {
  readonly #client: PGliteWire;

  constructor(client: PGliteWire) {
    this.#client = client;
  }

  /** A statement's rows, without kysely's result shape (PGliteDriver.read). */
  async rows(text: string, values: readonly unknown[]): Promise<unknown[]> {
    return (await this.#client.query(text, values)).rows;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.#client.query<R>(compiledQuery.sql, compiledQuery.parameters);
    return { rows: result.rows, numAffectedRows: BigInt(result.affectedRows) };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite does not stream query results');
  }
}
