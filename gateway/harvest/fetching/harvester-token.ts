import * as openid from 'openid-client';
import type { GuardedFetch } from '../../http/guarded-fetch.ts';
import type { HarvestClientConfig } from '../harvest-config.ts';
import { HarvestFailure } from '../types.ts';

/** Gives the harvester's access token for endpoints that require one, fetching a new one when needed. */
export interface HarvesterToken {
  (): Promise<string>;
  /**
   * Drops `token` when an endpoint refused it: the next call asks the issuer for a new one. True when
   * the token had been given out before this use (cached, so possibly revoked or signed with a key
   * the endpoint no longer trusts), so that one more try with a new token can succeed; false for a
   * token fetched for this very request, whose refusal a new one would only repeat.
   */
  forget(token: string): boolean;
}

/**
 * The harvester's client-credentials token from the configured issuer (discovery and token requests
 * through the guarded fetch), cached until 30 s before it expires.
 */
export function harvesterToken(
  client: HarvestClientConfig | null,
  fetch: GuardedFetch,
  allowHttp: boolean,
): HarvesterToken {
  let configuration: Promise<openid.Configuration> | undefined;
  let cached: { token: string; expiresAt: number; uses: number } | undefined;

  const token = async (): Promise<string> => {
    if (!client) {
      throw new HarvestFailure(
        'TOKEN_UNAVAILABLE',
        'the endpoint requires a token, and the gateway has no harvest client (HARVEST_CLIENT_ID)',
        false,
      );
    }
    if (cached && cached.expiresAt - 30_000 > Date.now()) {
      cached.uses++;
      return cached.token;
    }
    try {
      configuration ??= openid.discovery(
        new URL(client.issuer),
        client.clientId,
        client.clientSecret,
        undefined,
        {
          [openid.customFetch]: fetch,
          execute: allowHttp ? [openid.allowInsecureRequests] : [],
        },
      );
      const response = await openid.clientCredentialsGrant(
        await configuration,
        client.scope ? { scope: client.scope } : {},
      );
      cached = {
        token: response.access_token,
        expiresAt: Date.now() + (response.expires_in ?? 300) * 1000,
        uses: 1,
      };
      return cached.token;
    } catch (error) {
      configuration = undefined;
      // openid-client's ResponseBodyError carries the OAuth error code (invalid_client, …).
      const oauth = (error as { error?: unknown }).error;
      throw new HarvestFailure(
        'TOKEN_UNAVAILABLE',
        `no access token from ${client.issuer}: ${typeof oauth === 'string' ? `${oauth}: ` : ''}${(error as Error).message}`,
        true,
        { cause: error },
      );
    }
  };

  return Object.assign(token, {
    forget(refused: string): boolean {
      if (cached?.token !== refused) return false;
      const reused = cached.uses > 1;
      cached = undefined;
      return reused;
    },
  });
}
