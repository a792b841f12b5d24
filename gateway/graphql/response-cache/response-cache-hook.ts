import type { OperationHook } from '../operation-hooks.ts';
import { trackedRequest } from './request-cacheability.ts';
import type { ResponseCache } from './response-cache.ts';

/**
 * The response cache's view of each GraphQL operation: marks a response cacheable when it answers a
 * query without errors (and no resolver prevented it), and drops the whole cache after every
 * mutation, before its response is sent: the caller reads its own write at once, without waiting for
 * the database's change notification.
 */
export function responseCacheHook(cache: ResponseCache): OperationHook {
  return {
    respond({ context, operation, result }) {
      if (operation?.operation === 'mutation') {
        cache.invalidate();
        return;
      }
      const tracked = trackedRequest(context);
      if (!tracked || tracked.preventedBecause !== null) return;
      tracked.cacheable =
        operation?.operation === 'query' && result !== undefined && (result.errors?.length ?? 0) === 0;
    },
  };
}
