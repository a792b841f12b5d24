import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** The stable error codes a client can switch on (`extensions.code`). */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PRECONDITION_FAILED'
  | 'RATE_LIMITED'
  | 'QUERY_LIMIT_EXCEEDED'
  | 'INTERNAL_SERVER_ERROR';

/**
 * An error the caller caused and can act on. Thrown anywhere in the domain; translated once, at the
 * GraphQL boundary, into `extensions.code` plus `details` (for example the problems of a listing).
 */
export class UserError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'UserError';
    this.code = code;
    this.details = details;
  }
}

function hasOriginalError(error: unknown): error is { originalError: unknown } {
  return typeof error === 'object' && error !== null && 'originalError' in error;
}

/**
 * Apollo's formatError: user errors keep their code and details, anything unexpected is masked.
 * Without field suggestions (production), no message ends in "Did you mean …?": Apollo's
 * hideSchemaDetailsFromClientErrors removes them from validation errors only, and a variable's value
 * is checked after validation ("Field "lnd" is not defined by type "ServiceFilter". Did you mean
 * "land"?" named the input type's fields, and an enum's values the same way).
 */
export function createFormatError(options: { fieldSuggestions: boolean }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = maskError(formatted, error);
    if (options.fieldSuggestions || !SUGGESTION.test(result.message)) return result;
    return { ...result, message: result.message.replace(SUGGESTION, '') };
  };
}

const SUGGESTION = / ?Did you mean .+\?$/s;

/** User errors keep their code and details; anything unexpected is logged and masked. */
function maskError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = error instanceof GraphQLError || hasOriginalError(error) ? error.originalError : error;
  if (original instanceof UserError) {
    return {
      ...formatted,
      message: original.message,
      extensions: { ...formatted.extensions, code: original.code, ...original.details },
    };
  }
  if (isArgumentValueRefusal(error)) {
    return { ...formatted, extensions: { ...formatted.extensions, code: 'BAD_USER_INPUT' } };
  }
  const code = formatted.extensions?.code;
  if (code === undefined || code === 'INTERNAL_SERVER_ERROR') {
    // Unexpected failures are logged with their cause and never leak internals to the caller.
    if (original) console.error('internal error:', original);
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  }
  return formatted;
}

/**
 * graphql-js's wording when it refuses an argument's value during execution (getArgumentValues, for
 * field arguments and directives alike). Validation lets through a variable of nullable type where a
 * non-null value is required if the variable or the argument has a default; a request that sends
 * null for it is refused only while executing: "Argument "first" of non-null type "Int!" must not be
 * null." (OzgLeistung.services(first: Int! = 5) with `$n: Int`), or for `@skip(if: $x)`.
 */
const ARGUMENT_REFUSED = /^Argument "[^"]+" (?:of non-null type|of required type|has invalid value)/;

/**
 * Whether graphql-js refused an argument's value the request gave: the caller's mistake, to be
 * answered as BAD_USER_INPUT with graphql-js's message rather than masked. Such an error is a
 * GraphQLError of graphql-js's own, without a code and with the argument's node; on a field it comes
 * wrapped with the field's path (the refusal is its originalError), on a directive of the operation
 * as it is. Only this wording qualifies: graphql-js raises GraphQLErrors without a code for internal
 * failures too (a value a scalar cannot serialize, an abstract type not resolved), which stay masked.
 */
function isArgumentValueRefusal(error: unknown): boolean {
  if (!(error instanceof GraphQLError)) return false;
  const raised = error.originalError ?? error;
  return (
    raised instanceof GraphQLError &&
    // graphql-jit's errors may lack `extensions` (compiled-execution.ts, asGraphQLJsError).
    raised.extensions?.code === undefined &&
    (raised.nodes?.length ?? 0) > 0 &&
    ARGUMENT_REFUSED.test(raised.message)
  );
}
