import { sql, type Kysely } from 'kysely';

// Immutable once landed: a change to the schema is a new migration.

// An organisation belongs to the identity provider its members sign in at. With several trusted
// issuers (a Land's and the Bund's), a token of one issuer naming another's organisation in its
// organisation claim acted for it. Organisations registered before stay bound to no issuer.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table organisation add column issuer text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table organisation drop column issuer`.execute(db);
}
