import type { GraphQLSchema } from 'graphql';
import { Counter, type Registry } from 'prom-client';
import { isJsonObject } from '../../catalog-schema/json-object.ts';
import type { CompiledExecution } from './compiled-execution.ts';
import type { GatewayContext } from './context.ts';
import type { OperationHook, OutgoingResult } from './operation-hooks.ts';

const JSON_TYPE = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json; charset=utf-8';

/**
 * The response media type Apollo Server chooses for these Accept headers (none, what clients
 * commonly send); direct-execution.test.ts checks each against Apollo Server. Other Accept headers
 * are answered by Apollo Server, which negotiates them.
 */
export const CONTENT_TYPE_BY_ACCEPT: ReadonlyMap<string | undefined, string> = new Map([
  [undefined, JSON_TYPE],
  ['', JSON_TYPE],
  ['*/*', JSON_TYPE],
  ['application/json', JSON_TYPE],
  ['application/graphql-response+json', GRAPHQL_RESPONSE_TYPE],
  ['application/graphql-response+json,application/json;q=0.9', GRAPHQL_RESPONSE_TYPE],
  ['application/graphql-response+json, application/json;q=0.9', GRAPHQL_RESPONSE_TYPE],
]);

/** What became of a request for a known query: answered here, or why it went to Apollo Server. */
type Outcome = 'answered' | 'context_failed' | 'refused' | 'variables_refused' | 'errors';

export interface DirectAnswer {
  contentType: string;
  body: string;
}

export interface DirectExecution {
  /**
   * Answers a POSTed JSON body if it asks for a known query (compiled-execution.ts) and the answer
   * has no errors; undefined: Apollo Server must answer the request. `context` builds the request's
   * context, as Apollo Server would.
   */
  answer(
    body: unknown,
    accept: string | undefined,
    context: () => Promise<GatewayContext>,
  ): Promise<DirectAnswer | undefined>;
}

/**
 * Answers known queries without Apollo Server's request pipeline. Once Apollo Server has parsed,
 * validated and run a query text and its operation has been compiled, the same text needs none of
 * that again: its validity depends on the text alone. What depends on the request runs, and only
 * that: the request's context (credentials), the operation hooks' checks (the cost limit, which
 * reads the variables), the compiled operation, the hooks' reports (SQL statement count, response
 * cache), and the response as Apollo Server writes it. On a three-statement detail request the
 * pipeline was about a fifth of the gateway's CPU time (bench/README.md, "Where the time goes").
 *
 * Everything else goes to Apollo Server, whose answer is the reference: a body Apollo Server would
 * refuse or read differently (extensions, variables that are not an object), an Accept header not
 * in CONTENT_TYPE_BY_ACCEPT, credentials that fail, a refused check, variables that do not fit, and
 * an answer with errors. Only queries are known, so handing a request over after it ran repeats
 * reads, never writes; errors are rare, and Apollo Server formats them.
 */
export function directExecution(options: {
  execution: CompiledExecution;
  schema: GraphQLSchema;
  hooks: readonly OperationHook[];
  registry: Registry;
}): DirectExecution {
  const { execution, schema, hooks } = options;
  const requests = new Counter({
    name: 'catalogue_graphql_direct_requests_total',
    help: 'Requests for a known compiled query, by outcome: answered without Apollo Server, or handed to it (context_failed, refused, variables_refused, errors).',
    labelNames: ['outcome'],
    registers: [options.registry],
  });
  const count = (outcome: Outcome) => requests.inc({ outcome });

  return {
    async answer(body, accept, makeContext) {
      const contentType = CONTENT_TYPE_BY_ACCEPT.get(accept);
      if (contentType === undefined || !isJsonObject(body) || typeof body.query !== 'string')
        return undefined;
      const { operationName = null, variables = null, extensions = null } = body;
      if (operationName !== null && typeof operationName !== 'string') return undefined;
      if (variables !== null && !isJsonObject(variables)) return undefined;
      if (extensions !== null) return undefined;
      const known = execution.knownQuery(body.query, operationName);
      if (!known) return undefined;

      let context: GatewayContext;
      try {
        context = await makeContext();
      } catch {
        count('context_failed');
        return undefined;
      }
      const { document, operation } = known;
      const given = variables ?? {};
      try {
        for (const hook of hooks) hook.check?.({ operation, document, variables: given, schema });
      } catch {
        count('refused');
        return undefined;
      }
      const result = await known.execute(context, given);
      if (result === null) {
        count('variables_refused');
        return undefined;
      }
      if (result.errors?.length) {
        count('errors');
        return undefined;
      }
      const outgoing: OutgoingResult = result.extensions ? { extensions: { ...result.extensions } } : {};
      for (const hook of hooks) hook.respond?.({ context, operation, result: outgoing });
      count('answered');
      // As Apollo Server writes a single result: errors, data, extensions, and a newline.
      return {
        contentType,
        body: JSON.stringify({ data: result.data, extensions: outgoing.extensions }) + '\n',
      };
    },
  };
}
