import { PGlite } from '@electric-sql/pglite';
import { CompiledQuery, sql, type DatabaseConnection, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from '../../test/helpers/test-database.ts';
import { pgliteOptions } from './create-database.ts';
import { PGliteWire } from './pglite-wire.ts';
import { setTransactionPlanMode, TRANSACTION_PLAN_MODE } from './transaction-plans.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
});

afterAll(async () => {
  await database?.close();
});

async function planCacheMode(db: Kysely<unknown>): Promise<string> {
  const { rows } = await sql<{ mode: string }>`select current_setting('plan_cache_mode') as mode`.execute(db);
  return rows[0]!.mode;
}

describe('how statements are planned inside and outside a transaction', () => {
  it('plans for the values outside a transaction, and as PostgreSQL does by default inside one', async () => {
    const db = database.db as Kysely<unknown>;
    expect(await planCacheMode(db)).toBe('force_custom_plan');
    expect(await db.transaction().execute((trx) => planCacheMode(trx))).toBe('auto');
    // SET LOCAL: the session's mode is back after a commit and after a rollback.
    expect(await planCacheMode(db)).toBe('force_custom_plan');
    await expect(
      db.transaction().execute(async (trx) => {
        expect(await planCacheMode(trx)).toBe('auto');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await planCacheMode(db)).toBe('force_custom_plan');
  });

  it('lets a statement run often inside a transaction take a generic plan', async () => {
    const db = database.db as Kysely<unknown>;
    const text = `select n from generate_series(1, 3) as g (n) where n = $1::int /* plans test */`;
    const plans = await db.transaction().execute(async (trx) => {
      for (let n = 1; n <= 8; n++) {
        await sql`select n from generate_series(1, 3) as g (n) where n = ${n}::int /* plans test */`.execute(
          trx,
        );
      }
      // The statement as it was prepared: kysely numbers the parameter $1, as `text` does.
      const { rows } = await sql<{ generic: number; custom: number }>`
        select generic_plans::int as generic, custom_plans::int as custom
        from pg_prepared_statements where statement = ${text}`.execute(trx);
      return rows;
    });
    // PostgreSQL's own choice: custom plans for the first five executions, then the generic one.
    expect(plans).toEqual([{ generic: 3, custom: 5 }]);
  });

  it.runIf(TEST_DIALECT === 'postgres')('keeps a transaction’s isolation level', async () => {
    const db = database.db as Kysely<unknown>;
    const seen = await db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        const { rows } = await sql<{
          level: string;
        }>`select current_setting('transaction_isolation') as level`.execute(trx);
        return { level: rows[0]!.level, mode: await planCacheMode(trx) };
      });
    expect(seen).toEqual({ level: 'repeatable read', mode: 'auto' });
  });

  it('rolls the transaction back when the plan mode cannot be set', async () => {
    // A real embedded session, through a connection that refuses only the plan mode's statement.
    const client = await PGlite.create(pgliteOptions());
    try {
      const wire = new PGliteWire(client);
      const connection: DatabaseConnection = {
        executeQuery: async <R>(query: CompiledQuery) => {
          if (query.sql === TRANSACTION_PLAN_MODE.sql) throw new Error('refused');
          const result = await wire.query<R>(query.sql, query.parameters);
          return { rows: result.rows };
        },
        // eslint-disable-next-line require-yield
        streamQuery: async function* () {
          throw new Error('not used');
        },
      };
      await connection.executeQuery(CompiledQuery.raw('begin'));
      await expect(setTransactionPlanMode(connection)).rejects.toThrow('refused');
      // Outside a transaction block again: a savepoint is refused there.
      await expect(wire.query('savepoint probe')).rejects.toThrow(/transaction blocks/);
    } finally {
      await client.close();
    }
  });
});
