import type { ASTVisitor, FieldNode, ValidationContext } from 'graphql';
import { queryLimitError } from './query-limit-error.ts';

/**
 * A validation rule: refuses a document with more than `maxAliases` aliased fields. Aliases let one
 * request ask for the same expensive field many times (`a: services(…) b: services(…) …`); a client
 * needs a handful. Counted over the whole document, fragments included once each.
 */
export function aliasLimitRule(maxAliases: number) {
  return (context: ValidationContext): ASTVisitor => {
    const aliased: FieldNode[] = [];
    return {
      Field(field) {
        if (field.alias) aliased.push(field);
      },
      Document: {
        leave() {
          if (aliased.length > maxAliases) {
            context.reportError(
              queryLimitError(
                'ALIASES',
                `The query uses ${aliased.length} aliases; at most ${maxAliases} are allowed. Send several requests instead.`,
                maxAliases,
                aliased.length,
                aliased.slice(maxAliases, maxAliases + 1),
              ),
            );
          }
        },
      },
    };
  };
}
