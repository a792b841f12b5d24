// A replica signs with the key it loaded at start. Once another replica starts with a newer key (a
// rolling key rotation) or with an older one again, the key is retired: the replica that still holds
// it issues nothing with it, and makes no other key sign for it either.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../certification/verify-audit-chain.ts';
import { COORDINATOR, ISSUE, passAll } from '../helpers/certification.ts';
import { makeListing, publishAll, registerOrganisation } from '../helpers/listings.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'vc-signing-keys-'));
let database: TestDatabase;
const replicas: TestServer[] = [];

function keyFile(name: string): string {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const path = join(dir, name);
  writeFileSync(path, key.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600 });
  return path;
}

async function replica(path?: string): Promise<TestServer> {
  const started = await startTestServer({
    database,
    config: path ? { certificateSigningKey: { kind: 'file', path } } : {},
  });
  replicas.push(started);
  return started;
}

function issueOn(t: TestServer) {
  return t.graphql(ISSUE, { serviceId: 'suedwerk/portal', profile: 'dvs-basis' }, { as: COORDINATOR });
}

async function currentKid(): Promise<string> {
  const rows = await database.db
    .selectFrom('certification_signing_key')
    .select('kid')
    .where('retired_at', 'is', null)
    .execute();
  expect(rows).toHaveLength(1);
  return rows[0]!.kid;
}

async function certificateCount(): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from certification_certificate`.execute(database.db);
  return rows[0]!.n;
}

beforeAll(async () => {
  database = await createTestDatabase();
  await registerOrganisation(database.db, 'koordinierungsstelle', 'COORDINATOR', 'DE');
  await registerOrganisation(database.db, 'suedwerk', 'PROVIDER', 'DE-BY');
  await publishAll(database.db, 'suedwerk', [makeListing({ id: 'portal' })]);
});

afterAll(async () => {
  for (const t of replicas) await t.close();
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a retired signing key', () => {
  let demo: TestServer;
  let first: TestServer;
  let firstKey: string;
  let second: TestServer;

  it('signs nothing on a replica that loaded it before the rotation', async () => {
    demo = await replica(); // demo mode: a generated key
    await passAll(demo, 'suedwerk/portal', 'dvs-basis');
    const generated = await currentKid();
    firstKey = keyFile('first.pem');
    first = await replica(firstKey); // the rotation: the generated key is retired
    const current = await currentKid();
    expect(current).not.toBe(generated);

    const refused = await issueOn(demo);
    expect(refused.data?.issueCertificate ?? null).toBeNull();
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: 'PRECONDITION_FAILED',
      reason: 'SIGNING_KEY_RETIRED',
      keyId: generated,
      retiredAt: expect.any(String),
    });
    expect(refused.errors![0]!.message).toMatch(/Restart this replica with the current key/);
    expect(await certificateCount()).toBe(0);

    const issued = await issueOn(first);
    expect(issued.errors).toBeUndefined();
    expect(issued.data!.issueCertificate.keyId).toBe(current);
    expect(await certificateCount()).toBe(1);
  });

  it('is current again, with an audit event, when a replica starts with it again', async () => {
    const firstKid = await currentKid();
    second = await replica(keyFile('second.pem'));
    const secondKid = await currentKid();
    expect((await issueOn(first)).errors?.[0]?.extensions).toMatchObject({
      code: 'PRECONDITION_FAILED',
      reason: 'SIGNING_KEY_RETIRED',
      keyId: firstKid,
    });

    // A replica restarts with the first key file: the rotation is rolled back.
    await replica(firstKey);
    expect(await currentKid()).toBe(firstKid);
    const { rows } = await sql<{ action: string; subject: string; payload: Record<string, unknown> }>`
      select action, subject, payload from audit_event e
      where action like 'signing-key.%' order by e.sequence desc limit 2`.execute(database.db);
    expect(rows.reverse()).toEqual([
      {
        action: 'signing-key.reinstated',
        subject: `signing-key:${firstKid}`,
        payload: { kid: firstKid, retiredAt: expect.any(String) },
      },
      {
        action: 'signing-key.retired',
        subject: `signing-key:${secondKid}`,
        payload: { kid: secondKid, successor: firstKid },
      },
    ]);
    expect((await verifyAuditChain(database.db)).ok).toBe(true);

    // The replica that kept the first key issues again; the one with the second key no longer does.
    const issued = await issueOn(first);
    expect(issued.errors).toBeUndefined();
    expect(issued.data!.issueCertificate.keyId).toBe(firstKid);
    expect((await issueOn(second)).errors?.[0]?.extensions).toMatchObject({
      reason: 'SIGNING_KEY_RETIRED',
      keyId: secondKid,
    });
  });

  it('has signed no certificate since it was retired', async () => {
    const { rows } = await sql<{ id: string }>`
      select c.id from certification_certificate c
      join certification_signing_key k on k.kid = c.kid
      where k.retired_at is not null and c.issued_at >= k.retired_at`.execute(database.db);
    expect(rows).toEqual([]);
  });
});
