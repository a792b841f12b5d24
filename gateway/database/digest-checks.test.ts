import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/test-database.ts';

// Every stored SHA-256 digest (content hashes, the audit chain's links, evidence) is checked to be 64
// lowercase hex digits. The checks avoid regular expressions, which cost three times as much per
// written row in embedded PostgreSQL; this proves they still accept and refuse exactly what
// `^[0-9a-f]{64}$` does, evaluating each constraint's own definition from the catalogue.
const DIGEST = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SAMPLES = [
  DIGEST,
  '0'.repeat(64),
  'f'.repeat(64),
  DIGEST.toUpperCase(),
  DIGEST.slice(1),
  `${DIGEST}0`,
  '',
  `${DIGEST.slice(1)}g`,
  `${DIGEST.slice(1)} `,
  ` ${DIGEST.slice(1)}`,
  `${DIGEST.slice(2)}ä`, // 64 bytes, 63 characters
  `${DIGEST.slice(0, 32)}\n${DIGEST.slice(33)}`,
  `${DIGEST.slice(1)}-`,
];
const EXPECTED_DIGEST_CHECKS = [
  'audit_chain_head.audit_chain_head_hash_check',
  'audit_event.audit_event_hash_check',
  'audit_event.audit_event_previous_hash_check',
  'certification_certificate.certification_certificate_content_hash_check',
  'certification_check.certification_check_content_hash_check',
  'certification_check.certification_check_evidence_sha256_check',
  'certification_criterion.certification_criterion_definition_hash_check',
  'certification_profile.certification_profile_definition_hash_check',
  'service.service_content_hash_check',
];

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

interface DigestCheck {
  name: string;
  column: string;
  expression: string;
}

async function digestChecks(): Promise<DigestCheck[]> {
  const { rows } = await sql<{ name: string; column: string; definition: string }>`
    select c.conrelid::regclass::text || '.' || c.conname as name, a.attname as column,
      pg_get_constraintdef(c.oid) as definition
    from pg_constraint c
    join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
    where c.contype = 'c' and cardinality(c.conkey) = 1 and c.connamespace = 'public'::regnamespace
      and pg_get_constraintdef(c.oid) like '%64%'
    order by name`.execute(database.db);
  return rows.map((r) => ({
    name: r.name,
    column: r.column,
    expression: r.definition.replace(/^CHECK /, ''),
  }));
}

describe('checks of stored SHA-256 digests', () => {
  it('cover every digest column and use no regular expression', async () => {
    const checks = await digestChecks();
    expect(checks.map((c) => c.name)).toEqual(EXPECTED_DIGEST_CHECKS);
    for (const check of checks) expect(check.expression, check.name).not.toMatch(/~/);
  });

  it('accept exactly the texts of 64 lowercase hex digits', async () => {
    for (const check of await digestChecks()) {
      for (const value of SAMPLES) {
        // The constraint's own expression, its column given by a one-row subquery of that name.
        const { rows } = await sql<{ passes: boolean }>`
          select (${sql.raw(check.expression)}) as passes
          from (select ${value}::text as ${sql.ref(check.column)}) as candidate`.execute(database.db);
        expect({ check: check.name, value, passes: rows[0]!.passes }).toEqual({
          check: check.name,
          value,
          passes: /^[0-9a-f]{64}$/.test(value),
        });
      }
    }
  });

  it('are enforced under their names', async () => {
    const error = await sql`update audit_chain_head set hash = ${DIGEST.toUpperCase()}`
      .execute(database.db)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: '23514', constraint: 'audit_chain_head_hash_check' });
  });
});
