import type {
  GatewayExecutor,
  GatewayInterface,
  GatewaySchemaLoadOrUpdateCallback,
} from '@apollo/server-gateway-interface';
import {
  BREAK,
  execute,
  GraphQLError,
  Kind,
  printSchema,
  visit,
  type ASTNode,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

export interface CompiledExecutionOptions {
  /**
   * An operation is compiled at its n-th execution (GRAPHQL_COMPILE_AFTER_USES); 0 never compiles.
   * Compiling costs far more than one execution, so a query sent once is not worth it, and a client
   * sending ever new queries must not make the server compile each of them.
   */
  compileAfterUses: number;
  /** At most this many operations are counted or kept compiled; the least recently used goes first. */
  maxOperations: number;
}

interface OperationEntry {
  uses: number;
  /** The compiled operation; `null` when graphql-jit declined to compile it (graphql-js runs it). */
  compiled?: CompiledQuery | null;
  /** The query texts and operation names under which `knownQuery` finds this operation. */
  knownAs?: [text: string, operationName: string | null][];
}

/** A query Apollo Server has parsed, validated and run, kept compiled (direct-execution.ts). */
export interface KnownQuery {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /**
   * Runs the compiled operation with a request's context and variables; null when the variables do
   * not fit it, which only Apollo Server can answer as clients expect (400, BAD_USER_INPUT).
   */
  execute(context: object, variables: Record<string, unknown>): Promise<ExecutionResult | null>;
}

export interface CompiledExecution {
  /** Hand this to Apollo Server as its `gateway`: it serves `schema` and executes with `execute`. */
  gateway: GatewayInterface;
  /** How many operations are compiled now (tests, metrics). */
  compiledOperations(): number;
  /**
   * The compiled query operation this exact query text and operation name (as the request gave
   * it, or null) selected when Apollo Server last ran it; undefined for anything else: a text not
   * seen, not yet compiled or dropped again, a mutation.
   */
  knownQuery(text: string, operationName: string | null): KnownQuery | undefined;
}

/**
 * graphql-jit's errors only borrow GraphQLError's prototype: they lack `extensions` when the thrown
 * error had none, and `nodes`. Plugins, Apollo Server and formatError get errors built as graphql-js
 * builds them, with the same message, locations, path and original error.
 */
function asGraphQLJsError(error: GraphQLError): GraphQLError {
  if (error.constructor === GraphQLError) return error;
  const rebuilt = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
    ...(error.extensions && { extensions: error.extensions }),
  });
  (rebuilt as { locations: GraphQLError['locations'] }).locations = error.locations;
  return rebuilt;
}

/**
 * Executes the operations Apollo Server has parsed and validated, compiling the hot ones with
 * graphql-jit. graphql-js interprets an operation anew on every request (collecting fields, looking
 * up definitions and resolvers, coercing arguments); a compiled operation is a function that does
 * only the work this operation needs, which takes about a seventh of the gateway's CPU time off an
 * uncached detail request (README, Performance).
 *
 * Apollo Server 5 lets a custom executor in only through its gateway interface, which Apollo
 * Federation's gateway uses; here it serves our own schema, never changes it, and fetches nothing.
 * Everything before execution stays Apollo's: parsing, the document cache, validation with the
 * query limits, plugins, error formatting and HTTP. Results are the same as graphql-js gives (the
 * whole test suite runs compiled, and compiled-execution.test.ts compares both); a request whose
 * variables do not fit the operation is executed by graphql-js, so that its errors are exactly the
 * ones Apollo Server recognises and answers with 400.
 */
export function compiledExecution(
  schema: GraphQLSchema,
  options: CompiledExecutionOptions,
): CompiledExecution {
  // Apollo Server's document cache hands out the same DocumentNode for the same query text, so the
  // operation's node in it is the key: one document may hold several operations, chosen by
  // operationName. A Map keeps insertion order: re-inserting on use makes it an LRU.
  const operations = new Map<OperationDefinitionNode, OperationEntry>();
  // The compiled queries by text, then by the operation name the request gave; only operations that
  // are in `operations` and compiled, so it is bounded by maxOperations too.
  const known = new Map<string, Map<string | null, KnownQuery>>();

  const forget = (entry: OperationEntry) => {
    for (const [text, name] of entry.knownAs ?? []) {
      const byName = known.get(text);
      byName?.delete(name);
      if (byName?.size === 0) known.delete(text);
    }
  };

  const entryOf = (operation: OperationDefinitionNode): OperationEntry => {
    let entry = operations.get(operation);
    if (entry) {
      operations.delete(operation);
    } else {
      entry = { uses: 0 };
      if (operations.size >= options.maxOperations) {
        const [oldest, dropped] = operations.entries().next().value!;
        operations.delete(oldest);
        forget(dropped);
      }
    }
    operations.set(operation, entry);
    return entry;
  };

  const interpret = (
    document: DocumentNode,
    operationName: string | null,
    context: object,
    variables?: Record<string, unknown>,
  ) => execute({ schema, document, operationName, contextValue: context, variableValues: variables });

  // An operation graphql-jit cannot compile runs interpreted, as it did before compiled execution.
  const compile = (document: DocumentNode, operationName: string | null): CompiledQuery | null => {
    if (holdsVariableInLiteral(document)) return null;
    try {
      const compiled = compileQuery(schema, document, operationName ?? undefined);
      if (isCompiledQuery(compiled)) return compiled;
    } catch (error) {
      console.error(
        `operation ${operationName ?? '(anonymous)'} runs interpreted: compiling it failed:`,
        error,
      );
    }
    return null;
  };

  /** Runs a compiled operation; null when it refused the variables before anything ran. */
  const run = async (compiled: CompiledQuery, context: object, variables: Record<string, unknown>) => {
    const result: ExecutionResult = await compiled.query(undefined, context, variables);
    if (result.errors?.length && result.data === undefined) return null;
    return result.errors ? { ...result, errors: result.errors.map(asGraphQLJsError) } : result;
  };

  // Registers a compiled query under the text and operation name it was requested by.
  const remember = (
    entry: OperationEntry,
    compiled: CompiledQuery,
    text: string,
    name: string | null,
    document: DocumentNode,
    operation: OperationDefinitionNode,
  ) => {
    let byName = known.get(text);
    if (byName?.has(name)) return;
    if (!byName) known.set(text, (byName = new Map()));
    byName.set(name, {
      document,
      operation,
      execute: (context, variables) => run(compiled, context, variables),
    });
    (entry.knownAs ??= []).push([text, name]);
  };

  const executor: GatewayExecutor = async (requestContext) => {
    const { document, operation, operationName, context, request, source } = requestContext;
    if (options.compileAfterUses === 0) {
      return interpret(document, operationName, context, request.variables);
    }
    const entry = entryOf(operation);
    entry.uses++;
    if (entry.compiled === undefined && entry.uses >= options.compileAfterUses) {
      entry.compiled = compile(document, operationName);
    }
    if (!entry.compiled) return interpret(document, operationName, context, request.variables);
    if (operation.operation === 'query') {
      remember(entry, entry.compiled, source, request.operationName ?? null, document, operation);
    }
    // No data at all: the variables were refused before anything ran. graphql-js words such errors
    // the way Apollo Server classifies them (BAD_USER_INPUT, status 400).
    return (
      (await run(entry.compiled, context, request.variables ?? {})) ??
      interpret(document, operationName, context, request.variables)
    );
  };

  const knownQuery = (text: string, operationName: string | null): KnownQuery | undefined => {
    const found = known.get(text)?.get(operationName);
    // A use, for the LRU order: only kept operations are known, so this finds the entry.
    if (found) entryOf(found.operation);
    return found;
  };

  const gateway: GatewayInterface = {
    onSchemaLoadOrUpdate(callback: GatewaySchemaLoadOrUpdateCallback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => {};
    },
    load: async () => ({ executor }),
    stop: async () => {
      operations.clear();
      known.clear();
    },
  };
  // Counted when asked (a metrics scrape): at most maxOperations entries.
  const compiledOperations = () => {
    let count = 0;
    for (const entry of operations.values()) if (entry.compiled) count++;
    return count;
  };
  return { gateway, compiledOperations, knownQuery };
}

/**
 * Whether a variable stands inside an object or list literal (`publishService(listing: { id: $id })`).
 * graphql-jit reads literal arguments once, when it compiles, without the variables: a custom
 * scalar's parseLiteral (the JSON scalar reads variables there) would see none, and every later
 * request would get the first one's answer or a refusal. Such operations run interpreted.
 */
function holdsVariableInLiteral(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Variable(_node, _key, _parent, _path, ancestors: readonly (ASTNode | readonly ASTNode[])[]) {
      const inLiteral = ancestors.some(
        (a) =>
          !Array.isArray(a) && ((a as ASTNode).kind === Kind.OBJECT || (a as ASTNode).kind === Kind.LIST),
      );
      if (!inLiteral) return undefined;
      found = true;
      return BREAK;
    },
  });
  return found;
}
