import type { ApolloServerPlugin } from '@apollo/server';
import { statementCountOf } from '../database/statement-counter.ts';
import type { GatewayMetrics } from '../http/metrics.ts';

/**
 * Records how many SQL statements each GraphQL request sent (a histogram in /metrics) and, when
 * `expose` is set (tests, benchmarks), reports it in the response as `extensions.sqlStatements`.
 */
export function sqlStatementCountPlugin(options: {
  expose: boolean;
  metrics: GatewayMetrics;
}): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response, operation }) {
          const count = statementCountOf(contextValue);
          if (count === undefined) return;
          options.metrics.sqlStatements.observe({ operation: operation?.operation ?? 'unknown' }, count);
          if (options.expose && response.body.kind === 'single') {
            response.body.singleResult.extensions = {
              ...response.body.singleResult.extensions,
              sqlStatements: count,
            };
          }
        },
      };
    },
  };
}
