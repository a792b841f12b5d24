import { sql, type Kysely } from 'kysely';

// Immutable once landed: a change to the schema is a new migration.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create extension if not exists pg_trgm`.execute(db);

  await sql`
    create table organisation (
      id text primary key check (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
      kind text not null check (kind in ('AUTHORITY', 'PROVIDER', 'COORDINATOR')),
      name text not null check (length(name) between 2 and 200),
      land text,
      regionalschluessel text check (regionalschluessel ~ '^[0-9]{12}$'),
      created_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table ozg_leistung (
      id text primary key,
      name text not null,
      themenfeld_id text not null,
      lebenslage_id text not null,
      search_vector tsvector generated always as (to_tsvector('german', name)) stored
    )`.execute(db);
  await sql`create index ozg_leistung_search on ozg_leistung using gin (search_vector)`.execute(db);

  await sql`
    create table service (
      id text primary key,
      provider_id text not null references organisation (id),
      local_id text not null,
      status text not null check (status in ('ACTIVE', 'WITHDRAWN')),
      revision integer not null check (revision > 0),
      version text not null,
      content_hash text not null check (content_hash ~ '^[0-9a-f]{64}$'),
      document jsonb not null,
      title text not null,
      summary text not null,
      description text not null,
      keywords_text text not null,
      themenfelder text[] not null,
      lebenslagen text[] not null,
      ozg_ids text[] not null,
      leika_keys text[] not null,
      available_in text[] not null,
      efa boolean not null,
      developing_land text,
      operating_model text not null check (operating_model in ('SAAS', 'CONTAINER', 'HYBRID')),
      hosting_location text not null check (hosting_location in ('DE', 'EU')),
      schutzbedarf text not null check (schutzbedarf in ('NORMAL', 'HIGH', 'VERY_HIGH')),
      schutzbedarf_level smallint not null check (schutzbedarf_level between 1 and 3),
      source text not null check (source in ('PUSH', 'HARVEST')),
      source_endpoint text,
      fetched_at timestamptz not null,
      published_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      withdrawn_at timestamptz,
      withdrawn_reason text,
      search_vector tsvector generated always as (
        setweight(to_tsvector('german', title), 'A') ||
        setweight(to_tsvector('german', keywords_text), 'B') ||
        setweight(to_tsvector('german', summary), 'B') ||
        setweight(to_tsvector('german', description), 'C')
      ) stored,
      unique (provider_id, local_id),
      check (id = provider_id || '/' || local_id)
    )`.execute(db);
  await sql`create index service_search on service using gin (search_vector)`.execute(db);
  await sql`create index service_themenfelder on service using gin (themenfelder)`.execute(db);
  await sql`create index service_lebenslagen on service using gin (lebenslagen)`.execute(db);
  await sql`create index service_ozg_ids on service using gin (ozg_ids)`.execute(db);
  await sql`create index service_available_in on service using gin (available_in)`.execute(db);
  await sql`create index service_title on service (title, id)`.execute(db);

  await sql`
    create table service_revision (
      service_id text not null references service (id),
      revision integer not null,
      version text not null,
      content_hash text not null,
      document jsonb not null,
      source text not null,
      source_endpoint text,
      created_at timestamptz not null default now(),
      primary key (service_id, revision)
    )`.execute(db);

  // The vocabulary of words in titles, summaries and keywords: typo tolerance looks up similar words here.
  await sql`create table search_term (term text primary key)`.execute(db);
  await sql`create index search_term_trgm on search_term using gin (term gin_trgm_ops)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['search_term', 'service_revision', 'service', 'ozg_leistung', 'organisation']) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
  }
}
