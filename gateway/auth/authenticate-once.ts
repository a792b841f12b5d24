import type { IncomingMessage } from 'node:http';
import type { Authenticator } from './authenticator.ts';
import type { Principal } from './principal.ts';

/**
 * The authenticator, run at most once per request: the response cache needs the caller before it
 * looks anything up, and the GraphQL context needs it again on a miss; a bearer token is verified once.
 */
export function authenticateOnce(
  authenticator: Authenticator,
): (req: IncomingMessage) => Promise<Principal | null> {
  const results = new WeakMap<IncomingMessage, Promise<Principal | null>>();
  return (req) => {
    let result = results.get(req);
    if (!result) {
      result = authenticator.authenticate(req);
      results.set(req, result);
    }
    return result;
  };
}
