import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishListing } from '../catalog/publish-listing.ts';
import { makeListing, publishAll } from '../../test/helpers/listings.ts';
import {
  certifyService,
  seedSubscriptionWorld,
  SUBSCRIBE,
  SUBSCRIPTION_FIELDS,
  subscriptionTestConfig,
} from '../../test/helpers/subscription-fixtures.ts';
import { changesHeard, startTestServer, type TestServer } from '../../test/helpers/test-server.ts';
import { takeStep } from './take-step.ts';

// When a subscribed service's certification changes, REQUESTED subscriptions can no longer be
// accepted and the holders of every open subscription find a notice with the time in its history.
let t: TestServer;
let keys = 0;
const DAY = 86_400_000;

beforeAll(async () => {
  t = await startTestServer({ config: subscriptionTestConfig() });
  await seedSubscriptionWorld(t.db);
});

afterAll(() => t?.close());

const ACCEPT = `mutation ($id: ID!) { acceptSubscription(id: $id) { id state } }`;
const ONE = `query ($id: ID!) { serviceSubscription(id: $id) { ${SUBSCRIPTION_FIELDS} } }`;

/** A fresh certified service of `anbieter`, with an ACTIVE subscription of Kiel and a REQUESTED one of Lübeck. */
async function subscribedService(localId: string, certifiedAt?: Date) {
  await publishAll(t.db, 'anbieter', [makeListing({ id: localId, availableIn: ['DE-SH'] })]);
  const certificate = await certifyService(
    t.db,
    `anbieter/${localId}`,
    certifiedAt ? { now: certifiedAt } : {},
  );
  const subscribe = async (organisation: string) => {
    const response = await t.graphql(
      SUBSCRIBE,
      { serviceId: `anbieter/${localId}`, planId: 'standard', key: `notice-${++keys}` },
      { as: `authority@${organisation}` },
    );
    expect(response.errors).toBeUndefined();
    return response.data!.subscribe.id as string;
  };
  const active = await subscribe('stadt-kiel');
  expect((await t.graphql(ACCEPT, { id: active }, { as: 'provider@anbieter' })).errors).toBeUndefined();
  const requested = await subscribe('stadt-luebeck');
  return { serviceId: `anbieter/${localId}`, certificate, active, requested };
}

async function view(id: string, as: string) {
  // The tests write past the gateway (domain functions, the periodic check): wait until it heard.
  await changesHeard(t);
  const response = await t.graphql(ONE, { id }, { as });
  expect(response.errors).toBeUndefined();
  return response.data!.serviceSubscription;
}

function notices(subscription: { events: { kind: string; by: string | null; at: string }[] }) {
  return subscription.events.filter((e) => e.by === null);
}

describe('certification changes', () => {
  it('a revocation records CERTIFICATE_REVOKED in the revoking transaction; REQUESTED can no longer be accepted', async () => {
    const { certificate, active, requested } = await subscribedService('widerruf');
    const revoke = await t.graphql(
      `mutation ($id: ID!) { revokeCertificate(id: $id, reason: "Nachweis gefälscht") { id } }`,
      { id: certificate.id },
      { as: 'coordinator@koordinierung' },
    );
    expect(revoke.errors).toBeUndefined();
    // No periodic check ran: the notice exists because the revocation wrote it.
    const holder = await view(active, 'authority@stadt-kiel');
    expect(holder.state).toBe('ACTIVE');
    expect(holder.certificationStatus).toBe('REVOKED');
    expect(notices(holder)).toEqual([
      expect.objectContaining({
        kind: 'CERTIFICATE_REVOKED',
        previousStatus: 'CERTIFIED',
        status: 'REVOKED',
      }),
    ]);
    expect(Date.now() - Date.parse(notices(holder)[0]!.at)).toBeLessThan(60_000);
    expect(notices(await view(requested, 'authority@stadt-luebeck')).map((e) => e.kind)).toEqual([
      'CERTIFICATE_REVOKED',
    ]);

    const accept = await t.graphql(ACCEPT, { id: requested }, { as: 'provider@anbieter' });
    expect(accept.errors?.[0]?.extensions).toMatchObject({
      code: 'PRECONDITION_FAILED',
      reason: 'SERVICE_NOT_CERTIFIED',
      certificationStatus: 'REVOKED',
    });
    // The periodic check finds nothing left to record.
    expect(await t.server.subscriptions.checkCertificationChanges()).toEqual([]);
  });

  it('an expiry is recorded once by the periodic check; accepting after it is refused', async () => {
    // Checks made 364 days ago with their one-year validity: the certificate expires in about a day.
    const { serviceId, active, requested } = await subscribedService(
      'ablauf',
      new Date(Date.now() - 364 * DAY),
    );
    expect(await t.server.subscriptions.checkCertificationChanges()).toEqual([]);
    const later = new Date(Date.now() + 2 * DAY);
    const recorded = await t.server.subscriptions.checkCertificationChanges(later);
    expect(recorded.filter((n) => n.serviceId === serviceId)).toHaveLength(2);
    expect(recorded.every((n) => n.status === 'EXPIRED')).toBe(true);
    // Several replicas, or the same one again: the change is recorded once.
    expect(await t.server.subscriptions.checkCertificationChanges(later)).toEqual([]);
    expect(notices(await view(active, 'authority@stadt-kiel'))).toEqual([
      expect.objectContaining({
        kind: 'CERTIFICATE_EXPIRED',
        previousStatus: 'CERTIFIED',
        status: 'EXPIRED',
      }),
    ]);

    await expect(
      takeStep(
        t.db,
        {
          subscriptionId: requested,
          step: 'ACCEPT',
          actor: { subject: 'test', organisationId: 'anbieter' },
          reason: null,
        },
        { now: later },
      ),
    ).rejects.toMatchObject({ code: 'PRECONDITION_FAILED', details: { reason: 'SERVICE_NOT_CERTIFIED' } });
  });

  it('concurrent periodic checks record each change once', async () => {
    const { serviceId } = await subscribedService('parallel', new Date(Date.now() - 364 * DAY));
    const later = new Date(Date.now() + 2 * DAY);
    const runs = await Promise.all(
      Array.from({ length: 5 }, () => t.server.subscriptions.checkCertificationChanges(later)),
    );
    expect(runs.flat().filter((n) => n.serviceId === serviceId)).toHaveLength(2);
    const events = await t.db
      .selectFrom('service_subscription_event')
      .innerJoin(
        'service_subscription',
        'service_subscription.id',
        'service_subscription_event.subscription_id',
      )
      .select('kind')
      .where('service_subscription.service_id', '=', serviceId)
      .where('kind', '=', 'CERTIFICATE_EXPIRED')
      .execute();
    expect(events).toHaveLength(2);
  });

  it('a changed listing records RECERTIFICATION_REQUIRED in the publishing transaction, and a new certificate CERTIFICATION_RESTORED', async () => {
    const { serviceId, active } = await subscribedService('aenderung');
    const response = await t.graphql(
      `mutation ($l: JSON!) { publishService(listing: $l) { changed } }`,
      { l: makeListing({ id: 'aenderung', availableIn: ['DE-SH'], version: '2.0.0' }) },
      { as: 'provider@anbieter' },
    );
    expect(response.errors).toBeUndefined();
    expect(notices(await view(active, 'authority@stadt-kiel')).map((e) => e.kind)).toEqual([
      'RECERTIFICATION_REQUIRED',
    ]);

    await certifyService(t.db, serviceId);
    // (Filtered: the expiry tests above moved the clock forward; back at today their services count as
    // certified again, which this check records as well.)
    const restored = (await t.server.subscriptions.checkCertificationChanges()).filter(
      (n) => n.serviceId === serviceId,
    );
    expect(restored.map((n) => n.status)).toEqual(['CERTIFIED', 'CERTIFIED']);
    const holder = await view(active, 'authority@stadt-kiel');
    expect(holder.certificationStatus).toBe('CERTIFIED');
    expect(notices(holder).map((e) => e.kind)).toEqual([
      'RECERTIFICATION_REQUIRED',
      'CERTIFICATION_RESTORED',
    ]);
  });

  it('a withdrawal records SERVICE_WITHDRAWN; accepting is then SERVICE_NOT_ACTIVE', async () => {
    const { active, requested } = await subscribedService('rueckzug');
    const response = await t.graphql(
      `mutation { withdrawService(id: "anbieter/rueckzug", reason: "Eingestellt") { status } }`,
      {},
      { as: 'provider@anbieter' },
    );
    expect(response.errors).toBeUndefined();
    expect(notices(await view(active, 'authority@stadt-kiel')).map((e) => e.kind)).toEqual([
      'SERVICE_WITHDRAWN',
    ]);
    const accept = await t.graphql(ACCEPT, { id: requested }, { as: 'provider@anbieter' });
    expect(accept.errors?.[0]?.extensions).toMatchObject({
      code: 'PRECONDITION_FAILED',
      reason: 'SERVICE_NOT_ACTIVE',
    });
    // Published again, it is active and certified once more (the content did not change).
    await publishListing(t.db, {
      providerId: 'anbieter',
      listing: makeListing({ id: 'rueckzug', availableIn: ['DE-SH'] }),
      source: 'PUSH',
    });
    expect((await t.graphql(ACCEPT, { id: requested }, { as: 'provider@anbieter' })).errors).toBeUndefined();
  });

  it('closed subscriptions get no notices', async () => {
    const { certificate, active } = await subscribedService('geschlossen');
    await t.graphql(
      `mutation ($id: ID!) { cancelSubscription(id: $id, reason: "Beendet") { state } }`,
      { id: active },
      { as: 'authority@stadt-kiel' },
    );
    await t.graphql(
      `mutation ($id: ID!) { revokeCertificate(id: $id, reason: "Nachweis fehlt") { id } }`,
      { id: certificate.id },
      { as: 'coordinator@koordinierung' },
    );
    expect(notices(await view(active, 'authority@stadt-kiel'))).toEqual([]);
  });
});
