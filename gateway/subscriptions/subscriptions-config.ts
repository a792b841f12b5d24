import { numberSetting } from '../env-settings.ts';
import { parseAddressRanges } from '../http/address-policy.ts';

/** How subscription notifications are delivered; built from the environment by `subscriptionsConfigFromEnv`. */
export interface SubscriptionsConfig {
  /** How often this replica looks for due deliveries, in ms (SUBSCRIPTION_DELIVERY_INTERVAL_MS). Default 5000; 0 turns the worker off on this replica. */
  deliveryIntervalMs: number;
  /** Timeout of one webhook request, in ms (SUBSCRIPTION_WEBHOOK_TIMEOUT_MS). Default 10000. */
  webhookTimeoutMs: number;
  /** Wait before the first retry, in ms, doubled for each further one (SUBSCRIPTION_RETRY_BASE_MS). Default 10000. */
  retryBaseMs: number;
  /** Longest wait between two attempts, in ms (SUBSCRIPTION_RETRY_MAX_MS). Default 3600000 (1 h). */
  retryMaxMs: number;
  /** A delivery still failing this long after its step is given up as DEAD, in ms (SUBSCRIPTION_DELIVERY_GIVE_UP_MS). Default 86400000 (24 h). */
  giveUpAfterMs: number;
  /** How often this replica checks for expired certificates of subscribed services, in ms (SUBSCRIPTION_CERTIFICATION_CHECK_INTERVAL_MS). Default 60000; 0 turns it off. */
  certificationCheckIntervalMs: number;
  /** Webhook URLs may be plain http (demo mode only; production needs https). */
  webhookAllowHttp: boolean;
  /**
   * Address ranges a webhook may reach although they are loopback or private (OUTBOUND_ALLOWED_ADDRESSES,
   * plus loopback in demo mode, where the demo provider nodes run). Default none in production.
   */
  webhookAllowedAddresses: string[];
}

const LOOPBACK = ['127.0.0.0/8', '::1/128'];

function milliseconds(name: string, value: string | undefined, fallback: number, min: number): number {
  return numberSetting(name, value, fallback, min, 7 * 24 * 3600 * 1000, {
    what: 'a whole number of milliseconds',
  });
}

/** Reads the subscription delivery settings (see the README's configuration table). */
export function subscriptionsConfigFromEnv(env: NodeJS.ProcessEnv, production: boolean): SubscriptionsConfig {
  let allowed: string[];
  try {
    allowed = parseAddressRanges(env.OUTBOUND_ALLOWED_ADDRESSES ?? '');
  } catch (error) {
    throw new Error(`OUTBOUND_ALLOWED_ADDRESSES: ${(error as Error).message}`);
  }
  const config: SubscriptionsConfig = {
    deliveryIntervalMs: milliseconds(
      'SUBSCRIPTION_DELIVERY_INTERVAL_MS',
      env.SUBSCRIPTION_DELIVERY_INTERVAL_MS,
      5000,
      0,
    ),
    webhookTimeoutMs: milliseconds(
      'SUBSCRIPTION_WEBHOOK_TIMEOUT_MS',
      env.SUBSCRIPTION_WEBHOOK_TIMEOUT_MS,
      10_000,
      100,
    ),
    retryBaseMs: milliseconds('SUBSCRIPTION_RETRY_BASE_MS', env.SUBSCRIPTION_RETRY_BASE_MS, 10_000, 1),
    retryMaxMs: milliseconds('SUBSCRIPTION_RETRY_MAX_MS', env.SUBSCRIPTION_RETRY_MAX_MS, 3_600_000, 1),
    giveUpAfterMs: milliseconds(
      'SUBSCRIPTION_DELIVERY_GIVE_UP_MS',
      env.SUBSCRIPTION_DELIVERY_GIVE_UP_MS,
      86_400_000,
      1,
    ),
    certificationCheckIntervalMs: milliseconds(
      'SUBSCRIPTION_CERTIFICATION_CHECK_INTERVAL_MS',
      env.SUBSCRIPTION_CERTIFICATION_CHECK_INTERVAL_MS,
      60_000,
      0,
    ),
    webhookAllowHttp: !production,
    webhookAllowedAddresses: production ? allowed : [...LOOPBACK, ...allowed],
  };
  if (config.retryMaxMs < config.retryBaseMs)
    throw new Error('SUBSCRIPTION_RETRY_MAX_MS must not be smaller than SUBSCRIPTION_RETRY_BASE_MS');
  return config;
}
