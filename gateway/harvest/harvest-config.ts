import { checkIssuerUrl } from '../auth/issuer-url.ts';
import { numberSetting, textSetting, unset } from '../env-settings.ts';
import { parseAddressRanges } from '../http/address-policy.ts';

/** How the gateway harvests provider endpoints; built from the environment by `harvestConfigFromEnv`. */
export interface HarvestConfig {
  /**
   * How often this replica looks for due endpoints, in ms (HARVEST_POLL_INTERVAL_MS). Default 15000;
   * 0 turns the scheduler off on this replica (runs can still be started through the API).
   */
  pollIntervalMs: number;
  /** Harvest interval of a newly registered endpoint, in seconds (HARVEST_INTERVAL_SECONDS). Default 900. */
  defaultIntervalSeconds: number;
  /** How often a full sync replaces the incremental run, in seconds (HARVEST_FULL_SYNC_INTERVAL_SECONDS). Default 86400. */
  fullSyncIntervalSeconds: number;
  /** Timeout of one request to an endpoint, body included, in ms (HARVEST_REQUEST_TIMEOUT_MS). Default 10000. */
  requestTimeoutMs: number;
  /** Largest response of an endpoint, in bytes, enforced while it streams (HARVEST_MAX_RESPONSE_BYTES). Default 10 MiB. */
  maxResponseBytes: number;
  /** Most listings one run accepts from an endpoint (HARVEST_MAX_LISTINGS). Default 20000. */
  maxListings: number;
  /** Listings asked for per page. Default 100. */
  pageSize: number;
  /** Retries of a failed request within a run (HARVEST_RETRIES). Default 2. */
  retries: number;
  /** Wait before the first retry, in ms, doubled for each further one (HARVEST_RETRY_BACKOFF_MS). Default 1000. */
  retryBackoffMs: number;
  /** Failed runs in a row that open the circuit and pause the endpoint (HARVEST_CIRCUIT_FAILURES). Default 5. */
  circuitFailureThreshold: number;
  /** How long an open circuit pauses the endpoint, in seconds (HARVEST_CIRCUIT_PAUSE_SECONDS). Default 3600. */
  circuitPauseSeconds: number;
  /**
   * The largest share of a provider's harvested listings a full sync may withdraw without a
   * coordinator's confirmation (HARVEST_MAX_WITHDRAW_SHARE, 0 to 1). Default 0.3.
   */
  maxWithdrawShare: number;
  /** How long a claimed run is this replica's before another may take it over, in seconds (HARVEST_LEASE_SECONDS). Default 60. */
  leaseSeconds: number;
  /** Endpoints one replica harvests at the same time (HARVEST_CONCURRENCY). Default 4. */
  concurrency: number;
  /** Endpoint URLs may be plain http: demo mode and tests only; production needs https. */
  allowHttp: boolean;
  /**
   * Address ranges endpoints may be on although they are loopback or private (OUTBOUND_ALLOWED_ADDRESSES,
   * plus loopback in demo mode, where the demo provider nodes run).
   */
  allowedAddresses: string[];
  /** The client-credentials client the harvester presents to endpoints that require a token. */
  client: HarvestClientConfig | null;
}

export interface HarvestClientConfig {
  /** The issuer that grants the token (HARVEST_TOKEN_ISSUER; default the first OIDC_ISSUER). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Scope to ask for (HARVEST_TOKEN_SCOPE); default none. */
  scope: string | null;
}

const LOOPBACK = ['127.0.0.0/8', '::1/128'];

/** Reads the harvest settings (see the README's configuration table). */
export function harvestConfigFromEnv(
  env: NodeJS.ProcessEnv,
  production: boolean,
  oidcIssuers: readonly string[] = [],
): HarvestConfig {
  let allowed: string[];
  try {
    allowed = parseAddressRanges(env.OUTBOUND_ALLOWED_ADDRESSES ?? '');
  } catch (error) {
    throw new Error(`OUTBOUND_ALLOWED_ADDRESSES: ${(error as Error).message}`);
  }
  const clientId = textSetting(env.HARVEST_CLIENT_ID) ?? '';
  const ownIssuer = textSetting(env.HARVEST_TOKEN_ISSUER);
  // Its token endpoint receives the client secret: https, as for OIDC_ISSUER (checked there).
  if (ownIssuer !== undefined) checkIssuerUrl('HARVEST_TOKEN_ISSUER', ownIssuer);
  const issuer = ownIssuer ?? oidcIssuers[0] ?? '';
  // The secret is taken as it is (spaces may be part of it), but one of only spaces counts as unset.
  const clientSecret = unset(env.HARVEST_CLIENT_SECRET) ? '' : env.HARVEST_CLIENT_SECRET;
  if (clientId && (!clientSecret || !issuer)) {
    throw new Error(
      'HARVEST_CLIENT_ID needs HARVEST_CLIENT_SECRET and an issuer (HARVEST_TOKEN_ISSUER or OIDC_ISSUER)',
    );
  }
  return {
    pollIntervalMs: numberSetting(
      'HARVEST_POLL_INTERVAL_MS',
      env.HARVEST_POLL_INTERVAL_MS,
      15_000,
      0,
      86_400_000,
    ),
    defaultIntervalSeconds: numberSetting(
      'HARVEST_INTERVAL_SECONDS',
      env.HARVEST_INTERVAL_SECONDS,
      900,
      10,
      604_800,
    ),
    fullSyncIntervalSeconds: numberSetting(
      'HARVEST_FULL_SYNC_INTERVAL_SECONDS',
      env.HARVEST_FULL_SYNC_INTERVAL_SECONDS,
      86_400,
      10,
      2_592_000,
    ),
    requestTimeoutMs: numberSetting(
      'HARVEST_REQUEST_TIMEOUT_MS',
      env.HARVEST_REQUEST_TIMEOUT_MS,
      10_000,
      100,
      600_000,
    ),
    maxResponseBytes: numberSetting(
      'HARVEST_MAX_RESPONSE_BYTES',
      env.HARVEST_MAX_RESPONSE_BYTES,
      10 * 1024 * 1024,
      1024,
      1024 * 1024 * 1024,
    ),
    maxListings: numberSetting('HARVEST_MAX_LISTINGS', env.HARVEST_MAX_LISTINGS, 20_000, 1, 1_000_000),
    pageSize: 100,
    retries: numberSetting('HARVEST_RETRIES', env.HARVEST_RETRIES, 2, 0, 10),
    retryBackoffMs: numberSetting('HARVEST_RETRY_BACKOFF_MS', env.HARVEST_RETRY_BACKOFF_MS, 1000, 0, 600_000),
    circuitFailureThreshold: numberSetting(
      'HARVEST_CIRCUIT_FAILURES',
      env.HARVEST_CIRCUIT_FAILURES,
      5,
      1,
      1000,
    ),
    circuitPauseSeconds: numberSetting(
      'HARVEST_CIRCUIT_PAUSE_SECONDS',
      env.HARVEST_CIRCUIT_PAUSE_SECONDS,
      3600,
      1,
      2_592_000,
    ),
    maxWithdrawShare: numberSetting('HARVEST_MAX_WITHDRAW_SHARE', env.HARVEST_MAX_WITHDRAW_SHARE, 0.3, 0, 1, {
      whole: false,
    }),
    leaseSeconds: numberSetting('HARVEST_LEASE_SECONDS', env.HARVEST_LEASE_SECONDS, 60, 1, 3600),
    concurrency: numberSetting('HARVEST_CONCURRENCY', env.HARVEST_CONCURRENCY, 4, 1, 64),
    allowHttp: !production,
    allowedAddresses: production ? allowed : [...LOOPBACK, ...allowed],
    client: clientId
      ? { issuer, clientId, clientSecret, scope: textSetting(env.HARVEST_TOKEN_SCOPE) ?? null }
      : null,
  };
}
