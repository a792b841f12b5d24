import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate } from '../../certification/issue-certificate.ts';
import { recordCheck } from '../../certification/record-check.ts';
import { revokeCertificate } from '../../certification/revoke-certificate.ts';
import { loadCertificateSigner } from '../../certification/signing-keys.ts';
import { criteriaOf, evidenceFor } from '../helpers/certification.ts';
import { makeListing, publishAll, registerOrganisation } from '../helpers/listings.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

// Certification on a page of services costs a constant number of SQL statements: no N+1.
let t: TestServer;

const PAGE = `
  query Page($first: Int, $certified: Boolean) {
    services(first: $first, filter: { certified: $certified }) {
      edges {
        node {
          id
          certification {
            status validUntil revocationReason
            profile { id title criteria { id title } }
            certificate { id status keyId service { id } checks { criterion { id title } validUntil } }
            certificates { id status profile { id } }
          }
        }
      }
    }
  }`;

async function statements(variables: Record<string, unknown>): Promise<{ count: number; nodes: any[] }> {
  const response = await t.graphql(PAGE, variables);
  expect(response.errors).toBeUndefined();
  return { count: response.extensions!.sqlStatements!, nodes: response.data!.services.edges };
}

beforeAll(async () => {
  t = await startTestServer();
  await registerOrganisation(t.db, 'koordinierungsstelle', 'COORDINATOR', 'DE');
  await registerOrganisation(t.db, 'vielwerk');
  await publishAll(
    t.db,
    'vielwerk',
    Array.from({ length: 30 }, (_, i) => makeListing({ id: `dienst-${String(i).padStart(2, '0')}` })),
  );
  const signer = await loadCertificateSigner(t.db, { kind: 'generate' }, 'urn:test');
  const actor = { subject: 'test', organisation: 'koordinierungsstelle' };
  // Every third service certified, and every sixth one's certificate revoked again.
  for (let i = 0; i < 30; i += 3) {
    const serviceId = `vielwerk/dienst-${String(i).padStart(2, '0')}`;
    for (const criterion of criteriaOf('dvs-basis')) {
      await recordCheck(t.db, {
        serviceId,
        criterionId: criterion,
        outcome: 'PASSED',
        ...evidenceFor(serviceId, criterion),
        actor,
      });
    }
    const certificate = await issueCertificate(t.db, signer, { serviceId, profileId: 'dvs-basis', actor });
    if (i % 6 === 0) await revokeCertificate(t.db, { certificateId: certificate.id, reason: 'Test', actor });
  }
});

afterAll(() => t?.close());

describe('SQL statements per request with certification', () => {
  it('is the same for 1, 10 and 30 services', async () => {
    const results = [
      await statements({ first: 1 }),
      await statements({ first: 10 }),
      await statements({ first: 30 }),
    ];
    expect(results[2]!.nodes).toHaveLength(30);
    expect(new Set(results.map((r) => r.count)).size).toBe(1);
    // the page, the certificates of its services, the criteria catalogue, the services of the certificates
    expect(results[0]!.count).toBeLessThanOrEqual(4);
  });

  it('is the same with the `certified` filter', async () => {
    const certified = [
      await statements({ first: 1, certified: true }),
      await statements({ first: 30, certified: true }),
    ];
    expect(certified[1]!.nodes).toHaveLength(5);
    expect(certified[1]!.nodes.every((n: any) => n.node.certification.status === 'CERTIFIED')).toBe(true);
    expect(certified[0]!.count).toBe(certified[1]!.count);
    const others = await statements({ first: 30, certified: false });
    expect(others.nodes).toHaveLength(25);
    expect(new Set(others.nodes.map((n: any) => n.node.certification.status))).toEqual(
      new Set(['UNCERTIFIED', 'REVOKED']),
    );
  });
});
