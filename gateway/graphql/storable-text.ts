import { GraphQLError, type ASTVisitor, type ValidationContext } from 'graphql';
import { UserError } from '../errors.ts';
import { findUnstorable, unstorable } from '../../catalog-schema/storable-text.ts';
import type { OperationHook } from './operation-hooks.ts';

function refusal(message: string, details: Record<string, unknown>, nodes?: GraphQLError['nodes']) {
  return new GraphQLError(message, {
    nodes,
    originalError: new UserError('BAD_USER_INPUT', message, details),
    extensions: { http: { status: 400 } },
  });
}

/**
 * Refuses a request whose variables hold a string PostgreSQL cannot store (catalog-schema/storable-text.ts)
 * before anything runs: BAD_USER_INPUT, HTTP 400, naming the variable and where in it. Per request,
 * as variables change.
 */
export function storableVariables(): OperationHook {
  return {
    check({ variables }) {
      for (const [name, value] of Object.entries(variables)) {
        const found = findUnstorable(value, '');
        if (found) {
          const where = found.path ? ` at ${found.path}` : '';
          throw refusal(`Variable $${name} holds ${found.what}${where}, which cannot be stored; remove it.`, {
            variable: name,
            path: found.path || '/',
          });
        }
      }
    },
  };
}

/** A validation rule (once per distinct query text): refuses a string literal PostgreSQL cannot store. */
export function storableLiteralsRule(context: ValidationContext): ASTVisitor {
  return {
    StringValue(node) {
      const what = unstorable(node.value);
      if (what) {
        context.reportError(
          refusal(`A string in the query holds ${what}, which cannot be stored; remove it.`, {}, [node]),
        );
      }
    },
  };
}
