import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DIALECT } from '../../test/helpers/test-database.ts';
import { sql } from 'kysely';
import { configFromEnv } from '../config.ts';
import { createDatabase } from './create-database.ts';
import { knownRowShapes, LeanRowsClient } from './pg-rows.ts';

// The driver of a PostgreSQL server: on the embedded database's run there is none to talk to.
describe.runIf(TEST_DIALECT === 'postgres')('rows decoded through compiled row shapes (pg)', () => {
  let lean: LeanRowsClient;
  let stock: pg.Client;

  beforeAll(async () => {
    lean = new LeanRowsClient({ connectionString: process.env.DATABASE_URL });
    stock = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await Promise.all([lean.connect(), stock.connect()]);
  });

  afterAll(async () => {
    await Promise.all([lean?.end(), stock?.end()]);
  });

  /**
   * Runs the statement on both clients, three times on the lean one: pg decodes the first execution,
   * the second compiles the shape, the third uses the known shape.
   */
  async function both(text: string, values: unknown[] = []) {
    const expected = await stock.query(text, values);
    const first = (await lean.query(text, values)) as pg.QueryResult;
    const compiled = (await lean.query(text, values)) as pg.QueryResult;
    const again = (await lean.query(text, values)) as pg.QueryResult;
    expect(compiled.rows).toEqual(expected.rows);
    expect(Object.keys(compiled.rows[0] ?? {})).toEqual(Object.keys(expected.rows[0] ?? {}));
    return { expected, first, again };
  }

  it('gives the rows pg gives, for every type the catalogue reads', async () => {
    const text = `
      select $1::text as title, 42::int4 as revision, 9007199254740993::int8 as big, 12.50::numeric as price,
             true as efa, 1.5::float8 as ratio, '2026-11-26T10:00:00Z'::timestamptz as published_at,
             '2026-11-26'::date as day, '{"a":[1,{"b":null}]}'::jsonb as document,
             array['DE-BY','DE-HE']::text[] as available_in, array[1,2]::int[] as numbers,
             null::text as withdrawn_reason, null::timestamptz as withdrawn_at, '\\x0102'::bytea as raw,
             '1 day'::interval as period, gen_random_uuid() is not null as has_uuid
      from generate_series(1, 3)`;
    const { expected, first, again } = await both(text, ['Bauantrag „online“']);
    expect(first.rows).toEqual(expected.rows);
    expect(again.rows).toEqual(expected.rows);
    expect(Object.keys(first.rows[0]!)).toEqual(Object.keys(expected.rows[0]!));
    expect(first.rows[0]!.published_at).toBeInstanceOf(Date);
    expect(first.rows[0]!.raw).toBeInstanceOf(Buffer);
    expect(first.fields.map((f) => f.name)).toEqual(expected.fields.map((f) => f.name));
    expect(first).toMatchObject({ command: 'SELECT', rowCount: 3 });
  });

  it('treats column names as data: quotes, braces and code in a name', async () => {
    const text = `select 1 as "x""y", 2 as "a b", 3 as "}; throw new Error('injected'); ({", 4 as "\\u0000"`;
    const { expected, first, again } = await both(text);
    expect(first.rows).toEqual(expected.rows);
    expect(again.rows).toEqual(expected.rows);
  });

  it('keeps the first place and the last value of a repeated column name, as pg does', async () => {
    const { expected, first } = await both(`select 1 as a, 2 as b, 3 as a`);
    expect(first.rows).toEqual([{ a: 3, b: 2 }]);
    expect(Object.keys(first.rows[0]!)).toEqual(Object.keys(expected.rows[0]!));
  });

  it('leaves a column named __proto__ to pg: an own property, the prototype untouched', async () => {
    const { expected, again } = await both(`select 1 as "__proto__", 2 as b`);
    expect(again.rows).toEqual(expected.rows);
    expect(Object.getPrototypeOf(again.rows[0])).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(again.rows[0], '__proto__')).toBe(true);
  });

  it('notices when the same statement text returns other columns', async () => {
    const rows = async () => ((await lean.query(`select * from shape_change`)) as pg.QueryResult).rows;
    await lean.query(`create temporary table shape_change (a int)`);
    await lean.query(`insert into shape_change values (1)`);
    // Twice each: the second execution runs through the compiled shape.
    for (let i = 0; i < 2; i++) expect(await rows()).toEqual([{ a: 1 }]);
    await lean.query(`alter table shape_change add column b text default 'x'`);
    for (let i = 0; i < 2; i++) expect(await rows()).toEqual([{ a: 1, b: 'x' }]);
    await lean.query(`alter table shape_change alter column a type text`);
    for (let i = 0; i < 2; i++) expect(await rows()).toEqual([{ a: '1', b: 'x' }]);
  });

  it('answers several statements in one text with one result each, as pg does', async () => {
    const text = `select 1 as a; select 'x' as b, 2 as c`;
    const expected = (await stock.query(text)) as unknown as pg.QueryResult[];
    const results = (await lean.query(text)) as unknown as pg.QueryResult[];
    expect(results.map((r) => r.rows)).toEqual(expected.map((r) => r.rows));
    expect(results.map((r) => r.rows)).toEqual([[{ a: 1 }], [{ b: 'x', c: 2 }]]);
  });

  it('reports writes with their command and row count', async () => {
    await lean.query(`create temporary table counted (id int)`);
    const inserted = (await lean.query(
      `insert into counted select generate_series(1, 4)`,
      [],
    )) as pg.QueryResult;
    expect(inserted).toMatchObject({ command: 'INSERT', rowCount: 4, rows: [] });
    const updated = (await lean.query(
      `update counted set id = id + $1 where id > 2 returning id`,
      [10],
    )) as pg.QueryResult;
    expect(updated).toMatchObject({ command: 'UPDATE', rowCount: 2, rows: [{ id: 13 }, { id: 14 }] });
  });

  it('rejects with the server error and stays usable', async () => {
    await expect(lean.query(`select 1 / $1::int as x`, [0])).rejects.toMatchObject({ code: '22012' });
    expect(((await lean.query(`select 1 / $1::int as x`, [1])) as pg.QueryResult).rows).toEqual([{ x: 1 }]);
  });

  it('passes every other kind of call to pg: config objects, array rows, callbacks', async () => {
    const arrays = (await lean.query({
      text: 'select 1 as a, $1::text as b',
      values: ['y'],
      rowMode: 'array',
    })) as pg.QueryResult;
    expect(arrays.rows).toEqual([[1, 'y']]);
    const viaCallback = await new Promise((resolve, reject) =>
      lean.query('select 2 as a', [], (error: Error | undefined, result: pg.QueryResult) =>
        error ? reject(error) : resolve(result.rows),
      ),
    );
    expect(viaCallback).toEqual([{ a: 2 }]);
  });

  it('refuses type parsers of its own, which its shared row shapes would ignore', () => {
    expect(() => new LeanRowsClient({ types: pg.types })).toThrow(/no types of its own/);
    expect(() => lean.setTypeParser(25, (value: string) => value.toUpperCase())).toThrow(
      /no types of its own/,
    );
  });

  it('is how the catalogue reads PostgreSQL: the pool of createDatabase decodes through it', async () => {
    const handle = await createDatabase({ kind: 'postgres', url: process.env.DATABASE_URL!, poolSize: 1 });
    try {
      const before = knownRowShapes();
      const read = () => sql<{ wired: string }>`select 'through kysely' as wired`.execute(handle.db);
      await read();
      const { rows } = await read();
      expect(rows).toEqual([{ wired: 'through kysely' }]);
      expect(knownRowShapes()).toBe(before + 1);
    } finally {
      await handle.close();
    }
  });

  it('compiles a shape at the second execution of a text, and keeps a bounded number', async () => {
    const before = knownRowShapes();
    await lean.query(`select 'once' as seen`);
    expect(knownRowShapes()).toBe(before);
    await lean.query(`select 'once' as seen`);
    expect(knownRowShapes()).toBe(Math.min(before + 1, 500));
    for (let i = 0; i < 520; i++) {
      await lean.query(`select ${i} as n`);
      await lean.query(`select ${i} as n`);
    }
    expect(knownRowShapes()).toBe(500);
    expect(((await lean.query('select 519 as n')) as pg.QueryResult).rows).toEqual([{ n: 519 }]);
  });
});

describe.runIf(TEST_DIALECT === 'postgres')('statements prepared once per connection (pg)', () => {
  let lean: LeanRowsClient;
  let other: pg.Client;
  const table = `prepared_${process.pid}`;

  beforeAll(async () => {
    lean = new LeanRowsClient({ connectionString: process.env.DATABASE_URL });
    other = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await Promise.all([lean.connect(), other.connect()]);
    await other.query(`drop table if exists ${table}`);
    await other.query(`create table ${table} (id int primary key)`);
    await other.query(`insert into ${table} values (1), (2)`);
  });

  afterAll(async () => {
    await other?.query(`drop table if exists ${table}`);
    await Promise.all([lean?.end(), other?.end()]);
  });

  /** This connection's prepared statement of `text`: how often it was planned for its values, and generically. */
  async function preparedOf(client: LeanRowsClient, text: string) {
    const { rows } = (await client.query(
      `select custom_plans::int, generic_plans::int from pg_prepared_statements where statement = $1`,
      [text],
    )) as pg.QueryResult;
    return rows;
  }

  it('prepares a statement with parameters once and plans each execution for its values', async () => {
    const text = `select id from ${table} where id = $1`;
    for (let i = 0; i < 8; i++) {
      expect(((await lean.query(text, [2])) as pg.QueryResult).rows).toEqual([{ id: 2 }]);
    }
    // The lookup itself runs through the lean client too, prepared: its row is the eighth's state.
    expect(await preparedOf(lean, text)).toEqual([{ custom_plans: 8, generic_plans: 0 }]);
    const { rows } = (await lean.query(`show plan_cache_mode`)) as pg.QueryResult;
    expect(rows).toEqual([{ plan_cache_mode: 'force_custom_plan' }]);
  });

  it('prepares again when the table changed around it or the statement was deallocated', async () => {
    const text = `select * from ${table} where id > $1 order by id`;
    expect(((await lean.query(text, [1])) as pg.QueryResult).rows).toEqual([{ id: 2 }]);
    // Another connection (a newer replica's migration) alters the table under the `select *`:
    // outside a transaction block the statement is prepared again and runs at once.
    await other.query(`alter table ${table} add column label text default 'x'`);
    expect(((await lean.query(text, [1])) as pg.QueryResult).rows).toEqual([{ id: 2, label: 'x' }]);
    // Inside one, the refusal reaches the caller once; after the rollback it runs again.
    await other.query(`alter table ${table} drop column label`);
    await lean.query('begin');
    await expect(lean.query(text, [1])).rejects.toThrow(/cached plan must not change result type/);
    await lean.query('rollback');
    expect(((await lean.query(text, [1])) as pg.QueryResult).rows).toEqual([{ id: 2 }]);
    // Deallocated (as a pooler's reset would): prepared again.
    await lean.query('deallocate all');
    expect(((await lean.query(text, [0])) as pg.QueryResult).rows).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('prepares nothing when told not to, and leaves plan_cache_mode as it is', async () => {
    const plain = new LeanRowsClient({
      connectionString: process.env.DATABASE_URL,
      prepareStatements: false,
    });
    await plain.connect();
    try {
      const text = `select id from ${table} where id = $1 and true`;
      await plain.query(text, [1]);
      await plain.query(text, [1]);
      expect(await preparedOf(plain, text)).toEqual([]);
      const { rows } = (await plain.query(`show plan_cache_mode`)) as pg.QueryResult;
      expect(rows).toEqual([{ plan_cache_mode: 'auto' }]);
    } finally {
      await plain.end();
    }
  });

  it('is how createDatabase’s pool connects, unless prepareStatements is false', async () => {
    for (const prepareStatements of [undefined, false]) {
      const handle = await createDatabase({
        kind: 'postgres',
        url: process.env.DATABASE_URL!,
        poolSize: 1,
        ...(prepareStatements === false && { prepareStatements }),
      });
      try {
        const { rows } = await sql<{ plan_cache_mode: string }>`show plan_cache_mode`.execute(handle.db);
        expect(rows).toEqual([
          { plan_cache_mode: prepareStatements === false ? 'auto' : 'force_custom_plan' },
        ]);
      } finally {
        await handle.close();
      }
    }
  });

  it('is configured by DATABASE_PREPARE_STATEMENTS, on by default', () => {
    const options = (env: Record<string, string>) =>
      configFromEnv({ DATABASE_URL: 'postgres://x', ...env }).database;
    expect(options({})).toMatchObject({ prepareStatements: true });
    expect(options({ DATABASE_PREPARE_STATEMENTS: 'false' })).toMatchObject({ prepareStatements: false });
    expect(() => options({ DATABASE_PREPARE_STATEMENTS: 'sometimes' })).toThrow(
      /DATABASE_PREPARE_STATEMENTS must be true or false/,
    );
  });
});
