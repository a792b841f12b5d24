import {
  sql,
  type Kysely,
  type KyselyPlugin,
  type LogEvent,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryExecutorProvider,
  type RawBuilder,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import { addTablesNamed, addTablesNamedInText } from './tables-named.ts';

/** How many SQL statements one request sent so far, and, when asked for, which tables they named. */
export interface StatementCount {
  statements: number;
  /** Set by `recordTablesNamed`: the tables to look for, and those found so far. */
  tables?: { among: ReadonlySet<string>; named: Set<string> };
}

/** Counts every statement compiled through the Kysely instance it is attached to. */
class StatementCountingPlugin implements KyselyPlugin {
  readonly #count: StatementCount;

  constructor(count: StatementCount) {
    this.#count = count;
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.#count.statements++;
    const tables = this.#count.tables;
    if (tables) addTablesNamed(args.node, tables.among, tables.named);
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

/**
 * A view of `db` that counts into `count` every statement sent through it, through transactions
 * begun on it and through loaders built on it. Each GraphQL request reads and writes through its own
 * view (`context.db`), so a request's statements are its own without AsyncLocalStorage, whose promise
 * hooks cost about a sixth of a simple request's CPU time on Node.js 20. Code serving a request must
 * therefore use `context.db`, not a database handle it kept from elsewhere.
 */
export function countingDatabase<DB>(db: Kysely<DB>, count: StatementCount): Kysely<DB> {
  const view = db.withPlugin(new StatementCountingPlugin(count));
  countingViews.set(view, { count, base: db });
  return view;
}

/** Each counting view's count and the handle it views, for `readRows`. */
const countingViews = new WeakMap<object, { count: StatementCount; base: object }>();

/** Runs one read statement on a database's driver: its rows. */
export type DirectRead = (text: string, values: readonly unknown[]) => Promise<unknown[]>;

const directReads = new WeakMap<object, DirectRead>();

/**
 * Lets `readRows` run statements on `db` and on its counting views through `read`, straight on the
 * driver instead of through kysely's executor. `read` must run a statement as kysely runs one outside
 * a transaction: on a free connection of a PostgreSQL pool, or in the next turn of embedded
 * PostgreSQL's one session (PGliteDialect.read), never inside another caller's transaction.
 */
export function allowDirectReads<DB>(db: Kysely<DB>, read: DirectRead): void {
  directReads.set(db, read);
}

/**
 * Runs the read statement `text` (a fixed text of the code's own, parameters `$1` to `$n` in order)
 * with `values` on `db` and returns its rows, counted, noted and observed as any statement sent
 * through `db` is. On a request's counting view of a handle that `allowDirectReads` allowed, the
 * statement goes straight to the driver: kysely's executor (connection provider, the request's
 * plugin, log hook, result transformation, a promise each) and building the statement took 7 to 13 %
 * of the gateway's CPU time per service detail (bench/README.md, "Where the time goes"). Made
 * for the loaders' reads, which every request makes. Anywhere else (a transaction, which is no
 * counting view), the statement goes through kysely as `sql` would send it.
 */
export async function readRows<R>(
  db: QueryExecutorProvider,
  text: string,
  values: readonly unknown[],
): Promise<R[]> {
  const view = countingViews.get(db);
  const direct = view && directReads.get(view.base);
  if (!direct) return (await rawStatement<R>(text, values).execute(db)).rows;
  view.count.statements++;
  const tables = view.count.tables;
  if (tables) addTablesNamedInText(text, tables.among, tables.named);
  const statement: SentStatement = { sql: text, parameters: values };
  notifyObservers(statement);
  try {
    return (await direct(text, values)) as R[];
  } catch (error) {
    logFailure(statement, error);
    throw error;
  }
}

/** `text` as kysely's `sql` template would have built it, with `values` for `$1` to `$n`. */
function rawStatement<R>(text: string, values: readonly unknown[]): RawBuilder<R> {
  const placeholders = Array.from(text.matchAll(/\$(\d+)/g), (m) => Number(m[1]));
  if (placeholders.length !== values.length || placeholders.some((n, i) => n !== i + 1)) {
    throw new Error(
      `readRows: the statement's parameters must be $1 to $${values.length}, in order, once each`,
    );
  }
  const fragments = text.split(/\$\d+/);
  return sql<R>(
    Object.assign(fragments, { raw: [...fragments] }) as unknown as TemplateStringsArray,
    ...values,
  );
}

const COUNT = Symbol('sql statement count');

/** Keeps a request's statement count on its GraphQL context (plugins see a copy of the context). */
export function attachStatementCount<T extends object>(context: T, count: StatementCount): T {
  (context as { [COUNT]?: StatementCount })[COUNT] = count;
  return context;
}

/** The statements the request with this context sent, or undefined when they are not counted. */
export function statementCountOf(context: object): number | undefined {
  return (context as { [COUNT]?: StatementCount })[COUNT]?.statements;
}

/**
 * From now on, notes which of `tables` the statements of the request with this context name (see
 * `addTablesNamed`), and returns the set it fills; undefined when the request's statements are not
 * counted. The response cache drops an answer when one of the tables it read changes.
 */
export function recordTablesNamed(context: object, tables: ReadonlySet<string>): Set<string> | undefined {
  const count = (context as { [COUNT]?: StatementCount })[COUNT];
  if (!count) return undefined;
  count.tables ??= { among: tables, named: new Set() };
  return count.tables.named;
}

/** One SQL statement as sent: its text and bind parameters. */
export interface SentStatement {
  sql: string;
  parameters: readonly unknown[];
}

const observers = new Set<(statement: SentStatement) => void>();

/**
 * Calls `observer` with every statement the process sends, until the returned function is called.
 * The benchmark records the gateway's SQL with it to replay exactly those statements in its baseline.
 */
export function observeStatements(observer: (statement: SentStatement) => void): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

/** kysely's log hook: hands each executed statement to the observers; logs failures on request. */
export function logStatement(event: LogEvent): void {
  notifyObservers(event.query);
  if (event.level === 'error') logFailure(event.query, event.error);
}

function notifyObservers(statement: SentStatement): void {
  for (const observer of observers) observer(statement);
}

function logFailure(statement: SentStatement, error: unknown): void {
  if (process.env.LOG_SQL_ERRORS === 'true') console.error('sql error', statement.sql, error);
}
