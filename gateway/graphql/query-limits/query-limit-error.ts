import { GraphQLError, type ASTNode } from 'graphql';
import { UserError } from '../../errors.ts';

/** Which limit a query exceeded (`extensions.limit`). */
export type QueryLimit = 'DEPTH' | 'ALIASES' | 'COST' | 'DOCUMENT_LENGTH' | 'DOCUMENT_TOKENS';

/** The limits the gateway puts on one GraphQL document; see the README's configuration table. */
export interface QueryLimits {
  /** Deepest nesting of fields (GRAPHQL_MAX_DEPTH). Default 10. */
  maxDepth: number;
  /** Most aliased fields in one document (GRAPHQL_MAX_ALIASES). Default 20. */
  maxAliases: number;
  /** Highest estimated cost, see cost-limit.ts (GRAPHQL_MAX_COST). Default 20000. */
  maxCost: number;
  /** Longest query text in characters (GRAPHQL_MAX_DOCUMENT_LENGTH). Default 20000. */
  maxDocumentLength: number;
  /** Most lexical tokens in the query text (GRAPHQL_MAX_DOCUMENT_TOKENS). Default 1000. */
  maxDocumentTokens: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxDepth: 10,
  maxAliases: 20,
  maxCost: 20000,
  maxDocumentLength: 20000,
  maxDocumentTokens: 1000,
};

/**
 * The error for a query over a limit: `extensions.code` QUERY_LIMIT_EXCEEDED with `limit`, `maximum`
 * and `actual`, HTTP 400. It carries a UserError as its cause, which formatError turns into the code
 * even where Apollo wraps it (validation errors become GRAPHQL_VALIDATION_FAILED otherwise).
 */
export function queryLimitError(
  limit: QueryLimit,
  message: string,
  maximum: number,
  actual: number,
  nodes?: readonly ASTNode[],
): GraphQLError {
  const cause = new UserError('QUERY_LIMIT_EXCEEDED', message, { limit, maximum, actual });
  return new GraphQLError(message, {
    nodes,
    originalError: cause,
    extensions: { http: { status: 400 } },
  });
}
