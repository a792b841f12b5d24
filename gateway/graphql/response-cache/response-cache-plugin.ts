import type { ApolloServerPlugin } from '@apollo/server';
import { trackedRequest } from './request-cacheability.ts';
import type { ResponseCache } from './response-cache.ts';

/**
 * The response cache's view from inside Apollo Server: marks a response cacheable when it answers a
 * query without errors (and no resolver prevented it), and drops the whole cache after every
 * mutation, before its response is sent: the caller reads its own write at once, without waiting for
 * the database's change notification.
 */
export function responseCachePlugin(cache: ResponseCache): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, operation, response }) {
          if (operation?.operation === 'mutation') {
            cache.invalidate();
            return;
          }
          const tracked = trackedRequest(contextValue);
          if (!tracked || tracked.preventedBecause !== null) return;
          tracked.cacheable =
            operation?.operation === 'query' &&
            response.body.kind === 'single' &&
            (response.body.singleResult.errors?.length ?? 0) === 0;
        },
      };
    },
  };
}
