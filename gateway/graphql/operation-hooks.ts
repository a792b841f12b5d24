import type { ApolloServerPlugin } from '@apollo/server';
import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { GatewayContext } from './context.ts';

/** A response's single result as it is about to be sent: `extensions` may still be changed. */
export interface OutgoingResult {
  errors?: readonly unknown[];
  extensions?: Record<string, unknown>;
}

/**
 * What the gateway does for every GraphQL operation besides executing it: the checks before and
 * the reports after. Both ways a request can be answered run the same list, in the same order:
 * Apollo Server's pipeline (`apolloPluginOf`) and the direct execution of a known query
 * (direct-execution.ts), so that neither can skip a check the other makes.
 */
export interface OperationHook {
  /** Once the operation is known, before anything runs: throw a GraphQLError to refuse the request. */
  check?(args: {
    operation: OperationDefinitionNode;
    document: DocumentNode;
    variables: Record<string, unknown>;
    schema: GraphQLSchema;
  }): void;
  /**
   * Before the response is sent. `operation` is undefined when the request failed before one was
   * chosen; `result` is undefined for a response that is not a single result (incremental delivery).
   */
  respond?(args: {
    context: GatewayContext;
    operation: OperationDefinitionNode | undefined;
    result: OutgoingResult | undefined;
  }): void;
}

/** The hook as an Apollo Server plugin: `check` at didResolveOperation, `respond` at willSendResponse. */
export function apolloPluginOf(hook: OperationHook): ApolloServerPlugin<GatewayContext> {
  const { check, respond } = hook;
  return {
    async requestDidStart() {
      return {
        ...(check && {
          async didResolveOperation({ operation, document, request, schema }) {
            if (operation) check({ operation, document, variables: request.variables ?? {}, schema });
          },
        }),
        ...(respond && {
          async willSendResponse({ contextValue, operation, response }) {
            respond({
              context: contextValue,
              operation,
              result: response.body.kind === 'single' ? response.body.singleResult : undefined,
            });
          },
        }),
      };
    },
  };
}
