import type { Transaction } from 'kysely';
import type { Database } from '../gateway/database/database.ts';
import { UserError } from '../gateway/errors.ts';

/**
 * The service a check or certificate is about, with a share lock held until the transaction commits:
 * publishing takes the row for update, so the listing cannot change between reading its content hash
 * here and storing what is bound to it. NOT_FOUND when there is no such service.
 */
export async function lockServiceForShare(trx: Transaction<Database>, serviceId: string) {
  const service = await trx
    .selectFrom('service')
    .select(['id', 'provider_id', 'status', 'revision', 'content_hash', 'schutzbedarf', 'efa'])
    .where('id', '=', serviceId)
    .forShare()
    .executeTakeFirst();
  if (!service) throw new UserError('NOT_FOUND', `There is no service ${serviceId}.`, { serviceId });
  return service;
}
