import { sql, type Kysely } from 'kysely';
import type { Database } from '../../database/database.ts';
import type { HarvestEndpointRow } from './harvest-tables.ts';

export interface EndpointRegistration {
  providerId: string;
  url: string;
  requiresToken: boolean;
  intervalSeconds: number;
  fullSyncIntervalSeconds: number;
  /** The subject who registered it. */
  registeredBy: string;
}

/**
 * Registers a provider's endpoint, or changes it. A new URL starts over: enabled, due at once, with a
 * full sync, no watermark, a closed circuit. A changed interval moves the next run no later than one
 * new interval from now, but not into an open circuit's pause. Registering the same URL again (a
 * provisioning script re-applying its settings) neither resumes a paused endpoint
 * (setEndpointEnabled does) nor moves the next run, so it does not end a circuit's pause early.
 */
export async function registerEndpoint(
  db: Kysely<Database>,
  registration: EndpointRegistration,
): Promise<HarvestEndpointRow> {
  const { rows } = await sql<HarvestEndpointRow>`
    insert into harvest_endpoint as e
      (provider_id, url, requires_token, interval_seconds, full_sync_interval_seconds, enabled,
       next_run_at, full_sync_requested, registered_by)
    values (${registration.providerId}, ${registration.url}, ${registration.requiresToken},
            ${registration.intervalSeconds}, ${registration.fullSyncIntervalSeconds}, true,
            now(), true, ${registration.registeredBy})
    on conflict (provider_id) do update set
      url = excluded.url,
      requires_token = excluded.requires_token,
      interval_seconds = excluded.interval_seconds,
      full_sync_interval_seconds = excluded.full_sync_interval_seconds,
      next_run_at = case
        when e.url <> excluded.url then now()
        when e.interval_seconds <> excluded.interval_seconds then greatest(
          least(e.next_run_at, now() + make_interval(secs => excluded.interval_seconds)),
          e.circuit_open_until)
        else e.next_run_at end,
      full_sync_requested = e.full_sync_requested or e.url <> excluded.url,
      watermark = case when e.url <> excluded.url then null else e.watermark end,
      consecutive_failures = case when e.url <> excluded.url then 0 else e.consecutive_failures end,
      circuit_open_until = case when e.url <> excluded.url then null else e.circuit_open_until end,
      enabled = e.enabled or e.url <> excluded.url,
      registered_by = excluded.registered_by,
      updated_at = now()
    returning *`.execute(db);
  return rows[0]!;
}

/**
 * Pauses or resumes an endpoint's schedule; resuming a paused endpoint makes it due at once (a
 * deliberate step of its provider or a coordinator, which also ends an open circuit's pause early);
 * an endpoint that runs keeps its schedule. Null when there is none.
 */
export async function setEndpointEnabled(
  db: Kysely<Database>,
  providerId: string,
  enabled: boolean,
): Promise<HarvestEndpointRow | null> {
  const row = await db
    .updateTable('harvest_endpoint')
    .set({
      enabled,
      ...(enabled && {
        next_run_at: sql<Date>`case when enabled then next_run_at else least(next_run_at, now()) end`,
      }),
      updated_at: sql<Date>`now()`,
    })
    .where('provider_id', '=', providerId)
    .returningAll()
    .executeTakeFirst();
  return row ?? null;
}

/** The endpoints of these providers, in one statement. */
export async function endpointsByProvider(
  db: Kysely<Database>,
  providerIds: readonly string[],
): Promise<HarvestEndpointRow[]> {
  if (providerIds.length === 0) return [];
  return db
    .selectFrom('harvest_endpoint')
    .selectAll()
    .where('provider_id', 'in', [...providerIds])
    .execute();
}

/** Every endpoint, by provider id. */
export async function listEndpoints(db: Kysely<Database>): Promise<HarvestEndpointRow[]> {
  return db.selectFrom('harvest_endpoint').selectAll().orderBy('provider_id').execute();
}
