// Checks and certificates are history: triggers refuse to change or remove them (a certificate may
// only be revoked, once), and `audit:verify` compares them with the events that recorded them, so a
// change by someone who can switch the triggers off (the table owner) is found as well.
import { sql, type RawBuilder } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../certification/verify-audit-chain.ts';
import { COORDINATOR, issue, passAll, recordCheck, REVOKE } from '../helpers/certification.ts';
import { makeListing, publishAll, registerOrganisation } from '../helpers/listings.ts';
import { changesHeard, startTestServer, type TestServer } from '../helpers/test-server.ts';

const VERIFY = `query Verify($jws: String!) { verifyCertificate(jws: $jws) { valid problem } }`;
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
  await registerOrganisation(t.db, 'koordinierungsstelle', 'COORDINATOR', 'DE');
  await registerOrganisation(t.db, 'suedwerk', 'PROVIDER', 'DE-BY');
  await publishAll(t.db, 'suedwerk', [makeListing({ id: 'portal' }), makeListing({ id: 'zweites' })]);
});

afterAll(() => t?.close());

/** What the table owner can do: run a statement with the table's protecting triggers switched off. */
async function asOwner(
  table: 'certification_check' | 'certification_certificate',
  statement: RawBuilder<unknown>,
): Promise<void> {
  const triggers =
    table === 'certification_check'
      ? ['certification_check_no_update_or_delete']
      : ['certification_certificate_revocation_only', 'certification_certificate_no_delete'];
  await t.db.transaction().execute(async (trx) => {
    for (const trigger of triggers)
      await sql`alter table ${sql.table(table)} disable trigger ${sql.id(trigger)}`.execute(trx);
    await statement.execute(trx);
    for (const trigger of triggers)
      await sql`alter table ${sql.table(table)} enable trigger ${sql.id(trigger)}`.execute(trx);
  });
}

async function revokedCertificate(serviceId: string) {
  await passAll(t, serviceId, 'dvs-basis');
  const certificate = await issue(t, serviceId, 'dvs-basis');
  const revoked = await t.graphql(
    REVOKE,
    { id: certificate.id, reason: 'Nachweis gefälscht.' },
    { as: COORDINATOR },
  );
  expect(revoked.errors).toBeUndefined();
  return certificate as { id: string; jws: string };
}

describe('the triggers on certification_certificate', () => {
  it('refuse un-revoking, a second revocation, any other change, delete and truncate', async () => {
    const certificate = await revokedCertificate('suedwerk/portal');
    const id = certificate.id;
    const refused = /certification_certificate changes only by a revocation, once/;
    await expect(
      sql`update certification_certificate
          set revoked_at = null, revocation_reason = null, revoked_by_subject = null
          where id = ${id}`.execute(t.db),
    ).rejects.toThrow(refused);
    await expect(
      sql`update certification_certificate set revocation_reason = 'Anders.' where id = ${id}`.execute(t.db),
    ).rejects.toThrow(refused);
    await expect(
      sql`update certification_certificate set revoked_at = now() where id = ${id}`.execute(t.db),
    ).rejects.toThrow(refused);

    const valid = await issue(t, 'suedwerk/portal', 'dvs-basis');
    await expect(
      sql`update certification_certificate set expires_at = expires_at + interval '1 year' where id = ${valid.id}`.execute(
        t.db,
      ),
    ).rejects.toThrow(refused);
    // A revocation that changes anything else as well is refused too.
    await expect(
      sql`update certification_certificate
          set revoked_at = now(), revocation_reason = 'Test.', kid = kid || 'x'
          where id = ${valid.id}`.execute(t.db),
    ).rejects.toThrow(refused);
    await expect(sql`delete from certification_certificate where id = ${id}`.execute(t.db)).rejects.toThrow(
      /certification_certificate is append-only \(DELETE refused\)/,
    );
    await expect(sql`truncate certification_certificate cascade`.execute(t.db)).rejects.toThrow(
      /append-only \(TRUNCATE refused\)/,
    );
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true });
  });
});

describe('the triggers on certification_check', () => {
  it('refuse update, delete and truncate', async () => {
    const check = await recordCheck(t, 'suedwerk/zweites', 'bsi-c5-type2', 'FAILED');
    const refused = /certification_check is append-only/;
    await expect(
      sql`update certification_check set outcome = 'PASSED' where id = ${check.id}`.execute(t.db),
    ).rejects.toThrow(refused);
    await expect(sql`delete from certification_check where id = ${check.id}`.execute(t.db)).rejects.toThrow(
      refused,
    );
    await expect(sql`truncate certification_check cascade`.execute(t.db)).rejects.toThrow(refused);
  });
});

describe('audit:verify compares checks and certificates with their events', () => {
  it('finds a certificate un-revoked behind the triggers', async () => {
    const certificate = await revokedCertificate('suedwerk/portal');
    const { rows } = await sql<{ sequence: string }>`
      select sequence::text as sequence from audit_event
      where action = 'certificate.revoked' and payload->>'certificateId' = ${certificate.id}`.execute(t.db);
    const revocation = Number(rows[0]!.sequence);
    const stored = await t.db
      .selectFrom('certification_certificate')
      .select(['revoked_at', 'revocation_reason', 'revoked_by_subject'])
      .where('id', '=', certificate.id)
      .executeTakeFirstOrThrow();
    expect((await verifyAuditChain(t.db)).ok).toBe(true);

    await asOwner(
      'certification_certificate',
      sql`update certification_certificate
          set revoked_at = null, revocation_reason = null, revoked_by_subject = null
          where id = ${certificate.id}`,
    );
    await changesHeard(t, 'certification_certificate');
    // The catalogue itself now calls the certificate valid: only the audit chain can tell.
    expect((await t.graphql(VERIFY, { jws: certificate.jws })).data!.verifyCertificate).toMatchObject({
      valid: true,
    });
    const report = await verifyAuditChain(t.db);
    expect(report.ok).toBe(false);
    expect(report.brokenAt).toEqual({
      sequence: revocation,
      row: { table: 'certification_certificate', id: certificate.id },
      problem: `certification_certificate ${certificate.id} is not revoked, but event ${revocation} (certificate.revoked certificate:${certificate.id}) revoked it`,
    });

    // A revocation with another time or reason is found too.
    await asOwner(
      'certification_certificate',
      sql`update certification_certificate
          set revoked_at = ${stored.revoked_at}::timestamptz + interval '1 microsecond',
              revocation_reason = ${stored.revocation_reason}, revoked_by_subject = ${stored.revoked_by_subject}
          where id = ${certificate.id}`,
    );
    expect((await verifyAuditChain(t.db)).brokenAt?.problem).toMatch(
      /does not match event \d+ \(certificate\.revoked .*\): revoked_at differs$/,
    );

    await asOwner(
      'certification_certificate',
      sql`update certification_certificate set revoked_at = ${stored.revoked_at} where id = ${certificate.id}`,
    );
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });

  it('finds a certificate whose token or expiry was replaced, and one no event issued', async () => {
    const certificate = await issue(t, 'suedwerk/portal', 'dvs-basis');
    const { rows: events } = await sql<{ sequence: string }>`
      select sequence::text as sequence from audit_event
      where action = 'certificate.issued' and payload->>'certificateId' = ${certificate.id}`.execute(t.db);
    const issuedAt = Number(events[0]!.sequence);
    await asOwner(
      'certification_certificate',
      sql`update certification_certificate
          set jws = jws || 'x', expires_at = expires_at + interval '1 year'
          where id = ${certificate.id}`,
    );
    expect((await verifyAuditChain(t.db)).brokenAt).toEqual({
      sequence: issuedAt,
      row: { table: 'certification_certificate', id: certificate.id },
      problem: `certification_certificate ${certificate.id} does not match event ${issuedAt} (certificate.issued certificate:${certificate.id}): expires_at, jws differ`,
    });
    await asOwner(
      'certification_certificate',
      sql`update certification_certificate
          set jws = ${certificate.jws}, expires_at = expires_at - interval '1 year'
          where id = ${certificate.id}`,
    );
    expect((await verifyAuditChain(t.db)).ok).toBe(true);

    // A copy under a new id: inserting is not refused, but no event issued it.
    const copy = '00000000-0000-4000-8000-000000000001';
    await sql`
      insert into certification_certificate
      select ${copy}::uuid, service_id, content_hash, profile_id, profile_version, checks, issued_at,
        expires_at, kid, jws, issued_by_subject, issued_by_organisation, null, null, null
      from certification_certificate where id = ${certificate.id}`.execute(t.db);
    expect((await verifyAuditChain(t.db)).brokenAt).toEqual({
      sequence: null,
      row: { table: 'certification_certificate', id: copy },
      problem: `certification_certificate ${copy} has no certificate.issued event: it was not written by the catalogue`,
    });
    await asOwner('certification_certificate', sql`delete from certification_certificate where id = ${copy}`);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });

  it('finds a FAILED check turned into a PASSED one, and one removed', async () => {
    const failed = await recordCheck(t, 'suedwerk/zweites', 'bsi-c5-type2', 'FAILED');
    const { rows: events } = await sql<{ sequence: string }>`
      select sequence::text as sequence from audit_event
      where action = 'check.recorded' and payload->>'checkId' = ${failed.id}`.execute(t.db);
    const recorded = Number(events[0]!.sequence);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);

    await asOwner(
      'certification_check',
      sql`update certification_check set outcome = 'PASSED' where id = ${failed.id}`,
    );
    expect((await verifyAuditChain(t.db)).brokenAt).toEqual({
      sequence: recorded,
      row: { table: 'certification_check', id: failed.id },
      problem: `certification_check ${failed.id} does not match event ${recorded} (check.recorded service:suedwerk/zweites): outcome differs`,
    });
    await asOwner(
      'certification_check',
      sql`update certification_check set outcome = 'FAILED' where id = ${failed.id}`,
    );
    expect((await verifyAuditChain(t.db)).ok).toBe(true);

    // Removing the newest, FAILED check would let an older PASSED one count again.
    const row = await t.db
      .selectFrom('certification_check')
      .selectAll()
      .where('id', '=', failed.id)
      .executeTakeFirstOrThrow();
    await asOwner('certification_check', sql`delete from certification_check where id = ${failed.id}`);
    expect((await verifyAuditChain(t.db)).brokenAt).toEqual({
      sequence: recorded,
      row: { table: 'certification_check', id: failed.id },
      problem: `event ${recorded} (check.recorded service:suedwerk/zweites) records certification_check ${failed.id}, which is not there`,
    });
    await t.db.insertInto('certification_check').values(row).execute();
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });
});
