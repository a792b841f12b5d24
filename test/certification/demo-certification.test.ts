import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCertificateSigner } from '../../certification/signing-keys.ts';
import { verifyAuditChain } from '../../certification/verify-audit-chain.ts';
import { seedDemoCertification } from '../../services/demo/seed-demo-certification.ts';
import { COORDINATOR } from '../helpers/certification.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

// The demo catalogue shows every certification status, made through the domain functions.
let t: TestServer;

async function counts() {
  const { rows } = await sql<{ checks: number; certificates: number; events: number }>`
    select (select count(*)::int from certification_check) as checks,
           (select count(*)::int from certification_certificate) as certificates,
           (select count(*)::int from audit_event) as events`.execute(t.db);
  return rows[0]!;
}

beforeAll(async () => {
  t = await startTestServer({ config: { seedDemoData: true } });
});

afterAll(() => t?.close());

describe('the demo certification data', () => {
  it('holds certified, expired, revoked and recertification-required services', async () => {
    const response = await t.graphql(`{
      services(first: 100) { edges { node { id certification { status profile { id } revocationReason } } } }
    }`);
    const status = new Map<string, any>(
      response.data!.services.edges.map((e: any) => [e.node.id, e.node.certification]),
    );
    expect(status.get('dataport/wohngeld-digital')).toMatchObject({
      status: 'CERTIFIED',
      profile: { id: 'efa' },
    });
    expect(status.get('itzbund/bundesmessenger')).toMatchObject({
      status: 'CERTIFIED',
      profile: { id: 'dvs-hoch' },
    });
    expect(status.get('it-nrw/videokonferenz')).toMatchObject({
      status: 'CERTIFIED',
      profile: { id: 'dvs-basis' },
    });
    expect(status.get('komm-one/moodle-lernplattform')!.status).toBe('EXPIRED');
    expect(status.get('dataport/phoenix-web-office')!.status).toBe('REVOKED');
    expect(status.get('dataport/phoenix-web-office')!.revocationReason).toMatch(/Auf Antrag des Anbieters/);
    expect(status.get('itzbund/bundescloud-speicher')!.status).toBe('RECERTIFICATION_REQUIRED');
    expect(status.get('dataport/kubernetes-plattform')!.status).toBe('UNCERTIFIED');

    const checks = await t.graphql(
      `{ certificationChecks(serviceId: "dataport/kubernetes-plattform") { criterion { id } outcome } }`,
      {},
      { as: COORDINATOR },
    );
    expect(checks.data!.certificationChecks).toEqual(
      expect.arrayContaining([
        { criterion: { id: 'open-source-licence' }, outcome: 'FAILED' },
        { criterion: { id: 'oci-container' }, outcome: 'PASSED' },
      ]),
    );
    const expiring = await t.graphql(
      `{ expiringCertificates(withinDays: 30) { service { id } } }`,
      {},
      { as: COORDINATOR },
    );
    expect(expiring.data!.expiringCertificates).toEqual([{ service: { id: 'it-nrw/videokonferenz' } }]);
  });

  it('is seeded once: a second run changes nothing', async () => {
    const before = await counts();
    const signer = await loadCertificateSigner(t.db, { kind: 'generate' }, t.server.config.certificateIssuer);
    expect(await seedDemoCertification(t.db, { signer })).toBe(false);
    expect(await counts()).toEqual(before);
  });

  it('is in the audit chain, from the demo listings on', async () => {
    const report = await verifyAuditChain(t.db);
    expect(report.ok).toBe(true);
    const { rows } = await sql<{ action: string; count: number }>`
      select action, count(*)::int as count from audit_event group by action`.execute(t.db);
    const byAction = Object.fromEntries(rows.map((r) => [r.action, r.count]));
    // 41 demo listings plus the changed one.
    expect(byAction['service.published']).toBeGreaterThanOrEqual(42);
    expect(byAction['certificate.issued']).toBe(7);
    expect(byAction['certificate.revoked']).toBe(1);
  });
});
