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

/** Apollo's formatError: user errors keep their code and details, anything unexpected is masked. */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
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
