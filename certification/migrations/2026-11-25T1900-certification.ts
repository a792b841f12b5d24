import { sql, type Kysely } from 'kysely';

// Immutable once landed: a change to the schema is a new migration.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table certification_criterion (
      id text not null check (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
      version integer not null check (version > 0),
      title text not null,
      description text not null,
      evidence text not null,
      default_validity_days integer not null check (default_validity_days > 0),
      definition_hash text not null check (definition_hash ~ '^[0-9a-f]{64}$'),
      created_at timestamptz not null default now(),
      primary key (id, version)
    )`.execute(db);

  await sql`
    create table certification_profile (
      id text not null check (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
      version integer not null check (version > 0),
      title text not null,
      description text not null,
      criteria jsonb not null check (jsonb_typeof(criteria) = 'array'),
      listing_requirements jsonb not null check (jsonb_typeof(listing_requirements) = 'object'),
      definition_hash text not null check (definition_hash ~ '^[0-9a-f]{64}$'),
      created_at timestamptz not null default now(),
      primary key (id, version)
    )`.execute(db);

  await sql`
    create table certification_signing_key (
      kid text primary key,
      alg text not null check (alg in ('ES256', 'EdDSA')),
      public_jwk jsonb not null,
      private_jwk jsonb,
      origin text not null check (origin in ('GENERATED', 'CONFIGURED')),
      created_at timestamptz not null default now(),
      retired_at timestamptz,
      check (origin = 'GENERATED' or private_jwk is null)
    )`.execute(db);

  await sql`
    create table certification_check (
      id uuid primary key,
      service_id text not null references service (id),
      content_hash text not null check (content_hash ~ '^[0-9a-f]{64}$'),
      criterion_id text not null,
      criterion_version integer not null,
      outcome text not null check (outcome in ('PASSED', 'FAILED')),
      evidence_url text not null,
      evidence_sha256 text not null check (evidence_sha256 ~ '^[0-9a-f]{64}$'),
      notes text,
      checked_by_subject text not null,
      checked_by_organisation text not null references organisation (id),
      checked_at timestamptz not null,
      valid_until timestamptz not null check (valid_until > checked_at),
      foreign key (criterion_id, criterion_version) references certification_criterion (id, version)
    )`.execute(db);
  // Issuing looks up the newest check per criterion on the service's current content.
  await sql`
    create index certification_check_service on certification_check
      (service_id, content_hash, criterion_id, checked_at desc)`.execute(db);

  await sql`
    create table certification_certificate (
      id uuid primary key,
      service_id text not null references service (id),
      content_hash text not null check (content_hash ~ '^[0-9a-f]{64}$'),
      profile_id text not null,
      profile_version integer not null,
      checks jsonb not null check (jsonb_typeof(checks) = 'array'),
      issued_at timestamptz not null,
      expires_at timestamptz not null check (expires_at > issued_at),
      kid text not null references certification_signing_key (kid),
      jws text not null,
      issued_by_subject text not null,
      issued_by_organisation text not null references organisation (id),
      revoked_at timestamptz,
      revocation_reason text,
      revoked_by_subject text,
      foreign key (profile_id, profile_version) references certification_profile (id, version),
      check ((revoked_at is null) = (revocation_reason is null))
    )`.execute(db);
  await sql`create index certification_certificate_service on certification_certificate (service_id, issued_at desc)`.execute(
    db,
  );
  await sql`
    create index certification_certificate_expiry on certification_certificate (expires_at)
      where revoked_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'certification_certificate',
    'certification_check',
    'certification_signing_key',
    'certification_profile',
    'certification_criterion',
  ]) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
  }
}
