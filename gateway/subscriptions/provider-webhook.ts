import { isIP } from 'node:net';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../database/database.ts';
import { UserError } from '../errors.ts';
import { createAddressPolicy } from '../http/address-policy.ts';
import type { ProviderWebhookTable } from './subscription-tables.ts';
import type { Selectable } from 'kysely';

export type ProviderWebhookRow = Selectable<ProviderWebhookTable>;

/** What a webhook URL may be; the same rules the delivery's guarded fetch enforces when it connects. */
export interface WebhookUrlRules {
  allowHttp: boolean;
  allowedAddresses: readonly string[];
}

/**
 * Checks a webhook URL before it is stored: absolute, https (http only where allowed), no credentials
 * or fragment, and an IP-literal host outside refused ranges. Host names are checked again on every
 * delivery, when they resolve (guarded fetch), because DNS answers can change.
 */
export function validateWebhookUrl(text: string, rules: WebhookUrlRules): URL {
  const invalid = (why: string) =>
    new UserError('BAD_USER_INPUT', `The webhook URL ${why}.`, { argument: 'url' });
  if (text.length > 2000) throw invalid('is longer than 2000 characters');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('is not an absolute URL');
  }
  // What is stored is the normalised URL, in which a non-ASCII character takes up to 12 (%-escaped).
  if (url.href.length > 2000) throw invalid('is longer than 2000 characters once normalised');
  if (url.protocol !== 'https:' && !(rules.allowHttp && url.protocol === 'http:')) {
    throw invalid(`must use https${rules.allowHttp ? ' or http' : ''}, not ${url.protocol}`);
  }
  if (url.username || url.password) throw invalid('must not contain credentials');
  if (url.hash) throw invalid('must not have a fragment');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const refused = createAddressPolicy(rules.allowedAddresses).refusal(host);
    if (refused) throw invalid(`points to a ${refused} address (${host}), which the gateway may not reach`);
  }
  return url;
}

/** Stores (or with null removes) a provider's webhook. */
export async function setProviderWebhook(
  db: Kysely<Database>,
  input: { providerId: string; url: string | null; subject: string },
): Promise<ProviderWebhookRow | null> {
  if (input.url === null) {
    await db.deleteFrom('provider_webhook').where('provider_id', '=', input.providerId).execute();
    return null;
  }
  return db
    .insertInto('provider_webhook')
    .values({ provider_id: input.providerId, url: input.url, updated_by: input.subject })
    .onConflict((oc) =>
      oc.column('provider_id').doUpdateSet({
        url: input.url!,
        updated_by: input.subject,
        updated_at: sql<Date>`now()`,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A provider's webhook, or null. */
export async function providerWebhook(
  db: Kysely<Database>,
  providerId: string,
): Promise<ProviderWebhookRow | null> {
  return (
    (await db
      .selectFrom('provider_webhook')
      .selectAll()
      .where('provider_id', '=', providerId)
      .executeTakeFirst()) ?? null
  );
}
