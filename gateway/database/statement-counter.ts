import { AsyncLocalStorage } from 'node:async_hooks';
import type { LogEvent } from 'kysely';

interface StatementCount {
  statements: number;
}

const storage = new AsyncLocalStorage<StatementCount>();

/** Runs `fn` counting the SQL statements it sends (also those of DataLoader batches it schedules). */
export function countStatements<T>(fn: () => T): { result: T; count: StatementCount } {
  const count = { statements: 0 };
  return { result: storage.run(count, fn), count };
}

/** The statements counted so far in the current asynchronous context, or undefined outside one. */
export function currentStatementCount(): number | undefined {
  return storage.getStore()?.statements;
}

/** kysely's log hook: attributes each executed statement to the request that sent it. */
export function logStatement(event: LogEvent): void {
  const count = storage.getStore();
  if (count) count.statements++;
  if (event.level === 'error' && process.env.LOG_SQL_ERRORS === 'true') {
    console.error('sql error', event.query.sql, event.error);
  }
}
