import {
  CompiledQuery,
  PostgresDialect,
  PostgresDriver,
  type DatabaseConnection,
  type TransactionSettings,
} from 'kysely';

/**
 * How a session of either driver plans its statements outside a transaction: each execution for its
 * own values, as an unnamed statement is, although each statement is prepared once (pglite-wire.ts,
 * pg-rows.ts). PostgreSQL's default would switch a statement to one generic plan after five
 * executions, and a generic plan of a search, blind to how common its words are, made searches
 * slower. Set by `pgliteOptions` (create-database.ts) and by each `LeanRowsClient` as it connects.
 */
export const SESSION_PLAN_CACHE_MODE = 'force_custom_plan';

/**
 * How statements inside a transaction are planned: as PostgreSQL plans them by default
 * (`plan_cache_mode = auto`), for this transaction only.
 *
 * Both drivers prepare each statement once and make the session plan every execution for its values
 * (SESSION_PLAN_CACHE_MODE). That session setting also reaches the plans
 * PostgreSQL caches for itself inside a write: the foreign-key check of every inserted row and the
 * statement of a row trigger were planned anew for every row, each plan reading the size of every
 * index of its table (one `fstat` per index in embedded PostgreSQL). Every transaction of the
 * catalogue writes (reads run outside transactions), so a transaction goes back to PostgreSQL's own
 * choice: custom plans for a statement's first five executions, then one generic plan if it costs
 * no more. Measured loading 10,000 listings into embedded PostgreSQL (2026-11-28, three runs each,
 * alternating): 1,303 to 1,355 listings per second with every plan custom, 1,462 to 1,509 with this.
 *
 * `set_config(…, true)` is `SET LOCAL`: it ends with the transaction, committed or rolled back, and
 * is a plain statement, which the PGlite wire does not take for a change of definitions.
 */
export const TRANSACTION_PLAN_MODE = CompiledQuery.raw(`select set_config('plan_cache_mode', 'auto', true)`);

/**
 * Sets TRANSACTION_PLAN_MODE in a transaction just begun on `connection`. Should that fail, the
 * transaction is rolled back before the error is thrown: kysely rolls back only what fails after
 * the begin has returned, and the connection (PGlite's one session) would otherwise stay inside it.
 */
export async function setTransactionPlanMode(connection: DatabaseConnection): Promise<void> {
  try {
    await connection.executeQuery(TRANSACTION_PLAN_MODE);
  } catch (error) {
    await connection.executeQuery(CompiledQuery.raw('rollback')).catch(() => undefined);
    throw error;
  }
}

/** Starts every transaction of kysely's PostgreSQL driver with TRANSACTION_PLAN_MODE. */
class TransactionPlanModeDriver extends PostgresDriver {
  override async beginTransaction(
    connection: DatabaseConnection,
    settings: TransactionSettings,
  ): Promise<void> {
    await super.beginTransaction(connection, settings);
    await setTransactionPlanMode(connection);
  }
}

/**
 * kysely's PostgreSQL dialect, whose transactions are planned as PostgreSQL plans by default
 * (TRANSACTION_PLAN_MODE). For a pool whose clients prepare their statements; one that does not
 * (`DATABASE_PREPARE_STATEMENTS=false`) keeps the server's setting and needs plain `PostgresDialect`.
 */
export class TransactionPlanModeDialect extends PostgresDialect {
  readonly #config: ConstructorParameters<typeof PostgresDialect>[0];

  constructor(config: ConstructorParameters<typeof PostgresDialect>[0]) {
    super(config);
    this.#config = config;
  }

  override createDriver(): PostgresDriver {
    return new TransactionPlanModeDriver(this.#config);
  }
}
