import { isIP } from 'node:net';
import { UserError } from '../errors.ts';
import { createAddressPolicy } from '../http/address-policy.ts';
import type { HarvestConfig } from './harvest-config.ts';

/**
 * Checks an endpoint URL when it is registered, so that a mistake is refused at once (BAD_USER_INPUT)
 * rather than at the first run: https (http only where allowed), no credentials, and an IP-literal
 * host not in a refused range. Host names are checked on every request by the guarded fetch.
 */
export function checkEndpointUrl(
  text: string,
  config: Pick<HarvestConfig, 'allowHttp' | 'allowedAddresses'>,
): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError('BAD_USER_INPUT', `The endpoint URL ${JSON.stringify(text)} is not a URL.`, {
      field: 'url',
    });
  }
  // What is stored is the normalised URL, in which a non-ASCII character takes up to 12 (%-escaped).
  if (text.length > 2000 || url.href.length > 2000)
    throw new UserError(
      'BAD_USER_INPUT',
      'The endpoint URL is longer than 2000 characters (once normalised).',
      {
        field: 'url',
      },
    );
  if (url.protocol !== 'https:' && !(config.allowHttp && url.protocol === 'http:')) {
    throw new UserError(
      'BAD_USER_INPUT',
      `The endpoint URL must use https${config.allowHttp ? ' or http' : ''}, not ${url.protocol.replace(':', '')}.`,
      { field: 'url' },
    );
  }
  if (url.username || url.password) {
    throw new UserError(
      'BAD_USER_INPUT',
      'The endpoint URL must not carry credentials; register requiresToken instead.',
      {
        field: 'url',
      },
    );
  }
  if (url.hash)
    throw new UserError('BAD_USER_INPUT', 'The endpoint URL must not have a fragment.', { field: 'url' });
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const range = isIP(host) ? createAddressPolicy(config.allowedAddresses).refusal(host) : null;
  if (range) {
    throw new UserError(
      'BAD_USER_INPUT',
      `The endpoint URL's host ${url.host} is a ${range} address, which the gateway does not reach.`,
      { field: 'url' },
    );
  }
  return url.href;
}
