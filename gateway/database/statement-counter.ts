import type {
  Kysely,
  KyselyPlugin,
  LogEvent,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { addTablesNamed } from './tables-named.ts';

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
  return db.withPlugin(new StatementCountingPlugin(count));
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
  for (const observer of observers) observer(event.query);
  if (event.level === 'error' && process.env.LOG_SQL_ERRORS === 'true') {
    console.error('sql error', event.query.sql, event.error);
  }
}
