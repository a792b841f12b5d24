import type { Kysely } from 'kysely';
import type { CertificateRow } from '../../certification/schema.ts';
import { loadCertificateSigner } from '../../certification/signing-keys.ts';
import { syncCriteriaCatalogue } from '../../certification/sync-criteria-catalogue.ts';
import type { GatewayConfig } from '../../gateway/config.ts';
import type { Database } from '../../gateway/database/database.ts';
import { certifyWithPassedChecks } from '../../services/demo/certify-with-passed-checks.ts';
import { makeListing, publishAll, registerOrganisation } from './listings.ts';
import { testConfig } from './test-server.ts';

const COORDINATOR = { subject: 'test:koordinierung', organisation: 'koordinierung' };

/**
 * Certifies a service with profile dvs-basis through certification's own functions: a PASSED check of
 * every criterion and a certificate signed with the stored (demo-mode) key. `now` backdates both.
 */
export async function certifyService(
  db: Kysely<Database>,
  serviceId: string,
  options: { now?: Date } = {},
): Promise<CertificateRow> {
  const signer = await loadCertificateSigner(db, { kind: 'generate' }, testConfig().certificateIssuer);
  return certifyWithPassedChecks(db, signer, {
    serviceId,
    profileId: 'dvs-basis',
    actor: COORDINATOR,
    evidenceBase: 'https://nachweise.example',
    ...options,
  });
}

/**
 * The organisations and services the subscription tests share: provider `anbieter` with the certified
 * service `anbieter/fachverfahren` (plans standard and premium, Schutzbedarf HIGH, available in
 * Schleswig-Holstein and Hamburg), authorities in those Länder and one in Bayern, a coordinator.
 */
export async function seedSubscriptionWorld(db: Kysely<Database>): Promise<void> {
  // What a gateway does at start; needed here when the world is seeded before any gateway ran.
  await syncCriteriaCatalogue(db);
  await registerOrganisation(db, 'koordinierung', 'COORDINATOR', 'DE');
  await registerOrganisation(db, 'anbieter', 'PROVIDER', 'DE-SH');
  await registerOrganisation(db, 'anderer-anbieter', 'PROVIDER', 'DE-HH');
  await registerOrganisation(db, 'stadt-kiel', 'AUTHORITY', 'DE-SH');
  await registerOrganisation(db, 'stadt-luebeck', 'AUTHORITY', 'DE-SH');
  await registerOrganisation(db, 'hamburg', 'AUTHORITY', 'DE-HH');
  await registerOrganisation(db, 'stadt-muenchen', 'AUTHORITY', 'DE-BY');
  await registerOrganisation(db, 'ohne-land', 'AUTHORITY', null);
  const plans = [
    { id: 'standard', name: 'Standard', pricingModel: 'FLAT' as const, priceEur: 100 },
    { id: 'premium', name: 'Premium', pricingModel: 'PER_CASE' as const, priceEur: 2 },
  ];
  await publishAll(db, 'anbieter', [
    makeListing({ id: 'fachverfahren', availableIn: ['DE-SH', 'DE-HH'], schutzbedarf: 'HIGH', plans }),
    makeListing({ id: 'ohne-zertifikat', availableIn: ['DE-SH'], plans }),
  ]);
  await publishAll(db, 'anderer-anbieter', [
    makeListing({ id: 'portal', availableIn: ['DE-SH', 'DE-HH'], plans }),
  ]);
  await certifyService(db, 'anbieter/fachverfahren');
  await certifyService(db, 'anderer-anbieter/portal');
}

/** Test configuration with the subscription worker and certification check off: tests drive both. */
export function subscriptionTestConfig(
  overrides: Partial<GatewayConfig['subscriptions']> = {},
): Partial<GatewayConfig> {
  const base = testConfig().subscriptions;
  return {
    subscriptions: {
      ...base,
      deliveryIntervalMs: 0,
      certificationCheckIntervalMs: 0,
      webhookAllowHttp: true,
      webhookAllowedAddresses: ['127.0.0.0/8', '::1/128'],
      ...overrides,
    },
  };
}

export const SUBSCRIBE = `
  mutation Subscribe($serviceId: ID!, $planId: ID!, $key: String!, $schutzbedarf: Schutzbedarf) {
    subscribe(serviceId: $serviceId, planId: $planId, idempotencyKey: $key, schutzbedarf: $schutzbedarf) {
      id state planId schutzbedarf idempotencyKey certificationStatus
      organisation { id }
      service { id subscriberCount }
      requested { at by organisation { id } }
    }
  }`;

export const SUBSCRIPTION_FIELDS = `
  id state planId certificationStatus
  organisation { id }
  service { id subscriberCount }
  requested { at by organisation { id } reason }
  accepted { at by organisation { id } reason }
  rejected { at by organisation { id } reason }
  cancelled { at by organisation { id } reason }
  events { kind at by organisation { id } reason previousStatus status }`;
