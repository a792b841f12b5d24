import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../gateway/database/database.ts';
import { UserError } from '../gateway/errors.ts';
import { appendAuditEvent } from './audit-chain.ts';
import type { CertificationActor } from './certification-actor.ts';
import { currentProfile, profileIds } from './criteria.ts';
import { lockServiceForShare } from './locked-service.ts';
import { SIGNING_KEY_FILE_VARIABLE, type CertificateSigner } from './signing-keys.ts';
import type { CertificateRow, CertifiedCheck, CheckRow, ListingRequirements } from './schema.ts';

/** Why a required criterion does not count towards a certificate (extensions.problems[].reason). */
export type MissingReason =
  | 'NOT_CHECKED'
  | 'CHECKED_ON_OLDER_LISTING'
  | 'CHECKED_AGAINST_OLDER_CRITERION_VERSION'
  | 'FAILED'
  | 'EXPIRED';

export interface MissingCriterion {
  criterion: string;
  criterionVersion: number;
  reason: MissingReason;
}

const SCHUTZBEDARF_LEVEL = { NORMAL: 1, HIGH: 2, VERY_HIGH: 3 } as const;

const EXPLAIN: Record<MissingReason, string> = {
  NOT_CHECKED: 'has no check',
  CHECKED_ON_OLDER_LISTING: 'was checked only on an earlier version of the listing',
  CHECKED_AGAINST_OLDER_CRITERION_VERSION: 'was checked only against an earlier version of the criterion',
  FAILED: 'failed its latest check',
  EXPIRED: 'has a check that has expired',
};

function listingProblems(
  requirements: ListingRequirements,
  service: { schutzbedarf: string; efa: boolean },
): string[] {
  const problems: string[] = [];
  const level = (s: string) => SCHUTZBEDARF_LEVEL[s as keyof typeof SCHUTZBEDARF_LEVEL] ?? 0;
  if (requirements.minSchutzbedarf && level(service.schutzbedarf) < level(requirements.minSchutzbedarf))
    problems.push(
      `the listing supports protection need ${service.schutzbedarf}, the profile needs at least ${requirements.minSchutzbedarf}`,
    );
  if (requirements.efa && !service.efa)
    problems.push('the profile is for EfA services and the listing is not one');
  return problems;
}

/**
 * Which required criteria lack a PASSED, unexpired check on the listing's current content. For each
 * criterion only its newest check on the current content counts: a FAILED check after a PASSED one
 * withdraws the pass. `recordedBy`, when given, leaves out checks recorded after it: a backdated
 * issue (demo data) does not see checks of its future. A live issue passes null and counts every
 * check: one recorded by a replica whose clock runs ahead, a FAILED one above all, must count.
 */
export function missingCriteria(
  required: readonly { id: string; version: number }[],
  checks: readonly CheckRow[],
  contentHash: string,
  now: Date,
  recordedBy: Date | null,
): { missing: MissingCriterion[]; used: CheckRow[] } {
  const missing: MissingCriterion[] = [];
  const used: CheckRow[] = [];
  const newestFirst = checks
    .filter((c) => recordedBy === null || c.checked_at.getTime() <= recordedBy.getTime())
    .sort((a, b) => b.checked_at.getTime() - a.checked_at.getTime());
  for (const { id, version } of required) {
    const forCriterion = newestFirst.filter((c) => c.criterion_id === id);
    const current = forCriterion.find(
      (c) => c.criterion_version === version && c.content_hash === contentHash,
    );
    let reason: MissingReason | null = null;
    if (!current) {
      if (forCriterion.some((c) => c.content_hash === contentHash))
        reason = 'CHECKED_AGAINST_OLDER_CRITERION_VERSION';
      else reason = forCriterion.length > 0 ? 'CHECKED_ON_OLDER_LISTING' : 'NOT_CHECKED';
    } else if (current.outcome !== 'PASSED') reason = 'FAILED';
    // Certificates count in whole seconds (JWT `exp`): a check ending within this second has expired.
    else if (Math.floor(current.valid_until.getTime() / 1000) <= Math.floor(now.getTime() / 1000))
      reason = 'EXPIRED';
    if (reason) missing.push({ criterion: id, criterionVersion: version, reason });
    else used.push(current!);
  }
  return { missing, used };
}

/**
 * Issues a certificate for a service under the current version of a profile, signed as a compact JWS.
 * Succeeds only when the listing meets the profile's requirements and every required criterion has a
 * PASSED, unexpired check on the listing's current content; otherwise PRECONDITION_FAILED naming what
 * is missing. The certificate expires with the earliest of those checks.
 */
export async function issueCertificate(
  db: Kysely<Database>,
  signer: CertificateSigner,
  input: { serviceId: string; profileId: string; actor: CertificationActor },
  options: { now?: Date } = {},
): Promise<CertificateRow> {
  const now = options.now ?? new Date();
  return db.transaction().execute(async (trx) => {
    const profile = await currentProfile(trx, input.profileId);
    if (!profile) {
      throw new UserError(
        'BAD_USER_INPUT',
        `There is no certification profile ${JSON.stringify(input.profileId)}; the profiles are ${(await profileIds(trx)).join(', ')}.`,
        { argument: 'profile' },
      );
    }
    // Held until commit: the listing cannot change between checking the evidence and signing.
    const service = await lockServiceForShare(trx, input.serviceId);
    if (service.status !== 'ACTIVE') {
      throw new UserError(
        'PRECONDITION_FAILED',
        `Service ${service.id} is withdrawn and cannot be certified.`,
        {
          serviceId: service.id,
          profile: profile.id,
        },
      );
    }
    const required = profile.criteria as { id: string; version: number }[];
    const checks = await trx
      .selectFrom('certification_check')
      .selectAll()
      .where('service_id', '=', service.id)
      .where(
        'criterion_id',
        'in',
        required.map((r) => r.id),
      )
      .execute();
    const { missing, used } = missingCriteria(
      required,
      checks,
      service.content_hash,
      now,
      options.now ?? null,
    );
    const listing = listingProblems(profile.listing_requirements as ListingRequirements, service);
    if (missing.length > 0 || listing.length > 0) {
      const parts = [...listing, ...missing.map((m) => `${m.criterion} ${EXPLAIN[m.reason]}`)];
      throw new UserError(
        'PRECONDITION_FAILED',
        `Service ${service.id} cannot be certified under ${profile.id} (version ${profile.version}): ${parts.join('; ')}.${missing.length > 0 ? ` Missing criteria: ${missing.map((m) => m.criterion).join(', ')}.` : ''}`,
        {
          serviceId: service.id,
          profile: profile.id,
          profileVersion: profile.version,
          missingCriteria: missing.map((m) => m.criterion),
          problems: missing,
          listingProblems: listing,
        },
      );
    }

    const id = randomUUID();
    const iat = Math.floor(now.getTime() / 1000);
    const exp = Math.floor(Math.min(...used.map((c) => c.valid_until.getTime())) / 1000);
    const certified: CertifiedCheck[] = used.map((c) => ({
      checkId: c.id,
      criterion: c.criterion_id,
      criterionVersion: c.criterion_version,
      outcome: c.outcome,
      evidenceSha256: c.evidence_sha256,
      checkedAt: c.checked_at.toISOString(),
      validUntil: c.valid_until.toISOString(),
    }));
    // A rotation retires the key this process loaded at start (another replica started with a new
    // key, or this one's key file was replaced): nothing may sign with it any more. `for share` makes a
    // rotation that retires the key wait until this certificate is committed, and makes this issue see
    // a rotation that committed while it waited.
    const key = await trx
      .selectFrom('certification_signing_key')
      .select(['kid', 'retired_at'])
      .where('kid', '=', signer.kid)
      .forShare()
      .executeTakeFirst();
    if (!key) throw new Error(`signing key ${signer.kid} is not registered`);
    if (key.retired_at !== null) {
      throw new UserError(
        'PRECONDITION_FAILED',
        `This gateway replica signs with key ${key.kid}, which was retired at ${key.retired_at.toISOString()} when a replica started with another key; it issues no certificates with it. Restart this replica with the current key (${SIGNING_KEY_FILE_VARIABLE}), or issue through a replica that runs with it.`,
        { reason: 'SIGNING_KEY_RETIRED', keyId: key.kid, retiredAt: key.retired_at.toISOString() },
      );
    }
    const jws = await signer.sign({
      sub: service.id,
      jti: id,
      iat,
      exp,
      service: {
        id: service.id,
        provider: service.provider_id,
        revision: service.revision,
        contentHash: service.content_hash,
      },
      profile: { id: profile.id, version: profile.version },
      checks: certified,
      issuedBy: input.actor.organisation,
    });
    const certificate = await trx
      .insertInto('certification_certificate')
      .values({
        id,
        service_id: service.id,
        content_hash: service.content_hash,
        profile_id: profile.id,
        profile_version: profile.version,
        checks: JSON.stringify(certified),
        // Precise, so that certificates issued within one second still have an order; the JWS `iat` is
        // this time in whole seconds.
        issued_at: now,
        expires_at: new Date(exp * 1000),
        kid: signer.kid,
        jws,
        issued_by_subject: input.actor.subject,
        issued_by_organisation: input.actor.organisation,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendAuditEvent(trx, {
      actor: input.actor,
      action: 'certificate.issued',
      subject: `certificate:${id}`,
      payload: {
        certificateId: id,
        serviceId: service.id,
        contentHash: service.content_hash,
        profile: profile.id,
        profileVersion: profile.version,
        checkIds: used.map((c) => c.id),
        issuedAt: certificate.issued_at.toISOString(),
        expiresAt: certificate.expires_at.toISOString(),
        kid: signer.kid,
        jwsSha256: createHash('sha256').update(jws).digest('hex'),
      },
    });
    return certificate;
  });
}
