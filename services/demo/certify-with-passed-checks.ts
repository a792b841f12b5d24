// Certifying a service the short way, for demo, test and benchmark data: a PASSED check of every
// criterion of a profile, then a certificate, both through certification's own domain functions (so
// the audit chain and every precondition apply). The evidence documents are invented: their URLs point
// nowhere and their hashes are of the URL text.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CertificationActor } from '../../certification/certification-actor.ts';
import { currentProfile } from '../../certification/criteria.ts';
import { issueCertificate } from '../../certification/issue-certificate.ts';
import { recordCheck } from '../../certification/record-check.ts';
import type { CertificateRow } from '../../certification/schema.ts';
import type { CertificateSigner } from '../../certification/signing-keys.ts';
import type { Database } from '../../gateway/database/database.ts';

/** An invented evidence document for a criterion: its URL under `base`, and the SHA-256 of the URL text. */
export function inventedEvidence(
  base: string,
  serviceId: string,
  criterion: string,
): { evidenceUrl: string; evidenceSha256: string } {
  const evidenceUrl = `${base}/${serviceId}/${criterion}.pdf`;
  return { evidenceUrl, evidenceSha256: createHash('sha256').update(evidenceUrl).digest('hex') };
}

/**
 * Records a PASSED check of every criterion of the profile's current version, then issues the
 * certificate. `now` backdates both (the audit chain still records when they were really written).
 */
export async function certifyWithPassedChecks(
  db: Kysely<Database>,
  signer: CertificateSigner,
  options: {
    serviceId: string;
    profileId: string;
    actor: CertificationActor;
    evidenceBase: string;
    now?: Date;
  },
): Promise<CertificateRow> {
  const { serviceId, profileId, actor } = options;
  const at = { now: options.now };
  const profile = await currentProfile(db, profileId);
  if (!profile) throw new Error(`certification profile ${profileId} is not stored`);
  for (const { id } of profile.criteria as { id: string }[]) {
    await recordCheck(
      db,
      {
        serviceId,
        criterionId: id,
        outcome: 'PASSED',
        ...inventedEvidence(options.evidenceBase, serviceId, id),
        notes: null,
        actor,
      },
      at,
    );
  }
  return issueCertificate(db, signer, { serviceId, profileId, actor }, at);
}
