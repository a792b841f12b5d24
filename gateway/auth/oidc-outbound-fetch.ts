import type { OidcConfig } from '../config.ts';
import { createGuardedFetch } from '../http/guarded-fetch.ts';
import type { OutboundFetch } from './oidc-authenticator.ts';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * The fetch that OIDC discovery and key set requests go through: the guarded fetch (no private or
 * metadata addresses, bounded time and size). Loopback and plain http are let through only when a
 * configured issuer is itself on loopback: the development identity provider and tests. An issuer on a
 * private network is reached by allowing its range in OUTBOUND_ALLOWED_ADDRESSES.
 */
export function oidcOutboundFetch(config: OidcConfig): OutboundFetch {
  const loopbackIssuer = config.issuers.some((issuer) => LOOPBACK_HOSTS.has(new URL(issuer).hostname));
  return createGuardedFetch({
    allowHttp: loopbackIssuer,
    allowedAddresses: loopbackIssuer
      ? ['127.0.0.0/8', '::1/128', ...config.allowedAddresses]
      : config.allowedAddresses,
    timeoutMs: config.httpTimeoutMs,
    // A discovery document or key set is a few kilobytes; anything near this is not one.
    maxResponseBytes: 1024 * 1024,
  });
}
