import type { ASTVisitor, ValidationContext } from 'graphql';
import { characterCount } from '../../../catalog-schema/storable-text.ts';
import { queryLimitError } from './query-limit-error.ts';

/**
 * A validation rule: refuses a query text longer than `maxLength` characters, counted as Unicode code
 * points, as the README documents and a person counts them (an emoji is one character, though two
 * UTF-16 code units in a JS string). Parsing a long text is linear and bounded twice already
 * (MAX_BODY_BYTES, and the token limit aborts the parser), so the check can wait for validation; it
 * keeps oversized documents out of the parsed-document cache and the logs. Like every validation rule
 * it runs once per distinct query text.
 */
export function documentLengthRule(maxLength: number) {
  return (context: ValidationContext): ASTVisitor => ({
    Document(document) {
      const body = document.loc?.source.body ?? '';
      // A string has at least as many code units as code points: within the limit in code units
      // (nearly every query) means within it in characters, without counting.
      if (body.length <= maxLength) return false;
      const length = characterCount(body);
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
