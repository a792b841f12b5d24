import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Listing } from '../../catalog-schema/generated/listing.ts';
import { issueCertificate } from '../../certification/issue-certificate.ts';
import { recordCheck as recordCheckDirectly } from '../../certification/record-check.ts';
import { loadCertificateSigner, type CertificateSigner } from '../../certification/signing-keys.ts';
import { verifyAuditChain } from '../../certification/verify-audit-chain.ts';
import {
  COORDINATOR,
  criteriaOf,
  evidenceFor,
  issue,
  ISSUE,
  passAll,
  RECORD_CHECK,
  recordCheck,
  REVOKE,
} from '../helpers/certification.ts';
import { makeListing, registerOrganisation } from '../helpers/listings.ts';
import { changesHeard, startTestServer, type TestServer } from '../helpers/test-server.ts';

let t: TestServer;
let signer: CertificateSigner;
const PROVIDER = 'provider@nordwerk';
const DAY = 86_400_000;
const ACTOR = { subject: 'test:coordinator', organisation: 'koordinierungsstelle' };

const PUBLISH = `
  mutation Publish($listing: JSON!) { publishService(listing: $listing) { service { id contentHash } } }`;
const WITHDRAW = `mutation Withdraw($id: ID!) { withdrawService(id: $id, reason: "eingestellt") { id status } }`;
const STATUS = `
  query Status($id: ID!) {
    service(id: $id) {
      contentHash
      certification {
        status validUntil revocationReason
        profile { id version title criteria { id } }
        certificate { id status contentHash }
        certificates { id status }
      }
    }
  }`;

const listings = new Map<string, Listing>();

/** Publishes a listing as the provider through the API (so the audit chain records who did it). */
async function publish(listing: Listing): Promise<string> {
  listings.set(listing.id, listing);
  const response = await t.graphql(PUBLISH, { listing }, { as: PROVIDER });
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data!.publishService.service.id;
}

/** The PRECONDITION_FAILED error of issuing a dvs-basis certificate for `serviceId`. */
function issueRefused(serviceId: string) {
  return refused(ISSUE, { serviceId, profile: 'dvs-basis' }, COORDINATOR, 'PRECONDITION_FAILED');
}

/** Records a check directly, stamped `at`: backdated, or ahead as by a replica whose clock runs ahead. */
async function recordCheckAt(serviceId: string, criterionId: string, outcome: 'PASSED' | 'FAILED', at: Date) {
  await recordCheckDirectly(
    t.db,
    { serviceId, criterionId, outcome, ...evidenceFor(serviceId, criterionId), actor: ACTOR },
    { now: at },
  );
}

/** Publishes a changed version of a listing: its content hash changes. */
async function change(localId: string): Promise<void> {
  const listing = listings.get(localId)!;
  await publish({ ...listing, version: `${listing.version}.1`, summary: `${listing.summary} Geändert.` });
}

async function status(id: string) {
  const response = await t.graphql(STATUS, { id });
  expect(response.errors).toBeUndefined();
  return response.data!.service.certification;
}

/** Rows in every table certification writes: a refused request must leave all of them as they were. */
async function counts() {
  const { rows } = await sql<{ checks: number; certificates: number; revoked: number; events: number }>`
    select (select count(*)::int from certification_check) as checks,
           (select count(*)::int from certification_certificate) as certificates,
           (select count(*)::int from certification_certificate where revoked_at is not null) as revoked,
           (select count(*)::int from audit_event) as events`.execute(t.db);
  return rows[0]!;
}

/** Expects the request to fail with `code` and to change nothing; returns the error. */
async function refused(
  query: string,
  variables: Record<string, unknown>,
  as: string | undefined,
  code: string,
): Promise<{ message: string; extensions: Record<string, any> }> {
  const before = await counts();
  const response = await t.graphql(query, variables, as ? { as } : {});
  expect(response.errors?.[0]?.extensions.code, JSON.stringify(response.errors)).toBe(code);
  expect(await counts()).toEqual(before);
  return response.errors![0]!;
}

/** Backdated checks and certificate through the domain functions (the API acts only at the present time). */
async function certifyAt(serviceId: string, profile: string, daysAgo: number): Promise<string> {
  const now = new Date(Date.now() - daysAgo * DAY);
  for (const criterion of criteriaOf(profile)) {
    await recordCheckDirectly(
      t.db,
      {
        serviceId,
        criterionId: criterion,
        outcome: 'PASSED',
        ...evidenceFor(serviceId, criterion),
        actor: ACTOR,
      },
      { now },
    );
  }
  return (await issueCertificate(t.db, signer, { serviceId, profileId: profile, actor: ACTOR }, { now })).id;
}

beforeAll(async () => {
  t = await startTestServer();
  await registerOrganisation(t.db, 'koordinierungsstelle', 'COORDINATOR', 'DE');
  await registerOrganisation(t.db, 'nordwerk', 'PROVIDER');
  await registerOrganisation(t.db, 'stadt-kiel', 'AUTHORITY');
  signer = await loadCertificateSigner(t.db, { kind: 'generate' }, t.server.config.certificateIssuer);
  for (const id of [
    'lebenszyklus',
    'ablauf',
    'abgelaufen',
    'voraussetzungen',
    'veraltet',
    'normal',
    'rueckzug',
    'bald',
    'nie',
  ]) {
    await publish(makeListing({ id }));
  }
  await publish(makeListing({ id: 'hoch', schutzbedarf: 'HIGH' }));
  await publish(makeListing({ id: 'efa-dienst', efa: true, developingLand: 'DE-SH' }));
});

afterAll(() => t?.close());

describe('only coordinators certify', () => {
  const attempts: [string, string, Record<string, unknown>][] = [
    [
      'recordCheck',
      RECORD_CHECK,
      {
        input: {
          serviceId: 'nordwerk/nie',
          criterion: 'dsgvo-avv',
          outcome: 'PASSED',
          ...evidenceFor('nordwerk/nie', 'dsgvo-avv'),
        },
      },
    ],
    ['issueCertificate', ISSUE, { serviceId: 'nordwerk/nie', profile: 'dvs-basis' }],
    ['revokeCertificate', REVOKE, { id: '00000000-0000-4000-8000-000000000000', reason: 'Test' }],
    ['expiringCertificates', `{ expiringCertificates(withinDays: 30) { id } }`, {}],
    ['certificationChecks', `{ certificationChecks(serviceId: "nordwerk/nie") { id } }`, {}],
  ];
  for (const [name, query, variables] of attempts) {
    it(`${name}: FORBIDDEN for providers and authorities, UNAUTHENTICATED without sign-in`, async () => {
      expect((await refused(query, variables, PROVIDER, 'FORBIDDEN')).message).toContain('role coordinator');
      await refused(query, variables, 'authority@stadt-kiel', 'FORBIDDEN');
      // The role alone is not enough: the organisation must be the coordination office's kind.
      await refused(query, variables, 'coordinator@nordwerk', 'FORBIDDEN');
      await refused(query, variables, undefined, 'UNAUTHENTICATED');
    });
  }

  it('lets anyone read statuses, certificates, criteria and profiles', async () => {
    const response = await t.graphql(`{
      certificationCriteria { id version title evidence defaultValidityDays }
      certificationProfiles { id version requiresSchutzbedarf requiresEfa criteria { id version } }
      service(id: "nordwerk/nie") { certification { status } }
    }`);
    expect(response.errors).toBeUndefined();
    expect(response.data!.certificationCriteria).toHaveLength(9);
    expect(response.data!.certificationProfiles.map((p: any) => p.id)).toEqual([
      'dvs-basis',
      'dvs-hoch',
      'efa',
    ]);
    expect(response.data!.certificationProfiles[1]).toMatchObject({
      requiresSchutzbedarf: 'HIGH',
      requiresEfa: false,
    });
    expect(response.data!.service.certification.status).toBe('UNCERTIFIED');
  });
});

describe('status transitions', () => {
  it('UNCERTIFIED → CERTIFIED → RECERTIFICATION_REQUIRED → CERTIFIED → REVOKED → CERTIFIED', async () => {
    const id = 'nordwerk/lebenszyklus';
    expect(await status(id)).toMatchObject({ status: 'UNCERTIFIED', certificate: null, certificates: [] });

    // One check ends sooner than the others: the certificate ends with it.
    const soon = new Date(Date.now() + 100 * DAY);
    for (const criterion of criteriaOf('dvs-basis')) {
      await recordCheck(
        t,
        id,
        criterion,
        'PASSED',
        criterion === 'oci-container' ? { validUntil: soon } : {},
      );
    }
    const first = await issue(t, id, 'dvs-basis');
    expect(first.expiresAt).toBe(new Date(Math.floor(soon.getTime() / 1000) * 1000).toISOString());
    expect(await status(id)).toMatchObject({
      status: 'CERTIFIED',
      validUntil: first.expiresAt,
      revocationReason: null,
      profile: { id: 'dvs-basis', version: 1, criteria: criteriaOf('dvs-basis').map((c) => ({ id: c })) },
      certificate: { id: first.id, status: 'CERTIFIED' },
    });

    await change('lebenszyklus');
    const changed = await status(id);
    expect(changed).toMatchObject({
      status: 'RECERTIFICATION_REQUIRED',
      profile: null,
      validUntil: null,
      certificate: { id: first.id, status: 'RECERTIFICATION_REQUIRED' },
    });
    expect(changed.certificate.contentHash).not.toBe(
      (await t.graphql(STATUS, { id })).data!.service.contentHash,
    );

    await passAll(t, id, 'dvs-basis');
    const second = await issue(t, id, 'dvs-basis');
    expect(await status(id)).toMatchObject({
      status: 'CERTIFIED',
      certificate: { id: second.id },
      certificates: [
        { id: second.id, status: 'CERTIFIED' },
        { id: first.id, status: 'RECERTIFICATION_REQUIRED' },
      ],
    });

    const revoked = await t.graphql(
      REVOKE,
      { id: second.id, reason: 'Das C5-Testat wurde zurückgezogen.' },
      { as: COORDINATOR },
    );
    expect(revoked.data!.revokeCertificate).toMatchObject({
      status: 'REVOKED',
      revocationReason: 'Das C5-Testat wurde zurückgezogen.',
    });
    expect(await status(id)).toMatchObject({
      status: 'REVOKED',
      revocationReason: 'Das C5-Testat wurde zurückgezogen.',
      certificate: { id: second.id, status: 'REVOKED' },
    });

    // The checks still stand: a new certificate can be issued on them.
    const third = await issue(t, id, 'dvs-basis');
    expect(await status(id)).toMatchObject({ status: 'CERTIFIED', certificate: { id: third.id } });
  });

  it('CERTIFIED → EXPIRED when the earliest check runs out, without any write', async () => {
    const id = 'nordwerk/ablauf';
    const validUntil = new Date(Date.now() + 2500);
    for (const criterion of criteriaOf('dvs-basis')) {
      await recordCheck(t, id, criterion, 'PASSED', criterion === 'dsgvo-avv' ? { validUntil } : {});
    }
    const certificate = await issue(t, id, 'dvs-basis');
    // The certificate's own change notice may arrive after the first read and drop its answer: wait for it.
    await changesHeard(t);
    // The same request twice: the response cache answers the second one, but only until the expiry.
    const read = async () => {
      const response = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: STATUS, variables: { id } }),
      });
      const body = (await response.json()) as any;
      return {
        cache: response.headers.get('x-response-cache'),
        certification: body.data.service.certification,
      };
    };
    expect((await read()).certification).toMatchObject({
      status: 'CERTIFIED',
      validUntil: certificate.expiresAt,
    });
    expect((await read()).cache).toBe('hit');
    const before = await counts();
    await new Promise((resolve) =>
      setTimeout(resolve, new Date(certificate.expiresAt).getTime() - Date.now() + 50),
    );
    const after = await read();
    expect(after.cache).toBe('miss');
    expect(after.certification).toMatchObject({
      status: 'EXPIRED',
      validUntil: null,
      certificate: { id: certificate.id, status: 'EXPIRED' },
    });
    expect(await counts()).toEqual(before);
  });

  it('keeps a withdrawn service from being checked or certified', async () => {
    const id = 'nordwerk/rueckzug';
    await passAll(t, id, 'dvs-basis');
    expect((await t.graphql(WITHDRAW, { id }, { as: PROVIDER })).errors).toBeUndefined();
    expect(
      (await refused(ISSUE, { serviceId: id, profile: 'dvs-basis' }, COORDINATOR, 'PRECONDITION_FAILED'))
        .message,
    ).toMatch(/withdrawn/);
    await refused(
      RECORD_CHECK,
      { input: { serviceId: id, criterion: 'bitv-2', outcome: 'PASSED', ...evidenceFor(id, 'bitv-2') } },
      COORDINATOR,
      'PRECONDITION_FAILED',
    );
  });
});

describe('issueCertificate preconditions', () => {
  const id = 'nordwerk/voraussetzungen';

  it('names every criterion when there is no check', async () => {
    const error = await issueRefused(id);
    expect(error.extensions.missingCriteria).toEqual(criteriaOf('dvs-basis'));
    expect(error.extensions.problems.map((p: any) => p.reason)).toEqual(
      criteriaOf('dvs-basis').map(() => 'NOT_CHECKED'),
    );
    for (const criterion of criteriaOf('dvs-basis')) expect(error.message).toContain(criterion);
  });

  it('names a criterion whose newest check FAILED, even after an earlier PASSED one', async () => {
    await passAll(t, id, 'dvs-basis');
    await recordCheck(t, id, 'oci-container', 'FAILED', { notes: 'Helm-Chart fehlt.' });
    const error = await issueRefused(id);
    expect(error.extensions.missingCriteria).toEqual(['oci-container']);
    expect(error.extensions.problems).toEqual([
      { criterion: 'oci-container', criterionVersion: 1, reason: 'FAILED' },
    ]);
    expect(error.message).toContain('oci-container failed its latest check');
  });

  it('counts a FAILED check recorded by a replica whose clock runs ahead', async () => {
    const service = await publish(makeListing({ id: 'vorauseilend' }));
    await passAll(t, service, 'dvs-basis');
    await recordCheckAt(service, 'oci-container', 'FAILED', new Date(Date.now() + 60_000));
    const error = await issueRefused(service);
    expect(error.extensions.problems).toEqual([
      { criterion: 'oci-container', criterionVersion: 1, reason: 'FAILED' },
    ]);
  });

  it('names a criterion whose check has expired', async () => {
    const service = 'nordwerk/abgelaufen';
    for (const criterion of criteriaOf('dvs-basis').filter((c) => c !== 'bsi-c5-type2')) {
      await recordCheck(t, service, criterion);
    }
    // Recorded 400 days ago with the default validity of one year.
    await recordCheckAt(service, 'bsi-c5-type2', 'PASSED', new Date(Date.now() - 400 * DAY));
    const error = await issueRefused(service);
    expect(error.extensions.problems).toEqual([
      { criterion: 'bsi-c5-type2', criterionVersion: 1, reason: 'EXPIRED' },
    ]);
    expect(error.message).toContain('bsi-c5-type2 has a check that has expired');
  });

  it('does not count checks made on an earlier version of the listing', async () => {
    await passAll(t, 'nordwerk/veraltet', 'dvs-basis');
    await change('veraltet');
    const error = await issueRefused('nordwerk/veraltet');
    expect(error.extensions.missingCriteria).toEqual(criteriaOf('dvs-basis'));
    expect(new Set(error.extensions.problems.map((p: any) => p.reason))).toEqual(
      new Set(['CHECKED_ON_OLDER_LISTING']),
    );
  });

  it('refuses a profile whose listing requirements the service does not meet', async () => {
    await passAll(t, 'nordwerk/normal', 'dvs-hoch');
    await passAll(t, 'nordwerk/normal', 'efa');
    const hoch = await refused(
      ISSUE,
      { serviceId: 'nordwerk/normal', profile: 'dvs-hoch' },
      COORDINATOR,
      'PRECONDITION_FAILED',
    );
    expect(hoch.extensions.missingCriteria).toEqual([]);
    expect(hoch.extensions.listingProblems).toEqual([
      'the listing supports protection need NORMAL, the profile needs at least HIGH',
    ]);
    const efa = await refused(
      ISSUE,
      { serviceId: 'nordwerk/normal', profile: 'efa' },
      COORDINATOR,
      'PRECONDITION_FAILED',
    );
    expect(efa.message).toContain('the profile is for EfA services');
    // The same checks certify a listing that meets the requirements.
    await passAll(t, 'nordwerk/hoch', 'dvs-hoch');
    expect((await issue(t, 'nordwerk/hoch', 'dvs-hoch')).profile).toEqual({ id: 'dvs-hoch', version: 1 });
    await passAll(t, 'nordwerk/efa-dienst', 'efa');
    expect((await issue(t, 'nordwerk/efa-dienst', 'efa')).profile).toEqual({ id: 'efa', version: 1 });
  });

  it('refuses an unknown profile (BAD_USER_INPUT) and an unknown service (NOT_FOUND)', async () => {
    const profile = await refused(
      ISSUE,
      { serviceId: id, profile: 'dvs-gold' },
      COORDINATOR,
      'BAD_USER_INPUT',
    );
    expect(profile.message).toContain('dvs-basis, dvs-hoch, efa');
    expect(profile.extensions.argument).toBe('profile');
    await refused(
      ISSUE,
      { serviceId: 'nordwerk/gibt-es-nicht', profile: 'dvs-basis' },
      COORDINATOR,
      'NOT_FOUND',
    );
  });
});

describe('recordCheck', () => {
  const id = 'nordwerk/nie';
  const input = (extra: Record<string, unknown>) => ({
    input: { serviceId: id, criterion: 'bitv-2', outcome: 'PASSED', ...evidenceFor(id, 'bitv-2'), ...extra },
  });

  it('binds the check to the current content hash, with the default validity of the criterion', async () => {
    const check = await recordCheck(t, id, 'bitv-2', 'PASSED', {
      evidenceSha256: 'AB'.repeat(32),
      notes: ' BITV-Test ',
    });
    const service = (await t.graphql(STATUS, { id })).data!.service;
    expect(check).toMatchObject({ outcome: 'PASSED', contentHash: service.contentHash, current: true });
    expect(check.criterion).toEqual({ id: 'bitv-2', version: 1 });
    const days = (new Date(check.validUntil).getTime() - Date.now()) / DAY;
    expect(days).toBeGreaterThan(729.9);
    expect(days).toBeLessThanOrEqual(730);
    const listed = await t.graphql(
      `query ($id: ID!) { certificationChecks(serviceId: $id) { id evidenceSha256 notes current checkedBy { id } } }`,
      { id },
      { as: COORDINATOR },
    );
    expect(listed.data!.certificationChecks[0]).toEqual({
      id: check.id,
      evidenceSha256: 'ab'.repeat(32),
      notes: 'BITV-Test',
      current: true,
      checkedBy: { id: 'koordinierungsstelle' },
    });
  });

  it('refuses bad input with BAD_USER_INPUT naming the argument', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ criterion: 'iso-9001' }, 'criterion'],
      [{ evidenceSha256: 'abc' }, 'evidenceSha256'],
      [{ evidenceUrl: 'http://nachweise.example/x.pdf' }, 'evidenceUrl'],
      [{ evidenceUrl: 'kein Link' }, 'evidenceUrl'],
      [{ validUntil: new Date(Date.now() - DAY).toISOString() }, 'validUntil'],
      [{ validUntil: new Date(Date.now() + 6 * 366 * DAY).toISOString() }, 'validUntil'],
      [{ notes: 'x'.repeat(4001) }, 'notes'],
      [{ notes: '😀'.repeat(4001) }, 'notes'],
    ];
    for (const [extra, argument] of cases) {
      const error = await refused(RECORD_CHECK, input(extra), COORDINATOR, 'BAD_USER_INPUT');
      expect(error.extensions.argument, JSON.stringify(extra)).toBe(argument);
    }
    await refused(RECORD_CHECK, input({ serviceId: 'nordwerk/gibt-es-nicht' }), COORDINATOR, 'NOT_FOUND');
    await refused(
      `{ certificationChecks(serviceId: "nordwerk/gibt-es-nicht") { id } }`,
      {},
      COORDINATOR,
      'NOT_FOUND',
    );
  });
});

describe('revokeCertificate', () => {
  it('revokes once; a second revocation is a CONFLICT, an unknown id NOT_FOUND, no reason BAD_USER_INPUT', async () => {
    await passAll(t, 'nordwerk/bald', 'dvs-basis');
    const certificate = await issue(t, 'nordwerk/bald', 'dvs-basis');
    await refused(REVOKE, { id: certificate.id, reason: '  ' }, COORDINATOR, 'BAD_USER_INPUT');
    // Characters, not UTF-16 units: two emoji are two characters (too short) and change nothing;
    // 1,001 are too long.
    for (const reason of ['😀😀', '😀'.repeat(1001)]) {
      const error = await refused(REVOKE, { id: certificate.id, reason }, COORDINATOR, 'BAD_USER_INPUT');
      expect(error.extensions.argument).toBe('reason');
    }
    const stored = await t.db
      .selectFrom('certification_certificate')
      .select('revoked_at')
      .where('id', '=', certificate.id)
      .executeTakeFirstOrThrow();
    expect(stored.revoked_at).toBeNull();
    const first = await t.graphql(
      REVOKE,
      // 1,000 characters (2,000 UTF-16 units) are allowed.
      { id: certificate.id, reason: `Auf Antrag des Anbieters.${'😀'.repeat(975)}` },
      { as: COORDINATOR },
    );
    expect(first.errors).toBeUndefined();
    const again = await refused(
      REVOKE,
      { id: certificate.id, reason: 'Noch einmal.' },
      COORDINATOR,
      'CONFLICT',
    );
    expect(again.message).toContain('Auf Antrag des Anbieters.');
    expect(again.extensions.revokedAt).toBe(first.data!.revokeCertificate.revokedAt);
    await refused(
      REVOKE,
      { id: '6f1c2a7e-0000-4000-8000-000000000000', reason: 'Unbekannt' },
      COORDINATOR,
      'NOT_FOUND',
    );
    await refused(REVOKE, { id: 'kein-uuid', reason: 'Unbekannt' }, COORDINATOR, 'NOT_FOUND');
  });
});

describe('reading certification', () => {
  it('filters services by `certified`, on the statuses computed now', async () => {
    const certified = await certifyAt('nordwerk/bald', 'dvs-basis', 345);
    await certifyAt('nordwerk/veraltet', 'dvs-basis', 400);
    const query = `query ($c: Boolean) { services(filter: { certified: $c }, first: 100) { totalCount edges { node { id certification { status } } } } }`;
    const yes = (await t.graphql(query, { c: true })).data!.services;
    const no = (await t.graphql(query, { c: false })).data!.services;
    expect(yes.edges.every((e: any) => e.node.certification.status === 'CERTIFIED')).toBe(true);
    expect(no.edges.every((e: any) => e.node.certification.status !== 'CERTIFIED')).toBe(true);
    expect(yes.edges.map((e: any) => e.node.id)).toEqual(
      expect.arrayContaining([
        'nordwerk/bald',
        'nordwerk/hoch',
        'nordwerk/efa-dienst',
        'nordwerk/lebenszyklus',
      ]),
    );
    expect(no.edges.map((e: any) => e.node.id)).toEqual(
      expect.arrayContaining(['nordwerk/veraltet', 'nordwerk/ablauf', 'nordwerk/nie']),
    );
    const all = (await t.graphql(query, { c: null })).data!.services;
    expect(yes.totalCount + no.totalCount).toBe(all.totalCount);

    const soon = await t.graphql(
      `{ expiringCertificates(withinDays: 30) { id service { id } status } }`,
      {},
      { as: COORDINATOR },
    );
    expect(soon.data!.expiringCertificates).toEqual([
      { id: certified, service: { id: 'nordwerk/bald' }, status: 'CERTIFIED' },
    ]);
    const sooner = await t.graphql(
      `{ expiringCertificates(withinDays: 10) { id } }`,
      {},
      { as: COORDINATOR },
    );
    expect(sooner.data!.expiringCertificates).toEqual([]);
    // Renewed by a certificate that lasts longer: no longer due.
    await passAll(t, 'nordwerk/bald', 'dvs-basis');
    await issue(t, 'nordwerk/bald', 'dvs-basis');
    const renewed = await t.graphql(
      `{ expiringCertificates(withinDays: 30) { id } }`,
      {},
      { as: COORDINATOR },
    );
    expect(renewed.data!.expiringCertificates).toEqual([]);
    for (const withinDays of [0, 731]) {
      await refused(
        `query ($d: Int!) { expiringCertificates(withinDays: $d) { id } }`,
        { d: withinDays },
        COORDINATOR,
        'BAD_USER_INPUT',
      );
    }
  });

  it('answers certificate(id) for any id, null when there is none', async () => {
    const response = await t.graphql(
      `{ a: certificate(id: "kein-uuid") { id } b: certificate(id: "6f1c2a7e-0000-4000-8000-000000000000") { id } }`,
    );
    expect(response.data).toEqual({ a: null, b: null });
  });
});

describe('the audit chain', () => {
  it('holds every publish, withdrawal, check, issue and revocation, with its actor, and verifies', async () => {
    const report = await verifyAuditChain(t.db);
    expect(report.ok).toBe(true);
    const { rows } = await sql<{
      action: string;
      subject: string;
      actor: { subject: string; organisation: string };
    }>`
      select action, subject, actor from audit_event e order by e.sequence`.execute(t.db);
    expect(report.events).toBe(rows.length);
    const actions = new Set(rows.map((r) => r.action));
    for (const action of [
      'criterion.registered',
      'profile.registered',
      'signing-key.registered',
      'service.published',
      'service.withdrawn',
      'check.recorded',
      'certificate.issued',
      'certificate.revoked',
    ]) {
      expect(actions).toContain(action);
    }
    expect(rows.find((r) => r.action === 'service.withdrawn')).toMatchObject({
      subject: 'service:nordwerk/rueckzug',
      actor: { subject: 'dev:provider@nordwerk', organisation: 'nordwerk' },
    });
    expect(rows.find((r) => r.action === 'certificate.revoked')!.actor).toEqual({
      subject: `dev:${COORDINATOR}`,
      organisation: 'koordinierungsstelle',
    });
  });
});
