import { statementCountOf } from '../database/statement-counter.ts';
import type { GatewayMetrics } from '../http/metrics.ts';
import type { OperationHook } from './operation-hooks.ts';

/**
 * Records how many SQL statements each GraphQL request sent (a histogram in /metrics) and, when
 * `expose` is set (tests, benchmarks), reports it in the response as `extensions.sqlStatements`.
 */
export function sqlStatementCount(options: { expose: boolean; metrics: GatewayMetrics }): OperationHook {
  return {
    respond({ context, operation, result }) {
      const count = statementCountOf(context);
      if (count === undefined) return;
      options.metrics.sqlStatements.observe({ operation: operation?.operation ?? 'unknown' }, count);
      if (options.expose && result) result.extensions = { ...result.extensions, sqlStatements: count };
    },
  };
}
