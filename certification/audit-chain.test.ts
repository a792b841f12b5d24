import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase } from '../gateway/database/create-database.ts';
import type { Database } from '../gateway/database/database.ts';
import { migrateToLatest } from '../gateway/database/migrate.ts';
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from '../test/helpers/test-database.ts';
import { appendAuditEvent, appendAuditEvents, auditEventHash, GENESIS_HASH } from './audit-chain.ts';
import { verifyAuditChain } from './verify-audit-chain.ts';

let database: TestDatabase;
let db: Kysely<Database>;

const ACTOR = { subject: 'dev:coordinator@koordinierungsstelle', organisation: 'koordinierungsstelle' };

async function append(count: number, from = 1): Promise<void> {
  for (let i = from; i < from + count; i++) {
    await db.transaction().execute((trx) =>
      appendAuditEvent(trx, {
        actor: ACTOR,
        action: 'check.recorded',
        subject: `service:probe/dienst-${i}`,
        payload: { n: i, outcome: 'PASSED', nested: { list: [1, 2.5, 'drei'], umlaut: 'Prüfung' } },
      }),
    );
  }
}

/** What an attacker with the table owner's rights can do: switch the append-only triggers off. */
async function tamper(statement: ReturnType<typeof sql>): Promise<void> {
  await sql`alter table audit_event disable trigger user`.execute(db);
  try {
    await statement.execute(db);
  } finally {
    await sql`alter table audit_event enable trigger user`.execute(db);
  }
}

async function resetChain(): Promise<void> {
  await tamper(sql`delete from audit_event`);
  await sql`update audit_chain_head set sequence = 0, hash = ${GENESIS_HASH}`.execute(db);
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});

afterAll(() => database?.close());

beforeEach(resetChain);

describe('the audit chain', () => {
  it('links each event to the previous one by hash and verifies across pages', async () => {
    await append(12);
    const { rows } = await sql<{ sequence: string; previous_hash: string; hash: string }>`
      select sequence::text as sequence, previous_hash, hash from audit_event e order by e.sequence`.execute(
      db,
    );
    expect(rows.map((r) => Number(r.sequence))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(rows[0]!.previous_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.previous_hash).toBe(rows[i - 1]!.hash);
    // A page size that splits the chain (and crosses from 9 to 10, where text order would differ).
    const report = await verifyAuditChain(db, { pageSize: 4 });
    expect(report).toEqual({ ok: true, events: 12, head: { sequence: 12, hash: rows[11]!.hash } });
  });

  it('appends many events at once exactly as one after the other, in their order', async () => {
    await append(2);
    const inputs = Array.from({ length: 5 }, (_, i) => ({
      actor: i % 2 ? ACTOR : { subject: 'system', organisation: null },
      action: 'service.published',
      subject: `service:probe/dienst-${i}`,
      payload: { outcome: 'CREATED', revision: 1, endpoint: null, nested: { list: [i, 2.5, 'Prüfung'] } },
    }));
    const appended = await db.transaction().execute((trx) => appendAuditEvents(trx, inputs));
    expect(appended.map((e) => [e.sequence, e.subject])).toEqual(
      inputs.map((input, i) => [3 + i, input.subject]),
    );
    const { rows } = await sql<{ sequence: string; subject: string; previous_hash: string; hash: string }>`
      select sequence::text as sequence, subject, previous_hash, hash from audit_event order by sequence`.execute(
      db,
    );
    expect(rows.map((r) => [Number(r.sequence), r.subject, r.hash])).toEqual([
      ...rows.slice(0, 2).map((r) => [Number(r.sequence), r.subject, r.hash]),
      ...appended.map((e) => [e.sequence, e.subject, e.hash]),
    ]);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.previous_hash).toBe(rows[i - 1]!.hash);
    // Each stored event gives its hash again (verifyAuditChain recomputes them from the rows).
    expect(await verifyAuditChain(db)).toEqual({
      ok: true,
      events: 7,
      head: { sequence: 7, hash: appended[4]!.hash },
    });
    // The next single append continues the chain; an empty batch writes nothing.
    await db.transaction().execute((trx) => appendAuditEvents(trx, []));
    await append(1, 8);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, events: 8, head: { sequence: 8 } });
  });

  it('hashes the canonical JSON of every field, the previous hash included', () => {
    const event = {
      sequence: 7,
      occurredAt: new Date('2026-11-25T10:00:00.000Z'),
      actor: ACTOR,
      action: 'certificate.revoked',
      subject: 'certificate:1',
      payload: { b: 1, a: 2 },
      previousHash: 'a'.repeat(64),
    };
    const hash = auditEventHash(event);
    expect(auditEventHash({ ...event, payload: { a: 2, b: 1 } })).toBe(hash);
    for (const changed of [
      { sequence: 8 },
      { occurredAt: new Date('2026-11-25T10:00:00.001Z') },
      { actor: { ...ACTOR, subject: 'someone else' } },
      { action: 'certificate.issued' },
      { subject: 'certificate:2' },
      { payload: { a: 2, b: 2 } },
      { previousHash: 'b'.repeat(64) },
    ]) {
      expect(auditEventHash({ ...event, ...changed })).not.toBe(hash);
    }
  });

  it('refuses updates, deletes and truncation of events', async () => {
    await append(2);
    await expect(sql`update audit_event set action = 'x'`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_event`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_event`.execute(db)).rejects.toThrow(/append-only/);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it('detects an altered row', async () => {
    await append(5);
    await tamper(
      sql`update audit_event set payload = jsonb_set(payload, '{outcome}', '"FAILED"') where sequence = 3`,
    );
    const report = await verifyAuditChain(db);
    expect(report.ok).toBe(false);
    expect(report.brokenAt!.sequence).toBe(3);
    expect(report.brokenAt!.problem).toMatch(/event 3 .* was altered/);
    expect(report.events).toBe(2);
  });

  it('detects an alteration finer than the driver reads: a number beyond a double, a time below a millisecond', async () => {
    // The hash is computed over the values as read, a jsonb number as a double and a timestamp to
    // the millisecond: such edits hashed as before and the chain verified as intact.
    const edits = [
      sql`update audit_event set payload = jsonb_set(payload, '{nested,list,1}', '2.50000000000000000001') where sequence = 2`,
      sql`update audit_event set payload = jsonb_set(payload, '{n}', '1e400') where sequence = 2`,
      sql`update audit_event set occurred_at = occurred_at + interval '900 microseconds' where sequence = 2`,
    ];
    for (const edit of edits) {
      await resetChain();
      await append(3);
      await tamper(edit);
      const report = await verifyAuditChain(db);
      expect(report.ok, edit.compile(db).sql).toBe(false);
      expect(report.brokenAt!.sequence).toBe(2);
      expect(report.brokenAt!.problem).toMatch(/event 2 .* was altered/);
    }
  });

  it('detects an altered row even when its hash was recomputed', async () => {
    await append(5);
    const { rows } = await sql<{
      sequence: string;
      occurred_at: Date;
      actor: any;
      subject: string;
      payload: any;
      previous_hash: string;
    }>`
      select sequence::text as sequence, occurred_at, actor, subject, payload, previous_hash
      from audit_event where sequence = 2`.execute(db);
    const row = rows[0]!;
    const forged = auditEventHash({
      sequence: 2,
      occurredAt: row.occurred_at,
      actor: row.actor,
      action: 'check.recorded',
      subject: row.subject,
      payload: { ...row.payload, outcome: 'FAILED' },
      previousHash: row.previous_hash,
    });
    await tamper(
      sql`update audit_event set payload = jsonb_set(payload, '{outcome}', '"FAILED"'), hash = ${forged} where sequence = 2`,
    );
    const report = await verifyAuditChain(db);
    expect(report.brokenAt!.sequence).toBe(3);
    expect(report.brokenAt!.problem).toMatch(/previous hash/);
  });

  it('detects a deleted row', async () => {
    await append(5);
    await tamper(sql`delete from audit_event where sequence = 2`);
    const report = await verifyAuditChain(db);
    expect(report.ok).toBe(false);
    expect(report.brokenAt).toEqual({ sequence: 3, problem: 'event 3 follows event 1: event 2 is missing' });
  });

  it('detects deleted rows at the end of the chain', async () => {
    await append(5);
    await tamper(sql`delete from audit_event where sequence >= 4`);
    const report = await verifyAuditChain(db);
    expect(report.ok).toBe(false);
    expect(report.brokenAt!.sequence).toBe(4);
    expect(report.brokenAt!.problem).toMatch(/ends at event 3, but its head records event 5/);
  });

  it('detects reordered rows', async () => {
    await append(5);
    // Swap events 2 and 4 (the primary key needs a detour through a free number).
    await tamper(sql`update audit_event set sequence = 1000 where sequence = 2`);
    await tamper(sql`update audit_event set sequence = 2 where sequence = 4`);
    await tamper(sql`update audit_event set sequence = 4 where sequence = 1000`);
    const report = await verifyAuditChain(db);
    expect(report.ok).toBe(false);
    expect(report.brokenAt!.sequence).toBe(2);
    expect(report.brokenAt!.problem).toMatch(/previous hash .* reordered/);
  });

  it('never forks when transactions append concurrently', async () => {
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        db.transaction().execute(async (trx) => {
          // Work before the append, so that transactions really overlap on PostgreSQL.
          await sql`select pg_sleep(0.01)`.execute(trx);
          await appendAuditEvent(trx, {
            actor: ACTOR,
            action: 'probe',
            subject: `probe:${i}`,
            payload: { i },
          });
        }),
      ),
    );
    const report = await verifyAuditChain(db);
    expect(report).toMatchObject({ ok: true, events: 25, head: { sequence: 25 } });
  });

  it('loses no event of a rolled-back transaction to the chain', async () => {
    await append(2);
    await expect(
      db.transaction().execute(async (trx) => {
        await appendAuditEvent(trx, { actor: ACTOR, action: 'probe', subject: 'probe:x', payload: {} });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await append(1, 3);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, events: 3 });
  });
});

describe('npm run audit:verify', () => {
  function run(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'certification/bin/audit-verify.ts'], {
        cwd: new URL('../', import.meta.url).pathname,
        env: { PATH: process.env.PATH, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      child.on('exit', (code) => resolve({ code, output }));
    });
  }

  it(
    'exits 0 for an intact chain and non-zero naming the first broken link',
    { timeout: 120_000 },
    async () => {
      if (TEST_DIALECT === 'postgres') {
        await append(4);
        const env = { DATABASE_URL: database.url! };
        const intact = await run(env);
        expect(intact.output).toContain('Audit chain intact: 4 events');
        expect(intact.code).toBe(0);
        await tamper(sql`update audit_event set subject = 'service:anders' where sequence = 2`);
        const broken = await run(env);
        expect(broken.output).toMatch(/BROKEN at event 2: event 2 .* was altered/);
        expect(broken.code).toBe(1);
        return;
      }
      // Embedded PostgreSQL is one process's database: the tool opens it after the test has closed it.
      const dataDir = mkdtempSync(join(tmpdir(), 'vc-audit-'));
      try {
        const embedded = await createDatabase({ kind: 'pglite', dataDir });
        await migrateToLatest(embedded.db);
        for (let i = 1; i <= 4; i++) {
          await embedded.db
            .transaction()
            .execute((trx) =>
              appendAuditEvent(trx, { actor: ACTOR, action: 'probe', subject: `probe:${i}`, payload: { i } }),
            );
        }
        await embedded.close();
        const intact = await run({ DATA_DIR: dataDir });
        expect(intact.output).toContain('Audit chain intact: 4 events');
        expect(intact.code).toBe(0);

        const reopened = await createDatabase({ kind: 'pglite', dataDir });
        await sql`alter table audit_event disable trigger user`.execute(reopened.db);
        await sql`delete from audit_event where sequence = 3`.execute(reopened.db);
        await reopened.close();
        const broken = await run({ DATA_DIR: dataDir });
        expect(broken.output).toContain('BROKEN at event 4: event 4 follows event 2: event 3 is missing');
        expect(broken.code).toBe(1);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );

  it('exits 2 when there is no database or it cannot be reached', async () => {
    const result = await run({ DATA_DIR: join(tmpdir(), 'vc-audit-does-not-exist') });
    expect(result.code).toBe(2);
    expect(result.output).toContain('There is no embedded database');
    const unreachable = await run({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/keine' });
    expect(unreachable.code).toBe(2);
    expect(unreachable.output).toContain('Cannot verify the audit chain');
  });
});
