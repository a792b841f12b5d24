import pg from 'pg';
import { SESSION_PLAN_CACHE_MODE } from './transaction-plans.ts';

/**
 * Row decoding for the `pg` driver without its per-statement set-up cost.
 *
 * For every statement `pg` builds its row template anew from the row description: an object without
 * prototype that gets one property per column, then a copy of it (about 8 µs for the 30 columns of a
 * service), and it builds each row by copying that template. With more than a handful of columns the
 * copy of such an object gets a hidden class of its own, so the rows of every execution of a
 * statement have a new one, and the code that reads them (resolvers, loaders) never sees the same
 * class twice: its property lookups stay on V8's slowest path. Under detail load that was about a
 * sixth of the gateway's CPU time. Here a statement's row description is turned, once per statement
 * text (at its second execution), into a function that builds a row as one object literal: the rows
 * of a statement share one hidden class, and later executions of the text only check that the
 * description is still the same.
 *
 * The rows are the same as `pg`'s: the same column names in the same order (a later column of the
 * same name wins, in the first one's place), the same type parsers (pg-types, resolved when a
 * statement is first seen), null for SQL NULL. What this does not handle goes to `pg`'s own code
 * unchanged: binary results, a column named `__proto__`, and every call other than
 * `query(text, values)` (query config objects, callbacks, submittables, cursors). Type parsers of a
 * client's own (`types`, `setTypeParser`) are refused: the shapes are shared by every client.
 */

interface FieldDescription {
  name: string;
  dataTypeID: number;
  format: string;
}

interface RowMessage {
  fields: FieldDescription[];
}

interface DataRowMessage {
  fields: (string | null)[];
}

export type BuildRow = (values: (string | null)[]) => Record<string, unknown>;

interface RowShape {
  fields: readonly { name: string; dataTypeID: number }[];
  build: BuildRow;
}

/** The parts of pg's Query that a subclass reaches (pg/lib/query.js). */
interface QueryInternals {
  text: string;
  _result: { fields: FieldDescription[]; rows: unknown[] };
  _canceledDueToError: unknown;
  _checkForMultirow(): void;
  handleRowDescription(message: RowMessage): void;
  handleDataRow(message: DataRowMessage): void;
}

/**
 * Statement texts whose row shape is compiled, and texts seen once, which `pg` decodes: a shape is
 * compiled at a text's second execution, so that statements sent once (a text with literals in it)
 * cost a set entry instead of a compilation. Each keeps at most MAX_SHAPES, the oldest goes first.
 */
const MAX_SHAPES = 500;
const shapes = new Map<string, RowShape>();
const seenOnce = new Set<string>();

const identity = pg.types.getTypeParser(25, 'text');

function sameFields(shape: RowShape, fields: FieldDescription[]): boolean {
  const known = shape.fields;
  if (known.length !== fields.length) return false;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    if (field.format !== 'text' || known[i]!.name !== field.name || known[i]!.dataTypeID !== field.dataTypeID)
      return false;
  }
  return true;
}

/**
 * A function that builds a row as one object literal from a DataRow's values `v`: fast properties,
 * the same hidden class for every row, no template to copy. `valueOf(i)` is the JavaScript expression
 * of column i's value (it may use `v`, the temporary `x` and the factory's argument `p`). A column
 * named `__proto__` would set the prototype: callers build such rows another way.
 */
export function compileRowLiteral<P>(
  names: readonly string[],
  valueOf: (i: number) => string,
): (p: P) => BuildRow {
  // Column names are data: JSON.stringify makes each a string literal, whatever it contains.
  const properties = names.map((name, i) => `${JSON.stringify(name)}: ${valueOf(i)}`);
  return new Function(
    'p',
    `'use strict'; return (v) => { let x; return { ${properties.join(', ')} }; };`,
  ) as (p: P) => BuildRow;
}

/** The shape of rows with these fields, decoded by the pg-types parsers. */
function compileShape(fields: FieldDescription[]): RowShape {
  const parsers = fields.map(
    (f) => pg.types.getTypeParser(f.dataTypeID, 'text') as (value: string) => unknown,
  );
  const build = compileRowLiteral<typeof parsers>(
    fields.map((f) => f.name),
    (i) => (parsers[i] === identity ? `v[${i}]` : `(x = v[${i}]) === null ? null : p[${i}](x)`),
  )(parsers);
  return { fields: fields.map(({ name, dataTypeID }) => ({ name, dataTypeID })), build };
}

/** The shape of `text`'s rows, or null where pg's own decoding must run. */
function shapeFor(text: string, fields: FieldDescription[]): RowShape | null {
  const known = shapes.get(text);
  if (known && sameFields(known, fields)) return known;
  if (!known && !seenOnce.has(text)) {
    if (seenOnce.size >= MAX_SHAPES) seenOnce.delete(seenOnce.values().next().value!);
    seenOnce.add(text);
    return null;
  }
  if (fields.some((f) => f.format !== 'text' || f.name === '__proto__')) return null;
  const shape = compileShape(fields);
  seenOnce.delete(text);
  if (shapes.size >= MAX_SHAPES) shapes.delete(shapes.keys().next().value!);
  shapes.set(text, shape);
  return shape;
}

/** How many statement texts have a compiled row shape (for tests). */
export function knownRowShapes(): number {
  return shapes.size;
}

const Query = pg.Query as unknown as new (
  config: { text: string; values?: unknown[]; name?: string },
  values: undefined,
  callback: (error: Error | undefined, result: pg.QueryResult) => void,
) => QueryInternals;

class LeanRowsQuery extends Query {
  #build: BuildRow | null = null;

  override handleRowDescription(message: RowMessage): void {
    const shape = shapeFor(this.text, message.fields);
    this.#build = shape?.build ?? null;
    if (!shape) {
      super.handleRowDescription(message);
      return;
    }
    this._checkForMultirow();
    this._result.fields = message.fields;
  }

  override handleDataRow(message: DataRowMessage): void {
    const build = this.#build;
    if (!build) {
      super.handleDataRow(message);
      return;
    }
    if (this._canceledDueToError) return;
    try {
      // A query made here has no 'row' listeners: every row is kept, as pg keeps them then.
      this._result.rows.push(build(message.fields));
    } catch (error) {
      // As pg does: the error ends the query once the server is done with it.
      this._canceledDueToError = error;
    }
  }
}

/**
 * A `pg` client whose `query(text, values)` decodes rows through compiled row shapes; the pool
 * creates its clients from it (`new pg.Pool({ Client: LeanRowsClient })`). kysely sends every
 * statement that way.
 */
export class LeanRowsClient extends pg.Client {
  readonly #prepares: boolean;
  /** This connection's named statement of each statement text it prepared. */
  readonly #names = new Map<string, string>();
  #nextName = 0;

  constructor(config?: string | LeanRowsClientConfig) {
    if (typeof config === 'object' && config.types)
      throw new Error('LeanRowsClient decodes rows with the pg-types parsers; it takes no types of its own');
    super(config);
    this.#prepares = typeof config === 'object' ? (config.prepareStatements ?? true) : true;
  }

  /**
   * Connects; a client that prepares its statements then sets SESSION_PLAN_CACHE_MODE
   * (`force_custom_plan`, transaction-plans.ts) for its session, so that every execution of a
   * prepared statement is planned for its values, as an unnamed statement is (bench/README.md,
   * "PostgreSQL connections prepare each statement once").
   */
  // @ts-expect-error pg's overloads: the callback form (pg-pool's) and the promise form, both kept.
  override connect(callback?: (error: Error | undefined) => void): Promise<void> | undefined {
    const connected = super.connect().then(async () => {
      if (this.#prepares) await super.query(`set plan_cache_mode = ${SESSION_PLAN_CACHE_MODE}`);
    });
    if (!callback) return connected;
    connected.then(
      () => callback(undefined),
      (error: Error) => callback(error),
    );
    return undefined;
  }

  override setTypeParser: pg.Client['setTypeParser'] = () => {
    throw new Error('LeanRowsClient decodes rows with the pg-types parsers; it takes no types of its own');
  };

  // @ts-expect-error pg's overloads: this one adds no signature, it narrows the common call.
  override query(config: unknown, values?: unknown, callback?: unknown): unknown {
    if (
      typeof config === 'string' &&
      (values === undefined || Array.isArray(values)) &&
      callback === undefined
    ) {
      return this.#run(config, values);
    }
    return (super.query as (...args: unknown[]) => unknown)(config, values, callback);
  }

  /**
   * Runs `text` with `values`; a statement with parameters as this connection's named statement of
   * its text, prepared at its first run. When the server refuses that statement (its name unknown:
   * deallocated, or a pooler between; its result changed shape: a table altered under a `select *`),
   * the text is prepared anew under a new name, at once unless a transaction block is open (the
   * error has aborted it; the caller's next attempt prepares it).
   */
  async #run(text: string, values: unknown[] | undefined, retried = false): Promise<pg.QueryResult> {
    const name = values && values.length > 0 ? this.#nameOf(text) : undefined;
    try {
      return await new Promise<pg.QueryResult>((resolve, reject) => {
        const query = new LeanRowsQuery({ text, values, name }, undefined, (error, result) =>
          error ? reject(error) : resolve(result),
        );
        (super.query as (submittable: unknown) => unknown)(query);
      });
    } catch (error) {
      const stale = name ? staleStatements(error) : undefined;
      if (stale) {
        if (stale === 'all') this.#names.clear();
        else this.#names.delete(text);
        if (!retried && this.getTransactionStatus() === 'I') return this.#run(text, values, true);
      }
      throw error;
    }
  }

  /** The name of `text`'s prepared statement, or undefined where it is not prepared. */
  #nameOf(text: string): string | undefined {
    if (!this.#prepares || text.length > MAX_PREPARED_TEXT_LENGTH) return undefined;
    const known = this.#names.get(text);
    if (known !== undefined) return known;
    // Statement texts are the program's own, so they are few; past the bound, the rest runs unnamed.
    if (this.#names.size >= MAX_PREPARED_STATEMENTS) return undefined;
    const name = `lean_rows_${this.#nextName++}`;
    this.#names.set(text, name);
    return name;
  }
}

export type LeanRowsClientConfig = pg.ClientConfig & {
  /** Whether statements with parameters are prepared once per connection. Default true. */
  prepareStatements?: boolean;
};

/** How many statement texts a connection prepares, and how long one may be; the rest runs unnamed. */
const MAX_PREPARED_STATEMENTS = 500;
const MAX_PREPARED_TEXT_LENGTH = 20_000;

/**
 * Which prepared statements of a session a server error about running one of them makes stale, for
 * both drivers (this client and pglite-wire.ts): `all` when the statement's name is unknown (its
 * session's statements are gone: deallocated, discarded, or another session answers behind a
 * pooler), `one` when its result changed shape ("cached plan must not change result type": a table
 * altered under a `select *`), else none. A stale statement is prepared anew under a new name; its
 * run is repeated at once only outside a transaction block, which the error has aborted.
 */
export function staleStatements(error: unknown): 'all' | 'one' | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === '26000') return 'all'; // invalid_sql_statement_name
  if (code === '0A000') return 'one'; // feature_not_supported
  return undefined;
}
