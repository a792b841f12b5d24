import { isIP } from 'node:net';
import { createAddressPolicy, type RefusedRange } from './address-policy.ts';

/**
 * What a URL the gateway will send requests to may be (a provider's catalogue endpoint, a provider's
 * webhook): the same rules the guarded fetch enforces when it connects.
 */
export interface OutboundUrlRules {
  /** http as well as https (development and tests only). */
  allowHttp: boolean;
  /** CIDR ranges reachable although refused by default (ALLOWED_OUTBOUND_ADDRESSES). */
  allowedAddresses: readonly string[];
}

/** The longest URL stored, in characters of its normalised form (columns are checked to match). */
export const OUTBOUND_URL_MAX_LENGTH = 2000;

/** Why a URL is refused as the address of outbound requests; each caller words it for its field. */
export type OutboundUrlProblem =
  | { kind: 'TOO_LONG'; once: 'as given' | 'normalised' }
  | { kind: 'NOT_A_URL' }
  | { kind: 'SCHEME'; protocol: string }
  | { kind: 'CREDENTIALS' }
  | { kind: 'FRAGMENT' }
  | { kind: 'REFUSED_ADDRESS'; range: RefusedRange; url: URL; address: string };

/**
 * Checks a URL before it is stored as the address of outbound requests: not too long, as given and
 * once normalised (a non-ASCII character takes up to 12 characters %-escaped, and the normalised
 * form is what is stored); absolute; https (http only where allowed); no credentials; no fragment;
 * and an IP-literal host outside the refused ranges. Host names are checked again on every request,
 * when they resolve (guarded fetch), because DNS answers can change.
 */
export function checkOutboundUrl(
  text: string,
  rules: OutboundUrlRules,
): { ok: true; url: URL } | { ok: false; problem: OutboundUrlProblem } {
  const refuse = (problem: OutboundUrlProblem) => ({ ok: false as const, problem });
  if (text.length > OUTBOUND_URL_MAX_LENGTH) return refuse({ kind: 'TOO_LONG', once: 'as given' });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refuse({ kind: 'NOT_A_URL' });
  }
  if (url.href.length > OUTBOUND_URL_MAX_LENGTH) return refuse({ kind: 'TOO_LONG', once: 'normalised' });
  if (url.protocol !== 'https:' && !(rules.allowHttp && url.protocol === 'http:')) {
    return refuse({ kind: 'SCHEME', protocol: url.protocol });
  }
  if (url.username || url.password) return refuse({ kind: 'CREDENTIALS' });
  if (url.hash) return refuse({ kind: 'FRAGMENT' });
  const address = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(address)) {
    const range = createAddressPolicy(rules.allowedAddresses).refusal(address);
    if (range) return refuse({ kind: 'REFUSED_ADDRESS', range, url, address });
  }
  return { ok: true, url };
}
