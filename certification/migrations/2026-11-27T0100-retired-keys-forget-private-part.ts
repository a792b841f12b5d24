import { sql, type Kysely } from 'kysely';

// Immutable once landed: a change to the schema is a new migration.
//
// Retiring a generated signing key now drops its private part (signing-keys.ts); keys retired before
// that kept it. Nothing signs with a retired key, so the stored private parts go too.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`update certification_signing_key set private_jwk = null where retired_at is not null`.execute(db);
}

export async function down(): Promise<void> {
  // A private key once dropped cannot be restored.
}
