import type {
  GatewayExecutor,
  GatewayInterface,
  GatewaySchemaLoadOrUpdateCallback,
} from '@apollo/server-gateway-interface';
import {
  BREAK,
  execute,
  getNamedType,
  getVariableValues,
  GraphQLError,
  isEnumType,
  isInputObjectType,
  isNonNullType,
  isSpecifiedScalarType,
  Kind,
  printSchema,
  typeFromAST,
  TypeInfo,
  ValidationContext,
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

/** A compiled operation and what it needs checked before it may run a request's variables. */
interface CompiledOperation {
  query: CompiledQuery;
  /**
   * Variables of nullable type that stand where a non-null value is required, which validation
   * allows when the variable or the argument has a default (`$x: Boolean = true` in `@skip(if: $x)`,
   * `$n: Int` for `first: Int! = 5`). Sent as null, graphql-js refuses them during execution
   * ("Argument "if" of non-null type "Boolean!" must not be null."); graphql-jit does not: it
   * compiles @skip/@include as `$x === true`/`=== false` and so includes or omits the field
   * silently. A request sending null for one of them is run by graphql-js.
   */
  nullRefused: readonly string[];
  /**
   * graphql-js's variable coercion, for operations with input-object variables only: graphql-jit
   * accepts any JSON object for an input object, arrays too, where graphql-js refuses them
   * ("Expected type "ServiceFilter" to be an object."). Operations without such variables skip it,
   * so that they pay nothing for it.
   */
  coerce?: (variables: Record<string, unknown>) => boolean;
}

interface OperationEntry {
  uses: number;
  /** The compiled operation; `null` when graphql-jit declined to compile it (graphql-js runs it). */
  compiled?: CompiledOperation | null;
  /** The query texts and operation names under which `knownQuery` finds this operation. */
  knownAs?: [text: string, operationName: string | null][];
}

/** A query Apollo Server has parsed, validated and run, kept compiled (direct-execution.ts). */
export interface KnownQuery {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /**
   * Runs the compiled operation with a request's context and variables; null when the variables do
   * not fit it, which only Apollo Server can answer as clients expect (400, BAD_USER_INPUT), or hold
   * a null that graphql-js refuses while executing (CompiledOperation.nullRefused).
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
 * uncached detail request (bench/README.md, "Where the time goes").
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
  const compile = (document: DocumentNode, operation: OperationDefinitionNode): CompiledOperation | null => {
    if (holdsVariableInLiteral(document) || defaultsBeyondJson(schema, operation)) return null;
    const operationName = operation.name?.value ?? null;
    try {
      const compiled = compileQuery(schema, document, operationName ?? undefined);
      if (isCompiledQuery(compiled)) {
        return {
          query: compiled,
          nullRefused: nullRefusedVariables(schema, document, operation),
          coerce: variableCoercion(schema, operation),
        };
      }
    } catch (error) {
      console.error(
        `operation ${operationName ?? '(anonymous)'} runs interpreted: compiling it failed:`,
        error,
      );
    }
    return null;
  };

  /**
   * Runs a compiled operation; null when graphql-js must run the request instead: the variables were
   * refused before anything ran, or they hold a value graphql-jit would not treat as graphql-js does.
   */
  const run = async (
    compiled: CompiledOperation,
    context: object,
    variables: Record<string, unknown>,
  ): Promise<ExecutionResult | null> => {
    for (const name of compiled.nullRefused) {
      if (Object.hasOwn(variables, name) && variables[name] == null) return null;
    }
    if (compiled.coerce && !compiled.coerce(variables)) return null;
    const result: ExecutionResult = await compiled.query.query(undefined, context, variables);
    if (result.errors?.length && result.data === undefined) return null;
    return result.errors ? { ...result, errors: result.errors.map(asGraphQLJsError) } : result;
  };

  // Registers a compiled query under the text and operation name it was requested by.
  const remember = (
    entry: OperationEntry,
    compiled: CompiledOperation,
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
    // graphql-js gets the operation name as the request gave it, as without this executor: Apollo
    // Server's `operationName` is the name of the operation it resolved, null for none. With no
    // operation resolved (an unknown name, several operations and no name), graphql-js reports why,
    // and Apollo Server answers that as OPERATION_RESOLUTION_FAILURE (400).
    const { document, operation, context, request, source } = requestContext;
    const operationName = request.operationName ?? null;
    if (options.compileAfterUses === 0 || !operation) {
      return interpret(document, operationName, context, request.variables);
    }
    const entry = entryOf(operation);
    entry.uses++;
    if (entry.compiled === undefined && entry.uses >= options.compileAfterUses) {
      entry.compiled = compile(document, operation);
    }
    if (!entry.compiled) return interpret(document, operationName, context, request.variables);
    if (operation.operation === 'query') {
      remember(entry, entry.compiled, source, operationName, document, operation);
    }
    // No data at all: the variables were refused before anything ran, or hold what only graphql-js
    // treats right. graphql-js words such errors the way Apollo Server classifies them
    // (BAD_USER_INPUT, status 400).
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

/**
 * Whether a variable's default value may hold a custom scalar (`$until: DateTime = "2027-06-30T00:00:00Z"`,
 * or an input object that has such a field). graphql-jit parses a default when it compiles and
 * inlines it through JSON.stringify: the resolver then gets the scalar's serialised text instead of its
 * parsed value (a string where graphql-js gives a Date, and recordCheck failed as an internal error).
 * Such operations run interpreted; defaults of built-in scalars and enums are the same in JSON.
 */
function defaultsBeyondJson(schema: GraphQLSchema, operation: OperationDefinitionNode): boolean {
  return (operation.variableDefinitions ?? []).some((definition) => {
    if (!definition.defaultValue) return false;
    const type = typeFromAST(schema, definition.type);
    const named = type && getNamedType(type);
    // An input object or a custom scalar: whatever is neither a built-in scalar nor an enum.
    return named !== undefined && !isSpecifiedScalarType(named) && !isEnumType(named);
  });
}

/**
 * The operation's variables of nullable type used where a non-null value is required, in the
 * operation or the fragments it spreads (CompiledOperation.nullRefused). Validation allows these
 * only with a default, so they matter only when a request sends null explicitly.
 */
function nullRefusedVariables(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
): string[] {
  const nullable = new Set<string>();
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.type.kind !== Kind.NON_NULL_TYPE) nullable.add(definition.variable.name.value);
  }
  if (nullable.size === 0) return [];
  // graphql-js's own record of where each variable stands and which type that place expects.
  const usages = new ValidationContext(schema, document, new TypeInfo(schema), () => {});
  const refused = new Set<string>();
  for (const { node, type } of usages.getRecursiveVariableUsages(operation)) {
    if (type && isNonNullType(type) && nullable.has(node.name.value)) refused.add(node.name.value);
  }
  return [...refused];
}

/**
 * For an operation with a variable of input-object type (also in a list), a check that graphql-js
 * accepts a request's variables (CompiledOperation.coerce); undefined for other operations.
 * graphql-js's coercion only decides: the compiled query coerces the variables itself.
 */
function variableCoercion(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
): ((variables: Record<string, unknown>) => boolean) | undefined {
  const definitions = operation.variableDefinitions ?? [];
  const withInputObject = definitions.some((definition) => {
    const type = typeFromAST(schema, definition.type);
    return type !== undefined && isInputObjectType(getNamedType(type));
  });
  if (!withInputObject) return undefined;
  // The first error decides; graphql-js finds and words them all when it runs the request.
  return (variables) => !getVariableValues(schema, definitions, variables, { maxErrors: 1 }).errors;
}
