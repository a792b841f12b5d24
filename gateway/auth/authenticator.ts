import type { IncomingMessage } from 'node:http';
import { UserError } from '../errors.ts';
import { DEV_PRINCIPAL_HEADER, principalFromDevHeader } from './dev-principal-header.ts';
import type { Principal } from './principal.ts';

/** Turns a request's credentials into a principal: null for an anonymous request, UNAUTHENTICATED for bad credentials. */
export interface Authenticator {
  authenticate(req: IncomingMessage): Promise<Principal | null>;
}

export interface GatewayAuthenticatorOptions {
  /** Verifies bearer tokens; null when no issuer is trusted, and every bearer token is refused. */
  bearer: Authenticator | null;
  /** Accept the development header X-Dev-Principal (demo mode only); otherwise it is refused. */
  devPrincipalHeader: boolean;
}

/**
 * The gateway's authenticator: a bearer token, or in demo mode the development header, or nobody. A
 * credential that cannot be used is refused (UNAUTHENTICATED), never treated as no credential: in
 * production the development header is an error, not an anonymous request.
 */
export function gatewayAuthenticator(options: GatewayAuthenticatorOptions): Authenticator {
  return {
    async authenticate(req) {
      const devHeader = req.headers[DEV_PRINCIPAL_HEADER];
      if (devHeader !== undefined && !options.devPrincipalHeader) {
        throw new UserError(
          'UNAUTHENTICATED',
          `The ${DEV_PRINCIPAL_HEADER} header works only in demo mode; this gateway runs in production mode. Send "Authorization: Bearer <access token>".`,
          { reason: 'DEV_HEADER_REFUSED' },
        );
      }
      if (req.headers.authorization !== undefined) {
        if (devHeader !== undefined) {
          throw new UserError(
            'UNAUTHENTICATED',
            `Send either a bearer token or the ${DEV_PRINCIPAL_HEADER} header, not both.`,
            { reason: 'AMBIGUOUS_CREDENTIALS' },
          );
        }
        if (!options.bearer) {
          throw new UserError(
            'UNAUTHENTICATED',
            'This gateway has no trusted token issuer configured; bearer tokens cannot be verified.',
            { reason: 'ISSUER_NOT_TRUSTED' },
          );
        }
        return options.bearer.authenticate(req);
      }
      return typeof devHeader === 'string' ? principalFromDevHeader(devHeader) : null;
    },
  };
}
