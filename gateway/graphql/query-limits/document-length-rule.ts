import type { ASTVisitor, ValidationContext } from 'graphql';
import { queryLimitError } from './query-limit-error.ts';

/**
 * A validation rule: refuses a query text longer than `maxLength` characters. Parsing a long text is
 * linear and bounded twice already (MAX_BODY_BYTES, and the token limit aborts the parser), so the
 * check can wait for validation; it keeps oversized documents out of the parsed-document cache and the
 * logs. Like every validation rule it runs once per distinct query text.
 */
export function documentLengthRule(maxLength: number) {
  return (context: ValidationContext): ASTVisitor => ({
    Document(document) {
      const length = document.loc?.source.body.length ?? 0;
      if (length > maxLength) {
        context.reportError(
          queryLimitError(
            'DOCUMENT_LENGTH',
            `The query is ${length} characters long; at most ${maxLength} are allowed.`,
            maxLength,
            length,
          ),
        );
      }
      return false;
    },
  });
}
