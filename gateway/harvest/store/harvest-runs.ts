import { sql, type Kysely } from 'kysely';
import type { Database } from '../../database/database.ts';
import { UserError } from '../../errors.ts';
import { runRow, type HarvestEndpointRow, type HarvestRunRow } from './harvest-tables.ts';

/** Runs by id, in one statement. */
export async function runsById(db: Kysely<Database>, ids: readonly string[]): Promise<HarvestRunRow[]> {
  const numeric = ids.filter((id) => /^[0-9]{1,18}$/.test(id));
  if (numeric.length === 0) return [];
  return (await db.selectFrom('harvest_run').selectAll().where('id', 'in', numeric).execute()).map(runRow);
}

/** The latest `first` runs of each provider, newest first, in one statement. */
export async function latestRuns(
  db: Kysely<Database>,
  providerIds: readonly string[],
  first: number,
): Promise<HarvestRunRow[]> {
  if (providerIds.length === 0) return [];
  const { rows } = await sql<HarvestRunRow>`
    select r.* from unnest(${[...providerIds]}::text[]) as p(provider_id)
    cross join lateral (
      select * from harvest_run where provider_id = p.provider_id order by id desc limit ${first}
    ) r`.execute(db);
  return rows.map(runRow);
}

/** Each provider's latest full sync that read its endpoint (SUCCEEDED or HELD), in one statement. */
export async function latestFullSyncs(
  db: Kysely<Database>,
  providerIds: readonly string[],
): Promise<HarvestRunRow[]> {
  if (providerIds.length === 0) return [];
  const { rows } = await sql<HarvestRunRow>`
    select distinct on (provider_id) * from harvest_run
    where provider_id = any(${[...providerIds]}::text[])
      and mode = 'FULL' and status in ('SUCCEEDED', 'HELD')
    order by provider_id, id desc`.execute(db);
  return rows.map(runRow);
}

/**
 * A coordinator confirms the withdrawals a held full sync would have made: the endpoint's next full
 * sync, due at once, may withdraw those listings (and only those) beyond the share limit. Only the latest full sync of the endpoint, held and not
 * yet confirmed, can be confirmed (PRECONDITION_FAILED otherwise).
 */
export async function confirmHeldRun(
  db: Kysely<Database>,
  runId: string,
  confirmedBy: string,
): Promise<HarvestEndpointRow> {
  return db.transaction().execute(async (trx) => {
    const [run] = await runsById(trx, [runId]);
    if (!run) throw new UserError('NOT_FOUND', `There is no harvest run ${runId}.`, { runId });
    const refuse = (why: string) =>
      new UserError('PRECONDITION_FAILED', `Harvest run ${runId} cannot be confirmed: ${why}.`, { runId });
    if (run.status !== 'HELD') throw refuse(`it is ${run.status}, not HELD`);
    if (run.confirmed_at) throw refuse(`it was confirmed at ${run.confirmed_at.toISOString()}`);
    const [latest] = await latestFullSyncs(trx, [run.provider_id]);
    if (latest && latest.id !== run.id) throw refuse(`a later full sync (run ${latest.id}) replaced it`);
    // Conditional: of two coordinators confirming at the same moment, the second finds it
    // confirmed once the first commits (PostgreSQL re-reads the row), and is refused.
    const confirmed = await trx
      .updateTable('harvest_run')
      .set({ confirmed_by: confirmedBy, confirmed_at: sql<Date>`now()` })
      .where('id', '=', run.id)
      .where('status', '=', 'HELD')
      .where('confirmed_at', 'is', null)
      .executeTakeFirst();
    if (confirmed.numUpdatedRows === 0n) throw refuse('it was confirmed at the same moment by someone else');
    return trx
      .updateTable('harvest_endpoint')
      .set({
        withdrawal_allowance: run.held_withdrawals?.length ?? 0,
        withdrawal_confirmed: JSON.stringify(run.held_withdrawals ?? []),
        full_sync_requested: true,
        next_run_at: sql<Date>`least(next_run_at, now())`,
        updated_at: sql<Date>`now()`,
      })
      .where('provider_id', '=', run.provider_id)
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}
