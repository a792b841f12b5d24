import type { Kysely } from 'kysely';
import type { CatalogWriteHooks } from '../gateway/catalog/publish-listing.ts';
import type { Database } from '../gateway/database/database.ts';
import { UserError } from '../gateway/errors.ts';
import { characterCount } from '../catalog-schema/storable-text.ts';
import { appendAuditEvent } from './audit-chain.ts';
import type { CertificationActor } from './certification-actor.ts';
import { isUuid } from './certificates.ts';
import type { CertificateRow } from './schema.ts';

/**
 * Revokes a certificate for good, with a reason a person can read. Revoking a revoked certificate is
 * a CONFLICT: the first revocation and its reason stand.
 */
export async function revokeCertificate(
  db: Kysely<Database>,
  input: { certificateId: string; reason: string; actor: CertificationActor },
  /** The gateway's write hooks: `afterCertificateRevoked` runs in the revoking transaction. */
  hooks: CatalogWriteHooks = {},
): Promise<CertificateRow> {
  const reason = input.reason.trim();
  // Characters as PostgreSQL and the README count them: an emoji is one, not two UTF-16 units.
  const characters = characterCount(reason);
  if (characters < 3 || characters > 1000)
    throw new UserError('BAD_USER_INPUT', 'The reason for a revocation is 3 to 1000 characters long.', {
      argument: 'reason',
    });
  if (!isUuid(input.certificateId))
    throw new UserError('NOT_FOUND', `There is no certificate ${input.certificateId}.`, {
      certificateId: input.certificateId,
    });
  return db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('certification_certificate')
      .selectAll()
      .where('id', '=', input.certificateId)
      .forUpdate()
      .executeTakeFirst();
    if (!current)
      throw new UserError('NOT_FOUND', `There is no certificate ${input.certificateId}.`, {
        certificateId: input.certificateId,
      });
    if (current.revoked_at !== null) {
      throw new UserError(
        'CONFLICT',
        `Certificate ${current.id} was already revoked at ${current.revoked_at.toISOString()}: ${current.revocation_reason}`,
        { certificateId: current.id, revokedAt: current.revoked_at.toISOString() },
      );
    }
    const revoked = await trx
      .updateTable('certification_certificate')
      .set({ revoked_at: new Date(), revocation_reason: reason, revoked_by_subject: input.actor.subject })
      .where('id', '=', current.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await hooks.afterCertificateRevoked?.(trx, revoked);
    await appendAuditEvent(trx, {
      actor: input.actor,
      action: 'certificate.revoked',
      subject: `certificate:${current.id}`,
      payload: {
        certificateId: current.id,
        serviceId: current.service_id,
        reason,
        revokedAt: revoked.revoked_at!.toISOString(),
      },
    });
    return revoked;
  });
}
