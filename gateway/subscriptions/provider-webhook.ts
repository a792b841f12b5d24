import { sql, type Kysely } from 'kysely';
import type { Database } from '../database/database.ts';
import { UserError } from '../errors.ts';
import {
  checkOutboundUrl,
  OUTBOUND_URL_MAX_LENGTH,
  type OutboundUrlProblem,
  type OutboundUrlRules,
} from '../http/outbound-url.ts';
import type { ProviderWebhookTable } from './subscription-tables.ts';
import type { Selectable } from 'kysely';

export type ProviderWebhookRow = Selectable<ProviderWebhookTable>;

/**
 * Checks a webhook URL before it is stored (checkOutboundUrl): its normalised form, or
 * BAD_USER_INPUT naming the `url` argument.
 */
export function validateWebhookUrl(text: string, rules: OutboundUrlRules): URL {
  const checked = checkOutboundUrl(text, rules);
  if (checked.ok) return checked.url;
  throw new UserError(
    'BAD_USER_INPUT',
    `The webhook URL ${webhookUrlProblem(checked.problem, rules.allowHttp)}.`,
    {
      argument: 'url',
    },
  );
}

function webhookUrlProblem(problem: OutboundUrlProblem, allowHttp: boolean): string {
  switch (problem.kind) {
    case 'TOO_LONG':
      return `is longer than ${OUTBOUND_URL_MAX_LENGTH} characters${problem.once === 'normalised' ? ' once normalised' : ''}`;
    case 'NOT_A_URL':
      return 'is not an absolute URL';
    case 'SCHEME':
      return `must use https${allowHttp ? ' or http' : ''}, not ${problem.protocol}`;
    case 'CREDENTIALS':
      return 'must not contain credentials';
    case 'FRAGMENT':
      return 'must not have a fragment';
    case 'REFUSED_ADDRESS':
      return `points to a ${problem.range} address (${problem.address}), which the gateway may not reach`;
  }
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
