import type { ColumnType, Generated, Selectable } from 'kysely';
import type { HarvestMode, HarvestRejection, HarvestRunStatus, HarvestTrigger } from '../types.ts';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** The harvester's tables (migration 2026-11-25T2000-harvest), merged into `Database`. */
export interface HarvestTables {
  harvest_endpoint: HarvestEndpointTable;
  harvest_run: HarvestRunTable;
}

export interface HarvestEndpointTable {
  provider_id: string;
  url: string;
  requires_token: boolean;
  interval_seconds: number;
  full_sync_interval_seconds: number;
  enabled: boolean;
  next_run_at: Timestamp;
  full_sync_requested: Generated<boolean>;
  /** How many withdrawals a coordinator confirmed (written for replicas that read only the count). */
  withdrawal_allowance: Generated<number>;
  /** The service ids a coordinator confirmed the next full sync may withdraw, above the share limit. */
  withdrawal_confirmed: ColumnType<string[] | null, string | null | undefined, string | null>;
  /** The endpoint's `asOf` of the last successful run: the next incremental run's `updatedSince`. */
  watermark: NullableTimestamp;
  last_harvested_at: NullableTimestamp;
  last_full_sync_at: NullableTimestamp;
  consecutive_failures: Generated<number>;
  circuit_open_until: NullableTimestamp;
  lease_owner: string | null;
  lease_expires_at: NullableTimestamp;
  registered_by: string;
  registered_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface HarvestRunTable {
  id: ColumnType<string, never, never>;
  provider_id: string;
  endpoint_url: string;
  mode: HarvestMode;
  trigger: HarvestTrigger;
  scheduled_for: NullableTimestamp;
  status: HarvestRunStatus;
  claimed_by: string;
  started_at: Generated<Date>;
  finished_at: NullableTimestamp;
  fetched: Generated<number>;
  created: Generated<number>;
  updated: Generated<number>;
  unchanged: Generated<number>;
  withdrawn: Generated<number>;
  rejected: Generated<number>;
  rejections: ColumnType<HarvestRejection[], string | undefined, string>;
  /** Service ids a held full sync would have withdrawn. */
  held_withdrawals: ColumnType<string[] | null, string | null | undefined, string | null>;
  error_code: string | null;
  error: string | null;
  confirmed_by: string | null;
  confirmed_at: NullableTimestamp;
}

export type HarvestEndpointRow = Selectable<HarvestEndpointTable>;
export type HarvestRunRow = Selectable<HarvestRunTable>;

/**
 * A run row with its id as a string: `bigint` arrives as a string from pg and as a number from
 * PGlite; GraphQL ids and map keys need one form.
 */
export function runRow(row: HarvestRunRow): HarvestRunRow {
  return { ...row, id: String(row.id) };
}
