import { sql, type Kysely } from 'kysely';

// Immutable once landed: a change to the schema is a new migration.

// Every SHA-256 digest of certification and of the audit chain is still checked to be 64 lowercase
// hexadecimal digits, without a regular expression: `octet_length = 64` and nothing left once the
// hex digits are trimmed away accepts and refuses exactly the same texts (a trimmed-empty text holds
// only ASCII digits, so its bytes are its characters). Each published listing appends an audit event
// with two such checks; in embedded PostgreSQL the regular expression cost about 12 µs per check,
// this one about 4 (bench/README.md, "Where loading into embedded PostgreSQL goes"). Constraints
// keep their names.
const DIGESTS: ReadonlyArray<readonly [table: string, column: string]> = [
  ['certification_criterion', 'definition_hash'],
  ['certification_profile', 'definition_hash'],
  ['certification_check', 'content_hash'],
  ['certification_check', 'evidence_sha256'],
  ['certification_certificate', 'content_hash'],
  ['audit_event', 'previous_hash'],
  ['audit_event', 'hash'],
  ['audit_chain_head', 'hash'],
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [table, column] of DIGESTS) {
    const name = sql.id(`${table}_${column}_check`);
    const value = sql.ref(column);
    await sql`
      alter table ${sql.table(table)}
        drop constraint ${name},
        add constraint ${name}
          check (octet_length(${value}) = 64 and ltrim(${value}, '0123456789abcdef') = '')`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const [table, column] of DIGESTS) {
    const name = sql.id(`${table}_${column}_check`);
    await sql`
      alter table ${sql.table(table)}
        drop constraint ${name},
        add constraint ${name} check (${sql.ref(column)} ~ '^[0-9a-f]{64}$')`.execute(db);
  }
}
