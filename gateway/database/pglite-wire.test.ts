import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteOptions } from './create-database.ts';
import { PGliteWire } from './pglite-wire.ts';

// The wire must answer exactly as PGlite.query does (values, errors, counts), only faster; and it
// must deliver notifications, which PGlite's own listeners no longer see for its statements.
let client: PGlite;
let wire: PGliteWire;

beforeAll(async () => {
  client = await PGlite.create('memory://', pgliteOptions());
  wire = new PGliteWire(client);
  await client.exec(`
    create table thing (id text primary key, n int not null check (n >= 0), tags text[], doc jsonb, at timestamptz);
  `);
});

afterAll(() => client?.close());

/** Both ways, the same statement on the same session: what PGlite.query gives and what the wire gives. */
async function both(text: string, parameters: unknown[] = []) {
  const viaPglite = await client.query(text, parameters);
  const viaWire = await wire.query(text, parameters);
  return { viaPglite, viaWire };
}

async function errorOf(run: () => Promise<unknown>): Promise<Record<string, unknown> & Error> {
  try {
    await run();
  } catch (error) {
    return error as Record<string, unknown> & Error;
  }
  throw new Error('no error');
}

describe('PGliteWire', () => {
  it('reads every type the catalogue uses as PGlite.query does', async () => {
    const text = `select $1::text as a, $2::int as b, $3::bigint as c, $4::float8 as d, $5::numeric as e,
      $6::bool as f, $7::jsonb as g, $8::json as h, $9::timestamptz as i, $10::date as j,
      $11::text[] as k, $12::int[] as l, $13::bytea as m, null::text as n, $14::jsonb as o,
      $15::smallint as p, '{}'::text[] as q, array[null, 'a', 'b c', '"x"']::text[] as r,
      $16::uuid as s, interval '1 day 2 hours' as t, 'ab'::char(3) as u, $17 = 'x' as v,
      array['{"a":1}'::jsonb] as w, 1.5::real as x, $18::timestamp as y, 'Straße „ä“ 😀' as z`;
    const parameters = [
      'Grüße "aus" \\ Kiel',
      42,
      '9007199254740993',
      1.25,
      '12.340',
      true,
      { a: [1, 'x', null], b: { c: 'ü' } },
      '{"b": 1}',
      new Date('2026-11-27T19:30:00.123Z'),
      '2026-11-27',
      ['a', 'b,c', '"q"', 'd\\e', ''],
      [1, 2, 3],
      new Uint8Array([0, 1, 254, 255]),
      ['eins', { zwei: 2 }],
      -7,
      '0b5e8d4e-5a4f-4f6e-9a8e-2f6a1c3e9b10',
      'x',
      new Date('2026-01-02T03:04:05.678Z'),
    ];
    const { viaPglite, viaWire } = await both(text, parameters);
    expect(viaWire.rows).toEqual(viaPglite.rows);
    expect(viaWire.rows).toHaveLength(1);
    // A spot check that the values are parsed, not text.
    expect(viaWire.rows[0]).toMatchObject({ b: 42, f: true, g: parameters[6], k: parameters[10] });
  });

  it('names columns as PGlite.query does: a repeated name keeps the last value, __proto__ is a column', async () => {
    for (let run = 0; run < 2; run++) {
      const { viaPglite, viaWire } = await both(
        `select 1 as x, 2 as x, 'p' as "__proto__", $1::text as "a""b"`,
        ['q'],
      );
      expect(viaWire.rows).toEqual(viaPglite.rows);
      expect(Object.keys(viaWire.rows[0] as object)).toEqual(Object.keys(viaPglite.rows[0] as object));
      expect(Object.getPrototypeOf(viaWire.rows[0])).toBe(Object.prototype);
    }
  });

  it('gives the same rows for a large answer and the same affected-row counts', async () => {
    const big = await both(
      `select g as n, repeat('ä', g % 50) as t, g::text || 'x' as id from generate_series(1, 20000) g`,
    );
    expect(big.viaWire.rows).toEqual(big.viaPglite.rows);
    expect(big.viaWire.affectedRows).toBe(big.viaPglite.affectedRows);

    const insert = await wire.query(
      `insert into thing (id, n, tags, doc, at) select 'w' || g, g, array['t'], '{}', now() from generate_series(1, 5) g`,
    );
    const insertPglite = await client.query(
      `insert into thing (id, n, tags, doc, at) select 'p' || g, g, array['t'], '{}', now() from generate_series(1, 5) g`,
    );
    expect(insert.affectedRows).toBe(5);
    expect(insert.affectedRows).toBe(insertPglite.affectedRows);
    for (const statement of [
      `update thing set n = n + 1 where id like $1`,
      `delete from thing where id like $1`,
    ]) {
      const viaWire = await wire.query(statement, ['w%']);
      const viaPglite = await client.query(statement, ['p%']);
      expect(viaWire.affectedRows).toBe(5);
      expect(viaWire.affectedRows).toBe(viaPglite.affectedRows);
    }
  });

  it('throws PGlite’s error, with the same fields, and the session goes on', async () => {
    await client.query(`insert into thing (id, n) values ('eins', 1)`);
    const statement = `insert into thing (id, n) values ($1, $2)`;
    const viaPglite = await errorOf(() => client.query(statement, ['eins', 2]));
    const viaWire = await errorOf(() => wire.query(statement, ['eins', 2]));
    expect(viaWire.constructor).toBe(viaPglite.constructor);
    const fields = [
      'message',
      'severity',
      'code',
      'detail',
      'schema',
      'table',
      'constraint',
      'query',
      'params',
    ];
    for (const field of fields) expect([field, viaWire[field]]).toEqual([field, viaPglite[field]]);
    expect(viaWire.code).toBe('23505');

    const check = `update thing set n = $1 where id = 'eins'`;
    const checkPglite = await errorOf(() => client.query(check, [-1]));
    const checkWire = await errorOf(() => wire.query(check, [-1]));
    expect([checkWire.code, checkWire.constraint]).toEqual([checkPglite.code, checkPglite.constraint]);

    const syntax = await errorOf(() => wire.query(`select from where`));
    const syntaxPglite = await errorOf(() => client.query(`select from where`));
    expect([syntax.code, syntax.position, syntax.message]).toEqual([
      syntaxPglite.code,
      syntaxPglite.position,
      syntaxPglite.message,
    ]);
    // A statement whose parameter types cannot be described fails the same way.
    const unknown = await errorOf(() => wire.query(`select * from nowhere where id = $1`, ['x']));
    expect(unknown.code).toBe('42P01');
    expect((await wire.query(`select count(*)::int as n from thing where id = $1`, ['eins'])).rows).toEqual([
      { n: 1 },
    ]);
  });

  it('keeps a failed transaction failed until it is rolled back', async () => {
    await wire.query('begin');
    await errorOf(() => wire.query(`select 1/0`));
    const aborted = await errorOf(() => wire.query(`select 1`));
    expect(aborted.code).toBe('25P02');
    await wire.query('rollback');
    expect((await wire.query(`select 1 as one`)).rows).toEqual([{ one: 1 }]);
  });

  it('delivers notifications after the commit that sent them, to the channel’s listeners only', async () => {
    const heard: string[] = [];
    const other: string[] = [];
    const listener = (payload: string) => heard.push(payload);
    await wire.listen('Katalog geändert', listener);
    await wire.listen('anderer', (payload) => other.push(payload));
    await wire.query('begin');
    await wire.query(`select pg_notify($1, $2)`, ['Katalog geändert', 'eins']);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(heard).toEqual([]);
    await wire.query('commit');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(heard).toEqual(['eins']);
    expect(other).toEqual([]);

    await wire.unlisten('Katalog geändert', listener);
    await wire.query(`select pg_notify($1, $2)`, ['Katalog geändert', 'zwei']);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(heard).toEqual(['eins']);
  });

  it('keeps nothing of the answers it read', async () => {
    // PGlite's execProtocolRaw parses every answer again and keeps the messages until the next
    // PGlite.query: under load that grew the gateway by hundreds of MiB.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const statement = `select repeat('x', 20000) as big, g from generate_series(1, 2) g where $1::int > 0`;
    await wire.query(statement, [1]);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1500; i++) await wire.query(statement, [i + 1]);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(grown).toBeLessThan(10 * 1024 * 1024);
  });

  it('never lands between the steps of a PGlite.query running at the same time', async () => {
    // PGlite.query awaits between Parse, Bind and Execute; a statement of the wire in between would
    // replace its unnamed statement. Both run under PGlite's query lock.
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? client.query<{ v: string }>(`select $1::text || 'p' as v`, [String(i)])
          : wire.query<{ v: number }>(`select $1::int * 2 as v`, [i]),
      ),
    );
    results.forEach((result, i) => expect(result.rows).toEqual([{ v: i % 2 === 0 ? `${i}p` : i * 2 }]));
  });
});

describe('PGliteWire: prepared statements', () => {
  /** The session's prepared statement of `text`: how often it was planned for its values, and generically. */
  async function preparedOf(text: string) {
    const { rows } = await client.query<{ custom_plans: number; generic_plans: number }>(
      `select custom_plans::int, generic_plans::int from pg_prepared_statements where statement = $1`,
      [text],
    );
    return rows;
  }

  it('prepares a statement with parameters once, and plans each execution for its values', async () => {
    await client.exec(`create table prepared_a (id int primary key, label text)`);
    const text = `select label from prepared_a where id = $1`;
    await wire.query(`insert into prepared_a values ($1, $2)`, [1, 'eins']);
    for (let i = 0; i < 12; i++) {
      expect((await wire.query(text, [1])).rows).toEqual([{ label: 'eins' }]);
    }
    // PostgreSQL's default would have switched to a generic plan after five executions.
    expect(await preparedOf(text)).toEqual([{ custom_plans: 12, generic_plans: 0 }]);
    // A statement without parameters is not prepared.
    await wire.query(`select count(*) from prepared_a`);
    expect(await preparedOf(`select count(*) from prepared_a`)).toEqual([]);
  });

  it('keeps a statement prepared in a transaction that was rolled back', async () => {
    const text = `select $1::int + 1 as v`;
    await wire.query('begin');
    expect((await wire.query(text, [1])).rows).toEqual([{ v: 2 }]);
    await wire.query('rollback');
    expect((await wire.query(text, [2])).rows).toEqual([{ v: 3 }]);
    expect(await preparedOf(text)).toHaveLength(1);
  });

  it('prepares again after a change of definitions, through the wire or around it', async () => {
    await client.exec(`create table prepared_b (id int primary key)`);
    const text = `select * from prepared_b where id > $1 order by id`;
    await wire.query(`insert into prepared_b values (1), (2)`);
    expect((await wire.query(text, [1])).rows).toEqual([{ id: 2 }]);

    // Through the wire: the statement is prepared anew before it runs next, in the same transaction
    // too (a migration's).
    await wire.query('begin');
    await wire.query(`alter table prepared_b add column label text default 'x'`);
    expect((await wire.query(text, [1])).rows).toEqual([{ id: 2, label: 'x' }]);
    await wire.query('commit');

    // Around the wire (PGlite.exec): PostgreSQL refuses the old statement's changed result once,
    // and outside a transaction block the wire prepares it again and runs it at once.
    await client.exec(`alter table prepared_b add column n int default 7`);
    expect((await wire.query(text, [1])).rows).toEqual([{ id: 2, label: 'x', n: 7 }]);

    // Inside a transaction block the refusal has aborted the transaction: the error reaches the
    // caller, and once the transaction is rolled back the statement runs again.
    await client.exec(`alter table prepared_b drop column n`);
    await wire.query('begin');
    const refused = await errorOf(() => wire.query(text, [1]));
    expect(refused.message).toMatch(/cached plan must not change result type/);
    await wire.query('rollback');
    expect((await wire.query(text, [1])).rows).toEqual([{ id: 2, label: 'x' }]);
    expect(await preparedOf(text)).toHaveLength(1);
  });

  it('prepares again when its statements were deallocated around it', async () => {
    const text = `select $1::text || '!' as v`;
    expect((await wire.query(text, ['a'])).rows).toEqual([{ v: 'a!' }]);
    await client.exec('deallocate all');
    expect((await wire.query(text, ['b'])).rows).toEqual([{ v: 'b!' }]);
    expect(await preparedOf(text)).toHaveLength(1);
  });

  it('does not prepare a statement whose text fails, and the session goes on', async () => {
    const failed = await errorOf(() => wire.query(`select $1::int from no_such_table`, [1]));
    expect(failed.code).toBe('42P01');
    expect(await preparedOf(`select $1::int from no_such_table`)).toEqual([]);
    expect((await wire.query(`select $1::int as v`, [5])).rows).toEqual([{ v: 5 }]);
  });

  it('closes its prepared statements when their texts grow too long together', async () => {
    // A batch's text with many rows is large; the database's memory never shrinks.
    const padding = ` /* ${'x'.repeat(400_000)} */`;
    const texts = [1, 2, 3].map((n) => `select $1::int + ${n} as v${padding}`);
    for (const [i, text] of texts.entries()) {
      expect((await wire.query(text, [1])).rows).toEqual([{ v: 2 + i }]);
    }
    const { rows } = await client.query<{ n: number }>(
      `select count(*)::int as n from pg_prepared_statements where length(statement) > 400000`,
    );
    // The third did not fit beside the first two (1,000,000 characters together): they were closed.
    expect(rows).toEqual([{ n: 1 }]);
  });
});
