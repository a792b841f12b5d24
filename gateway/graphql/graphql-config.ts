import { booleanSetting, integerSetting } from '../env-settings.ts';
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from './query-limits/query-limit-error.ts';

/** How the GraphQL endpoint protects itself and caches; built from the environment by `graphqlConfigFromEnv`. */
export interface GraphQLConfig {
  /**
   * Operations are compiled (graphql-jit) at their n-th execution (GRAPHQL_COMPILE_AFTER_USES);
   * 0 turns compilation off and graphql-js interprets every request. Default 2.
   */
  compileAfterUses: number;
  /**
   * Suggest similar field and type names in validation errors ("Did you mean …?"), which reveals the
   * schema to anyone (GRAPHQL_FIELD_SUGGESTIONS). Default: on in demo mode, off in production.
   */
  fieldSuggestions: boolean;
  /** Limits on every query document (gateway/graphql/query-limits/). */
  limits: QueryLimits;
  /**
   * Upper bound of the response cache in bytes (RESPONSE_CACHE_MAX_BYTES); 0 turns the cache off.
   * Default 32 MiB.
   */
  responseCacheMaxBytes: number;
  /**
   * Longest time a cached response is served although nothing changed, in seconds
   * (RESPONSE_CACHE_TTL_SECONDS): a bound for answers that depend on the clock. Default 60.
   */
  responseCacheTtlSeconds: number;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  return integerSetting(name, env[name], fallback, min, max);
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  return booleanSetting(name, env[name], fallback);
}

/** Reads GRAPHQL_COMPILE_AFTER_USES, GRAPHQL_FIELD_SUGGESTIONS, the GRAPHQL_MAX_* limits and RESPONSE_CACHE_*. */
export function graphqlConfigFromEnv(env: NodeJS.ProcessEnv, production: boolean): GraphQLConfig {
  const d = DEFAULT_QUERY_LIMITS;
  return {
    compileAfterUses: integer(env, 'GRAPHQL_COMPILE_AFTER_USES', 2, 0, 1_000_000),
    fieldSuggestions: flag(env, 'GRAPHQL_FIELD_SUGGESTIONS', !production),
    limits: {
      maxDepth: integer(env, 'GRAPHQL_MAX_DEPTH', d.maxDepth, 1, 100),
      maxAliases: integer(env, 'GRAPHQL_MAX_ALIASES', d.maxAliases, 0, 10_000),
      maxCost: integer(env, 'GRAPHQL_MAX_COST', d.maxCost, 1, 100_000_000),
      maxDocumentLength: integer(env, 'GRAPHQL_MAX_DOCUMENT_LENGTH', d.maxDocumentLength, 100, 10_000_000),
      maxDocumentTokens: integer(env, 'GRAPHQL_MAX_DOCUMENT_TOKENS', d.maxDocumentTokens, 10, 1_000_000),
    },
    responseCacheMaxBytes: integer(env, 'RESPONSE_CACHE_MAX_BYTES', 32 * 1024 * 1024, 0, 4 * 1024 ** 3),
    responseCacheTtlSeconds: integer(env, 'RESPONSE_CACHE_TTL_SECONDS', 60, 1, 86_400),
  };
}
