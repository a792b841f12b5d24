import { sql, type Kysely } from 'kysely';

// Immutable once landed: a change to the schema is a new migration.

// A listing's content hash is still checked to be 64 lowercase hexadecimal digits, without the
// regular expression: `octet_length = 64` and nothing left once the hex digits are trimmed away
// accepts and refuses exactly the same texts (a trimmed-empty text holds only ASCII digits, so its
// bytes are its characters). In embedded PostgreSQL the regular expression cost about 12 µs per
// written listing, this check about 4 (bench/README.md, "Where loading into embedded PostgreSQL
// goes"). The constraint keeps its name.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table service
      drop constraint service_content_hash_check,
      add constraint service_content_hash_check
        check (octet_length(content_hash) = 64 and ltrim(content_hash, '0123456789abcdef') = '')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table service
      drop constraint service_content_hash_check,
      add constraint service_content_hash_check check (content_hash ~ '^[0-9a-f]{64}$')`.execute(db);
}
