// What scenario 4 (subscribe and cancel, as authorities) needs in the benchmark catalogue: a few
// certified services and one authority organisation per client, each in a Land where its service is
// available. Certification goes through certification's domain functions, as in the demo data.
import type { Kysely } from 'kysely';
import { syncCriteriaCatalogue } from '../certification/sync-criteria-catalogue.ts';
import { loadCertificateSigner } from '../certification/signing-keys.ts';
import { configFromEnv } from '../gateway/config.ts';
import { upsertOrganisation } from '../gateway/catalog/organisations.ts';
import type { Database } from '../gateway/database/database.ts';
import { certifyWithPassedChecks } from '../services/demo/certify-with-passed-checks.ts';

/** One client of scenario 4: the authority it acts for and the plan it subscribes to. */
export interface BenchSubscriber {
  authorityId: string;
  serviceId: string;
  planId: string;
}

const COORDINATOR = { subject: 'bench:koordinierung', organisation: 'bench-koordinierung' };

/** Certifies the services of the given ids (profile dvs-basis, every check passed) with the key in `signingKeyFile`. */
export async function certifyServices(
  db: Kysely<Database>,
  serviceIds: readonly string[],
  signingKeyFile: string,
): Promise<void> {
  const signer = await benchSigner(db, signingKeyFile);
  for (const serviceId of serviceIds) {
    await certifyWithPassedChecks(db, signer, {
      serviceId,
      profileId: 'dvs-basis',
      actor: COORDINATOR,
      evidenceBase: 'https://nachweise.benchmark.example',
    });
  }
}

/** The criteria catalogue, the coordination office, and a signer with the gateways' key. */
async function benchSigner(db: Kysely<Database>, signingKeyFile: string) {
  await syncCriteriaCatalogue(db);
  const signer = await loadCertificateSigner(
    db,
    { kind: 'file', path: signingKeyFile },
    configFromEnv({}).certificateIssuer,
  );
  await upsertOrganisation(db, {
    id: COORDINATOR.organisation,
    kind: 'COORDINATOR',
    name: 'Koordinierungsstelle (Benchmark)',
    land: 'DE',
    regionalschluessel: null,
  });
  return signer;
}

/**
 * Certifies `services` of the given ids (each must have a plan) with the key in `signingKeyFile` (the
 * gateways' CERTIFICATE_SIGNING_KEY_FILE) and registers `clients` authorities, client i subscribing
 * to service i mod `services.length`, in the first Land that service is offered in.
 */
export async function prepareSubscribers(
  db: Kysely<Database>,
  serviceIds: readonly string[],
  clients: number,
  signingKeyFile: string,
): Promise<BenchSubscriber[]> {
  const signer = await benchSigner(db, signingKeyFile);
  const services = await db
    .selectFrom('service')
    .select(['id', 'document', 'available_in'])
    .where('id', 'in', [...serviceIds])
    .orderBy('id')
    .execute();
  const offers = [];
  for (const service of services) {
    const plan = (service.document as { plans?: { id: string }[] }).plans?.[0];
    if (!plan || service.available_in.length === 0) continue;
    await certifyWithPassedChecks(db, signer, {
      serviceId: service.id,
      profileId: 'dvs-basis',
      actor: COORDINATOR,
      evidenceBase: 'https://nachweise.benchmark.example',
    });
    offers.push({ serviceId: service.id, planId: plan.id, land: service.available_in[0]! });
  }
  if (offers.length === 0) throw new Error('none of the services chosen for scenario 4 has a plan');
  const subscribers: BenchSubscriber[] = [];
  for (let i = 0; i < clients; i++) {
    const offer = offers[i % offers.length]!;
    const authorityId = `bench-behoerde-${String(i + 1).padStart(3, '0')}`;
    await upsertOrganisation(db, {
      id: authorityId,
      kind: 'AUTHORITY',
      name: `Benchmark-Behörde ${i + 1}`,
      land: offer.land,
      regionalschluessel: null,
    });
    subscribers.push({ authorityId, serviceId: offer.serviceId, planId: offer.planId });
  }
  return subscribers;
}
