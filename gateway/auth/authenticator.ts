import type { IncomingMessage } from 'node:http';
import { UserError } from '../errors.ts';
import { DEV_PRINCIPAL_HEADER, principalFromDevHeader } from './dev-principal-header.ts';
import type { Principal } from './principal.ts';

/** Turns a request's credentials into a principal: null for an anonymous request, UNAUTHENTICATED for bad credentials. */
export interface Authenticator {
  authenticate(req: IncomingMessage): Promise<Principal | null>;
}

/**
 * Demo mode without an identity provider: the development header names the caller. A bearer token
 * cannot be checked here, so it is refused rather than ignored.
 */
export function devHeaderAuthenticator(): Authenticator {
  return {
    async authenticate(req) {
      if (req.headers.authorization) {
        throw new UserError(
          'UNAUTHENTICATED',
          'This gateway has no trusted token issuer configured; bearer tokens cannot be verified.',
        );
      }
      const header = req.headers[DEV_PRINCIPAL_HEADER];
      return typeof header === 'string' ? principalFromDevHeader(header) : null;
    },
  };
}

/** Refuses the development header outright: in production it must never be mistaken for a sign-in. */
export function anonymousAuthenticator(): Authenticator {
  return {
    async authenticate(req) {
      if (req.headers.authorization) {
        throw new UserError(
          'UNAUTHENTICATED',
          'This gateway has no trusted token issuer configured; bearer tokens cannot be verified.',
        );
      }
      return null;
    },
  };
}
