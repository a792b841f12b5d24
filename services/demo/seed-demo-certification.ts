// Demo certification data: compliance checks and certificates made by the demo coordination office
// through the same domain functions as the API, so that the demo catalogue shows every certification
// status. Checks and certificates of the expired and soon-expiring examples are backdated (the domain
// functions take the time they act at); the audit chain records when they were really written.
// The evidence documents are invented: their URLs point nowhere and their hashes are of the URL text.
import type { Kysely } from 'kysely';
import type { Listing } from '../../catalog-schema/generated/listing.ts';
import type { CertificationActor } from '../../certification/certification-actor.ts';
import { recordCheck } from '../../certification/record-check.ts';
import { revokeCertificate } from '../../certification/revoke-certificate.ts';
import type { CertificateSigner } from '../../certification/signing-keys.ts';
import { certifyWithPassedChecks, inventedEvidence } from './certify-with-passed-checks.ts';
import { publishListing, type CatalogWriteHooks } from '../../gateway/catalog/publish-listing.ts';
import type { Database } from '../../gateway/database/database.ts';

const COORDINATOR: CertificationActor = {
  subject: 'demo:koordinierungsstelle',
  organisation: 'koordinierungsstelle',
};
const DAY_MS = 86_400_000;

interface DemoCertification {
  serviceId: string;
  profile: string;
  /** When the checks and the certificate were made, in days before now. */
  daysAgo: number;
  /** What happened afterwards. */
  then?: { revoke: string } | { changeListing: (listing: Listing) => Listing };
}

/** The status each example ends in is in the comment; the README's demo section lists them too. */
export const DEMO_CERTIFICATIONS: readonly DemoCertification[] = [
  // CERTIFIED
  { serviceId: 'dataport/wohngeld-digital', profile: 'efa', daysAgo: 30 },
  { serviceId: 'itzbund/elterngeld-digital', profile: 'efa', daysAgo: 100 },
  { serviceId: 'itzbund/bundesmessenger', profile: 'dvs-hoch', daysAgo: 60 },
  // CERTIFIED, expiring within 30 days (the one-year checks were made 345 days ago)
  { serviceId: 'it-nrw/videokonferenz', profile: 'dvs-basis', daysAgo: 345 },
  // EXPIRED
  { serviceId: 'komm-one/moodle-lernplattform', profile: 'dvs-basis', daysAgo: 425 },
  // REVOKED
  {
    serviceId: 'dataport/phoenix-web-office',
    profile: 'dvs-basis',
    daysAgo: 200,
    then: {
      revoke:
        'Auf Antrag des Anbieters: Der Betrieb zieht in ein anderes Rechenzentrum um, die Nachweise zum Datenstandort werden erneuert.',
    },
  },
  // RECERTIFICATION_REQUIRED: the provider published a changed listing after certification
  {
    serviceId: 'itzbund/bundescloud-speicher',
    profile: 'dvs-hoch',
    daysAgo: 90,
    then: {
      changeListing: (listing) => ({
        ...listing,
        version: '1.1.0',
        description: `${listing.description} Neu in Version 1.1: Ende-zu-Ende-Verschlüsselung für geteilte Ordner.`,
      }),
    },
  },
];

/** Checks without a certificate: the service stays UNCERTIFIED, one criterion failed. */
const DEMO_OPEN_CHECKS = {
  serviceId: 'dataport/kubernetes-plattform',
  checks: [
    { criterion: 'oci-container', outcome: 'PASSED' as const, notes: null },
    {
      criterion: 'open-source-licence',
      outcome: 'FAILED' as const,
      notes: 'Die Beschreibung nennt weder eine Lizenz noch ein öffentliches Quellcode-Repository.',
    },
  ],
};

const EVIDENCE_BASE = 'https://nachweise.verwaltungscloud.example';

/**
 * Seeds the demo certification data into the demo catalogue. Does nothing when any certificate exists
 * (a second start reuses the data) or when the demo catalogue is not there. Returns whether it seeded.
 */
export async function seedDemoCertification(
  db: Kysely<Database>,
  options: { signer: CertificateSigner; hooks?: CatalogWriteHooks; now?: Date },
): Promise<boolean> {
  const now = options.now ?? new Date();
  if (await db.selectFrom('certification_certificate').select('id').limit(1).executeTakeFirst()) return false;
  const serviceIds = [...DEMO_CERTIFICATIONS.map((d) => d.serviceId), DEMO_OPEN_CHECKS.serviceId];
  const services = await db.selectFrom('service').selectAll().where('id', 'in', serviceIds).execute();
  const coordinator = await db
    .selectFrom('organisation')
    .select('id')
    .where('id', '=', COORDINATOR.organisation)
    .executeTakeFirst();
  if (!coordinator || services.length !== serviceIds.length) return false;

  for (const demo of DEMO_CERTIFICATIONS) {
    const certificate = await certifyWithPassedChecks(db, options.signer, {
      serviceId: demo.serviceId,
      profileId: demo.profile,
      actor: COORDINATOR,
      evidenceBase: EVIDENCE_BASE,
      now: new Date(now.getTime() - demo.daysAgo * DAY_MS),
    });
    if (demo.then && 'revoke' in demo.then) {
      await revokeCertificate(db, {
        certificateId: certificate.id,
        reason: demo.then.revoke,
        actor: COORDINATOR,
      });
    } else if (demo.then) {
      const service = services.find((s) => s.id === demo.serviceId)!;
      await publishListing(
        db,
        {
          providerId: service.provider_id,
          listing: demo.then.changeListing(service.document as Listing),
          source: 'PUSH',
          actor: { subject: `demo:${service.provider_id}`, organisationId: service.provider_id },
        },
        options.hooks,
      );
    }
  }
  for (const check of DEMO_OPEN_CHECKS.checks) {
    await recordCheck(db, {
      serviceId: DEMO_OPEN_CHECKS.serviceId,
      criterionId: check.criterion,
      outcome: check.outcome,
      ...inventedEvidence(EVIDENCE_BASE, DEMO_OPEN_CHECKS.serviceId, check.criterion),
      notes: check.notes,
      actor: COORDINATOR,
    });
  }
  return true;
}
