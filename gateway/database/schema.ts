import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/**
 * The tables the gateway owns, as kysely sees them. Every component that owns tables (certification/)
 * declares its own and they are merged into `Database` in database.ts.
 */
export interface CatalogTables {
  organisation: OrganisationTable;
  ozg_leistung: OzgLeistungTable;
  service: ServiceTable;
  service_revision: ServiceRevisionTable;
  search_term: SearchTermTable;
}

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type OrganisationKind = 'AUTHORITY' | 'PROVIDER' | 'COORDINATOR';

export interface OrganisationTable {
  id: string;
  kind: OrganisationKind;
  name: string;
  land: string | null;
  regionalschluessel: string | null;
  /** The issuer whose tokens act for it; null: every trusted issuer's (gateway/auth/policy.ts). */
  issuer: Generated<string | null>;
  created_at: Generated<Date>;
}

export interface OzgLeistungTable {
  id: string;
  name: string;
  themenfeld_id: string;
  lebenslage_id: string;
  search_vector: ColumnType<string, never, never>;
}

export type ServiceStatus = 'ACTIVE' | 'WITHDRAWN';
export type ListingSource = 'PUSH' | 'HARVEST';

export interface ServiceTable {
  id: string;
  provider_id: string;
  local_id: string;
  status: ServiceStatus;
  revision: number;
  version: string;
  content_hash: string;
  /** The listing document as published (jsonb). */
  document: ColumnType<unknown, string, string>;
  title: string;
  /** The title's key for the German alphabetical order (title-sort-key.ts), compared in byte order. */
  title_sort: string;
  summary: string;
  description: string;
  /** Keywords joined by spaces, for the search vector. */
  keywords_text: string;
  themenfelder: string[];
  lebenslagen: string[];
  ozg_ids: string[];
  leika_keys: string[];
  available_in: string[];
  efa: boolean;
  developing_land: string | null;
  operating_model: string;
  hosting_location: string;
  schutzbedarf: string;
  /** 1 NORMAL, 2 HIGH, 3 VERY_HIGH: to filter "supports at least". */
  schutzbedarf_level: number;
  source: ListingSource;
  source_endpoint: string | null;
  fetched_at: Timestamp;
  published_at: Timestamp;
  updated_at: Timestamp;
  withdrawn_at: Timestamp | null;
  withdrawn_reason: string | null;
  search_vector: ColumnType<string, never, never>;
}

export interface ServiceRevisionTable {
  service_id: string;
  revision: number;
  version: string;
  content_hash: string;
  document: ColumnType<unknown, string, never>;
  source: ListingSource;
  source_endpoint: string | null;
  created_at: Generated<Date>;
}

export interface SearchTermTable {
  term: string;
}

export type OrganisationRow = Selectable<OrganisationTable>;
export type NewOrganisation = Insertable<OrganisationTable>;
export type ServiceRow = Selectable<ServiceTable>;
