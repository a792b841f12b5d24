import { UserError } from '../errors.ts';
import { checkOutboundUrl, OUTBOUND_URL_MAX_LENGTH, type OutboundUrlProblem } from '../http/outbound-url.ts';
import type { HarvestConfig } from './harvest-config.ts';

/**
 * Checks an endpoint URL when it is registered (checkOutboundUrl), so that a mistake is refused at
 * once (BAD_USER_INPUT naming the field `url`) rather than at the first run. Returns the normalised
 * URL, which is what is stored.
 */
export function checkEndpointUrl(
  text: string,
  config: Pick<HarvestConfig, 'allowHttp' | 'allowedAddresses'>,
): string {
  const checked = checkOutboundUrl(text, config);
  if (!checked.ok) {
    throw new UserError('BAD_USER_INPUT', endpointUrlMessage(text, checked.problem, config.allowHttp), {
      field: 'url',
    });
  }
  return checked.url.href;
}

function endpointUrlMessage(text: string, problem: OutboundUrlProblem, allowHttp: boolean): string {
  switch (problem.kind) {
    case 'TOO_LONG':
      return `The endpoint URL is longer than ${OUTBOUND_URL_MAX_LENGTH} characters (once normalised).`;
    case 'NOT_A_URL':
      return `The endpoint URL ${JSON.stringify(text)} is not a URL.`;
    case 'SCHEME':
      return `The endpoint URL must use https${allowHttp ? ' or http' : ''}, not ${problem.protocol.replace(':', '')}.`;
    case 'CREDENTIALS':
      return 'The endpoint URL must not carry credentials; register requiresToken instead.';
    case 'FRAGMENT':
      return 'The endpoint URL must not have a fragment.';
    case 'REFUSED_ADDRESS':
      return `The endpoint URL's host ${problem.url.host} is a ${problem.range} address, which the gateway does not reach.`;
  }
}
