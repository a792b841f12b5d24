import type { ASTVisitor, FragmentDefinitionNode, SelectionSetNode, ValidationContext } from 'graphql';
import { queryLimitError } from './query-limit-error.ts';

/**
 * A validation rule: refuses an operation whose fields nest deeper than `maxDepth`
 * (`{ services { edges { node { id } } } }` has depth 4). Fragments count where they are spread;
 * introspection fields (`__schema`, `__type`) do not count. Depth is counted up to `maxDepth + 1`,
 * which is enough to refuse, and each fragment once, so that no document makes the count itself
 * expensive. Validation results are cached with the parsed document: a query that was accepted once
 * costs nothing here again.
 */
export function depthLimitRule(maxDepth: number) {
  const cap = maxDepth + 1;
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === 'FragmentDefinition') fragments.set(definition.name.value, definition);
    }
    const fragmentDepth = new Map<string, number>();

    const depthOf = (set: SelectionSetNode, visiting: Set<string>): number => {
      let deepest = 0;
      for (const selection of set.selections) {
        let depth = 0;
        if (selection.kind === 'Field') {
          if (selection.name.value.startsWith('__')) continue;
          depth = 1 + (selection.selectionSet ? depthOf(selection.selectionSet, visiting) : 0);
        } else if (selection.kind === 'InlineFragment') {
          depth = depthOf(selection.selectionSet, visiting);
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          // Unknown fragments and cycles are reported by the standard rules; here they count 0.
          if (!fragment || visiting.has(name)) continue;
          if (!fragmentDepth.has(name)) {
            visiting.add(name);
            fragmentDepth.set(name, depthOf(fragment.selectionSet, visiting));
            visiting.delete(name);
          }
          depth = fragmentDepth.get(name)!;
        }
        deepest = Math.max(deepest, Math.min(depth, cap));
        if (deepest >= cap) break;
      }
      return deepest;
    };

    return {
      OperationDefinition(operation) {
        const depth = depthOf(operation.selectionSet, new Set());
        if (depth > maxDepth) {
          const name = operation.name ? `Operation ${operation.name.value}` : 'The operation';
          context.reportError(
            queryLimitError(
              'DEPTH',
              `${name} nests fields more than ${maxDepth} levels deep, the most allowed. Ask for fewer nested fields, or split the query.`,
              maxDepth,
              depth,
              [operation],
            ),
          );
        }
        return false;
      },
    };
  };
}
