import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { characterCount } from '../catalog-schema/storable-text.ts';
import type { Database } from '../gateway/database/database.ts';
import { UserError } from '../gateway/errors.ts';
import { appendAuditEvent } from './audit-chain.ts';
import type { CertificationActor } from './certification-actor.ts';
import { criterionIds, currentCriterion } from './criteria.ts';
import { lockServiceForShare } from './locked-service.ts';
import type { CheckOutcome, CheckRow } from './schema.ts';

export interface RecordCheckInput {
  serviceId: string;
  criterionId: string;
  outcome: CheckOutcome;
  evidenceUrl: string;
  /** SHA-256 of the evidence document, hex (either case). */
  evidenceSha256: string;
  notes?: string | null;
  /** Default: the criterion's default validity from now. */
  validUntil?: Date | null;
  actor: CertificationActor;
}

const MAX_VALIDITY_DAYS = 5 * 366;
const DAY_MS = 86_400_000;

function badInput(argument: string, message: string): UserError {
  return new UserError('BAD_USER_INPUT', message, { argument });
}

/**
 * Records a compliance check of one criterion (its current version) for a service. The check is bound
 * to the listing's content hash at this moment: once the listing changes, the check no longer counts.
 * `now` exists for backdated demo data and tests; the audit event always carries the real time.
 */
export async function recordCheck(
  db: Kysely<Database>,
  input: RecordCheckInput,
  options: { now?: Date } = {},
): Promise<CheckRow> {
  const now = options.now ?? new Date();
  if (input.outcome !== 'PASSED' && input.outcome !== 'FAILED')
    throw badInput('outcome', 'The outcome is PASSED or FAILED.');
  let url: URL;
  try {
    url = new URL(input.evidenceUrl);
  } catch {
    throw badInput('evidenceUrl', `The evidence URL ${JSON.stringify(input.evidenceUrl)} is not a URL.`);
  }
  if (url.protocol !== 'https:' || input.evidenceUrl.length > 2000)
    throw badInput('evidenceUrl', 'The evidence URL must be an https URL of at most 2000 characters.');
  if (!/^[0-9a-fA-F]{64}$/.test(input.evidenceSha256))
    throw badInput(
      'evidenceSha256',
      'evidenceSha256 must be the SHA-256 of the evidence: 64 hexadecimal digits.',
    );
  const notes = input.notes?.trim() || null;
  if (notes !== null && characterCount(notes) > 4000)
    throw badInput('notes', 'The notes are at most 4000 characters long.');
  if (input.validUntil) {
    if (Number.isNaN(input.validUntil.getTime()) || input.validUntil.getTime() <= now.getTime())
      throw badInput('validUntil', 'validUntil must lie in the future.');
    if (input.validUntil.getTime() > now.getTime() + MAX_VALIDITY_DAYS * DAY_MS)
      throw badInput('validUntil', 'A check is valid for at most five years.');
  }

  return db.transaction().execute(async (trx) => {
    const criterion = await currentCriterion(trx, input.criterionId);
    if (!criterion) {
      throw new UserError(
        'BAD_USER_INPUT',
        `There is no criterion ${JSON.stringify(input.criterionId)}; the criteria are ${(await criterionIds(trx)).join(', ')}.`,
        { argument: 'criterion' },
      );
    }
    // Share-locked until this commits: the check is bound to the content that is current when it is stored.
    const service = await lockServiceForShare(trx, input.serviceId);
    if (service.status !== 'ACTIVE') {
      throw new UserError(
        'PRECONDITION_FAILED',
        `Service ${service.id} is withdrawn; checks are recorded for listings in the catalogue only.`,
        { serviceId: service.id },
      );
    }
    const validUntil = input.validUntil ?? new Date(now.getTime() + criterion.default_validity_days * DAY_MS);
    const check = await trx
      .insertInto('certification_check')
      .values({
        id: randomUUID(),
        service_id: service.id,
        content_hash: service.content_hash,
        criterion_id: criterion.id,
        criterion_version: criterion.version,
        outcome: input.outcome,
        evidence_url: input.evidenceUrl,
        evidence_sha256: input.evidenceSha256.toLowerCase(),
        notes,
        checked_by_subject: input.actor.subject,
        checked_by_organisation: input.actor.organisation,
        checked_at: now,
        valid_until: validUntil,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendAuditEvent(trx, {
      actor: input.actor,
      action: 'check.recorded',
      subject: `service:${service.id}`,
      payload: {
        checkId: check.id,
        criterion: criterion.id,
        criterionVersion: criterion.version,
        outcome: check.outcome,
        contentHash: check.content_hash,
        evidenceUrl: check.evidence_url,
        evidenceSha256: check.evidence_sha256,
        checkedAt: check.checked_at.toISOString(),
        validUntil: check.valid_until.toISOString(),
      },
    });
    return check;
  });
}
