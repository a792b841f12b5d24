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
