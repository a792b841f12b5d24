import { CompiledQuery, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from '../../test/helpers/test-database.ts';
import {
  allowDirectReads,
  countingDatabase,
  observeStatements,
  readRows,
  type SentStatement,
  type StatementCount,
} from './statement-counter.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await sql`insert into organisation (id, kind, name) values ('rr-a', 'PROVIDER', 'Anbieter A'),
    ('rr-b', 'AUTHORITY', 'Behörde B')`.execute(database.db);
});

afterAll(async () => {
  await database?.close();
});

const BY_ID = 'select id, name from organisation where id = any($1::text[]) order by id';

/** Calls `run` while recording every statement the process sends. */
async function observed<T>(run: () => Promise<T>): Promise<{ result: T; sent: SentStatement[] }> {
  const sent: SentStatement[] = [];
  const stop = observeStatements(({ sql, parameters }) => sent.push({ sql, parameters }));
  try {
    return { result: await run(), sent };
  } finally {
    stop();
  }
}

describe(`readRows, the loaders' hot reads (${TEST_DIALECT})`, () => {
  it('returns the rows and is counted, noted and observed once, as a statement of the request', async () => {
    const count: StatementCount = {
      statements: 0,
      tables: { among: new Set(['organisation', 'service']), named: new Set() },
    };
    const view = countingDatabase(database.db, count);
    const { result, sent } = await observed(() => readRows(view, BY_ID, [['rr-b', 'rr-a', 'none']]));
    expect(result).toEqual([
      { id: 'rr-a', name: 'Anbieter A' },
      { id: 'rr-b', name: 'Behörde B' },
    ]);
    expect(count.statements).toBe(1);
    expect([...count.tables!.named]).toEqual(['organisation']);
    expect(sent).toEqual([{ sql: BY_ID, parameters: [['rr-b', 'rr-a', 'none']] }]);
    // Beside statements kysely builds, in one count.
    await sql`select 1`.execute(view);
    await readRows(view, BY_ID, [[]]);
    expect(count.statements).toBe(3);
  });

  it("fails with PostgreSQL's error, counted, and leaves no connection taken", async () => {
    const count: StatementCount = { statements: 0 };
    const view = countingDatabase(database.db, count);
    // More failures than the test pool has connections (20): each gave its connection back.
    for (let i = 0; i < 25; i++) {
      await expect(readRows(view, 'select * from no_such_table where id = $1', ['x'])).rejects.toMatchObject({
        code: '42P01',
      });
    }
    expect(count.statements).toBe(25);
    expect(await readRows(view, BY_ID, [['rr-a']])).toEqual([{ id: 'rr-a', name: 'Anbieter A' }]);
  });

  it("runs inside a transaction on the transaction's connection, seeing its uncommitted rows, counted", async () => {
    const count: StatementCount = { statements: 0 };
    const seen = await countingDatabase(database.db, count)
      .transaction()
      .execute(async (trx) => {
        await sql`insert into organisation (id, kind, name) values ('rr-t', 'PROVIDER', 'Neu')`.execute(trx);
        const rows = await readRows(trx, BY_ID, [['rr-t']]);
        throw Object.assign(new Error('roll back'), { rows });
      })
      .catch((error: { rows?: unknown }) => error.rows);
    expect(seen).toEqual([{ id: 'rr-t', name: 'Neu' }]);
    // The insert and the read (begin, commit and rollback are not statements kysely compiles).
    expect(count.statements).toBe(2);
    expect(await readRows(database.db, BY_ID, [['rr-t']])).toEqual([]);
  });

  it("never lands inside another request's open transaction", async () => {
    let read: Promise<unknown[]> | undefined;
    await database.db
      .transaction()
      .execute(async (trx) => {
        await sql`insert into organisation (id, kind, name) values ('rr-u', 'PROVIDER', 'Offen')`.execute(
          trx,
        );
        // Another request reads meanwhile: on PostgreSQL on another connection, on embedded
        // PostgreSQL once the transaction has given the session back.
        read = readRows(countingDatabase(database.db, { statements: 0 }), BY_ID, [['rr-u']]);
        await new Promise((resolve) => setTimeout(resolve, 50));
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(await read).toEqual([]);
  });

  it('refuses a statement whose parameters are not $1 to $n in order where kysely sends it', async () => {
    await expect(readRows(database.db, 'select $2::int, $1::int', [1, 2])).rejects.toThrow(
      '$1 to $2, in order',
    );
    await expect(readRows(database.db, 'select $1::int', [1, 2])).rejects.toThrow('$1 to $2, in order');
    expect(await readRows(database.db, 'select $1::int as a, $2::text as b', [1, 'x'])).toEqual([
      { a: 1, b: 'x' },
    ]);
  });

  it('goes to the read a handle allows (both databases allow one), else through kysely', async () => {
    const direct: [string, readonly unknown[]][] = [];
    const handle = database.db.withPlugin({
      transformQuery: (args) => args.node,
      transformResult: async (args) => args.result,
    }) as Kysely<unknown>;
    // Through kysely while the handle allows none.
    const count: StatementCount = { statements: 0 };
    expect(await readRows(countingDatabase(handle, count), BY_ID, [['rr-a']])).toHaveLength(1);
    expect(direct).toEqual([]);
    allowDirectReads(handle, async (text, values) => {
      direct.push([text, values]);
      return (await handle.executeQuery(CompiledQuery.raw(text, [...values]))).rows;
    });
    const { result, sent } = await observed(() =>
      readRows(countingDatabase(handle, count), BY_ID, [['rr-b']]),
    );
    expect(result).toEqual([{ id: 'rr-b', name: 'Behörde B' }]);
    expect(direct).toEqual([[BY_ID, [['rr-b']]]]);
    // Observed once by readRows, and once more by kysely's log hook only because this test's read
    // itself runs through kysely.
    expect(sent.filter((s) => s.sql === BY_ID)).toHaveLength(2);
    expect(count.statements).toBe(2);
  });
});
