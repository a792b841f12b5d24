import type { ApolloServerPlugin } from '@apollo/server';
import { Lexer, Source, TokenKind } from 'graphql';
import { queryLimitError } from './query-limit-error.ts';

/**
 * Refuses query texts that are too long (checked on every request, in constant time, before the
 * parsed-document cache is even asked) or that have too many tokens (counted only when a text is
 * parsed for the first time). Both are checked before parsing, so that an oversized document costs
 * no parse and no validation: some standard validation rules take time quadratic in the number of
 * fields.
 */
export function documentSizePlugin(options: { maxLength: number; maxTokens: number }): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveSource({ source }) {
          if (source.length > options.maxLength) {
            throw queryLimitError(
              'DOCUMENT_LENGTH',
              `The query is ${source.length} characters long; at most ${options.maxLength} are allowed.`,
              options.maxLength,
              source.length,
            );
          }
        },
        async parsingDidStart({ source }) {
          const tokens = countTokens(source, options.maxTokens + 1);
          if (tokens > options.maxTokens) {
            throw queryLimitError(
              'DOCUMENT_TOKENS',
              `The query has more than ${options.maxTokens} tokens (names, punctuation, values), the most allowed.`,
              options.maxTokens,
              tokens,
            );
          }
        },
      };
    },
  };
}

/** Counts lexical tokens up to `stopAt`; a text that does not lex is left to the parser to report. */
function countTokens(text: string, stopAt: number): number {
  const lexer = new Lexer(new Source(text));
  let count = 0;
  try {
    while (count < stopAt && lexer.advance().kind !== TokenKind.EOF) count++;
  } catch {
    // a syntax error: the parser reports it with its position
  }
  return count;
}
