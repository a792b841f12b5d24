import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAuditEvent } from '../../certification/audit-chain.ts';
import { auditCatalogWrites } from '../../certification/certification-module.ts';
import { verifyAuditChain } from '../../certification/verify-audit-chain.ts';
import { makeListing, registerOrganisation } from '../../test/helpers/listings.ts';
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from '../../test/helpers/test-database.ts';
import { composeCatalogWriteHooks } from '../gateway-module.ts';
import type { CatalogWriteEvent, CatalogWriteHooks, PublishInput } from './publish-listing.ts';
import { publishListing, withdrawService } from './publish-listing.ts';
import { publishListings } from './publish-listings.ts';

// The batched publish keeps every rule of publishing one listing at a time.
let database: TestDatabase;

const push = (providerId: string, listing: ReturnType<typeof makeListing>): PublishInput => ({
  providerId,
  listing,
  source: 'PUSH',
});

async function counts(providerId: string) {
  const { rows } = await sql<{ services: number; revisions: number }>`
    select (select count(*)::int from service where provider_id = ${providerId}) as services,
      (select count(*)::int from service_revision r join service s on s.id = r.service_id
        where s.provider_id = ${providerId}) as revisions`.execute(database.db);
  return rows[0]!;
}

beforeAll(async () => {
  database = await createTestDatabase();
  for (const id of ['batchwerk', 'einzelwerk', 'hookwerk', 'grosswerk', 'konfliktwerk', 'doppelwerk']) {
    await registerOrganisation(database.db, id);
  }
});
afterAll(() => database?.close());

describe('publishListings', () => {
  it('stores the same rows as publishing one by one', async () => {
    const listings = [
      makeListing({
        id: 'a',
        title: 'Wohngeldantrag digital',
        keywords: ['Mietzuschuss'],
        ozgIds: ['10092'],
      }),
      makeListing({ id: 'b', title: 'Hundesteuer anmelden', efa: true, developingLand: 'DE-BY' }),
    ];
    const batch = await publishListings(
      database.db,
      listings.map((l) => push('batchwerk', l)),
    );
    for (const l of listings) await publishListing(database.db, push('einzelwerk', l));
    expect(batch.map((r) => [r.service.id, r.outcome, r.service.revision])).toEqual([
      ['batchwerk/a', 'CREATED', 1],
      ['batchwerk/b', 'CREATED', 1],
    ]);
    const { rows } = await sql<Record<string, unknown>>`
      select * from service where provider_id in ('batchwerk', 'einzelwerk') order by local_id, provider_id`.execute(
      database.db,
    );
    const comparable = ({
      id: _id,
      provider_id: _p,
      published_at: _pa,
      updated_at: _ua,
      fetched_at: _fa,
      ...rest
    }: Record<string, unknown>) => rest;
    expect(comparable(rows[0]!)).toEqual(comparable(rows[1]!));
    expect(comparable(rows[2]!)).toEqual(comparable(rows[3]!));
    const terms = await sql<{ term: string }>`
      select term from search_term where term in ('wohngeldantrag', 'mietzuschuss', 'hundesteuer')`.execute(
      database.db,
    );
    expect(terms.rows).toHaveLength(3);
    expect(await counts('batchwerk')).toEqual({ services: 2, revisions: 2 });
  });

  it('creates, updates, reactivates and leaves unchanged in one batch, in input order', async () => {
    const same = makeListing({ id: 'gleich' });
    const changed = makeListing({ id: 'neu-fassung' });
    const withdrawn = makeListing({ id: 'zurueck' });
    await publishListings(database.db, [
      push('batchwerk', same),
      push('batchwerk', changed),
      push('batchwerk', withdrawn),
    ]);
    await withdrawService(database.db, { serviceId: 'batchwerk/zurueck', reason: 'Pause', source: 'PUSH' });
    const before = await counts('batchwerk');
    const untouched = await database.db
      .selectFrom('service')
      .select('updated_at')
      .where('id', '=', 'batchwerk/gleich')
      .executeTakeFirstOrThrow();

    const results = await publishListings(database.db, [
      push('batchwerk', makeListing({ id: 'frisch' })),
      push('batchwerk', same),
      push('batchwerk', { ...changed, version: '2.0.0', title: 'Neue Fassung' }),
      push('batchwerk', withdrawn),
    ]);
    expect(results.map((r) => [r.service.id, r.outcome, r.service.revision, r.service.status])).toEqual([
      ['batchwerk/frisch', 'CREATED', 1, 'ACTIVE'],
      ['batchwerk/gleich', 'UNCHANGED', 1, 'ACTIVE'],
      ['batchwerk/neu-fassung', 'UPDATED', 2, 'ACTIVE'],
      ['batchwerk/zurueck', 'REACTIVATED', 1, 'ACTIVE'],
    ]);
    // one new service; revisions for the new one and the changed one, none for unchanged or reactivated
    expect(await counts('batchwerk')).toEqual({
      services: before.services + 1,
      revisions: before.revisions + 2,
    });
    const after = await database.db
      .selectFrom('service')
      .select('updated_at')
      .where('id', '=', 'batchwerk/gleich')
      .executeTakeFirstOrThrow();
    expect(after.updated_at).toEqual(untouched.updated_at);
    const reactivated = await database.db
      .selectFrom('service')
      .select(['withdrawn_at', 'withdrawn_reason'])
      .where('id', '=', 'batchwerk/zurueck')
      .executeTakeFirstOrThrow();
    expect(reactivated).toEqual({ withdrawn_at: null, withdrawn_reason: null });
  });

  it('treats the same id twice as two publishes in a row', async () => {
    const first = makeListing({ id: 'zweimal' });
    const results = await publishListings(database.db, [
      push('batchwerk', first),
      push('batchwerk', { ...first, title: 'Zweimal, geändert' }),
      push('batchwerk', { ...first, title: 'Zweimal, geändert' }),
    ]);
    expect(results.map((r) => [r.outcome, r.service.revision, r.service.title])).toEqual([
      ['CREATED', 1, first.title],
      ['UPDATED', 2, 'Zweimal, geändert'],
      ['UNCHANGED', 2, 'Zweimal, geändert'],
    ]);
  });

  it('refuses a pushed listing whose id is harvested (CONFLICT) and writes nothing of the batch', async () => {
    await publishListing(database.db, {
      providerId: 'konfliktwerk',
      listing: makeListing({ id: 'geerntet' }),
      source: 'HARVEST',
      endpoint: 'https://katalog.konfliktwerk.example/listings',
    });
    const before = await counts('konfliktwerk');
    const attempt = publishListings(database.db, [
      push('konfliktwerk', makeListing({ id: 'unschuldig' })),
      push('konfliktwerk', makeListing({ id: 'geerntet', title: 'Per Push überschrieben' })),
    ]);
    await expect(attempt).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { serviceId: 'konfliktwerk/geerntet' },
    });
    expect(await counts('konfliktwerk')).toEqual(before);
  });

  it('runs the write hooks inside the transaction, once per write, and rolls back when one fails', async () => {
    const seen: { event: CatalogWriteEvent; visible: number }[] = [];
    const hooks: CatalogWriteHooks = {
      afterWrites: async (trx, events) => {
        for (const event of events) {
          const row = await trx
            .selectFrom('service')
            .select(sql<number>`count(*)::int`.as('n'))
            .where('id', '=', event.service.id)
            .executeTakeFirstOrThrow();
          seen.push({ event, visible: row.n });
        }
      },
    };
    const listing = makeListing({ id: 'mit-hook' });
    await publishListings(
      database.db,
      [push('hookwerk', listing), push('hookwerk', makeListing({ id: 'auch' }))],
      hooks,
    );
    expect(seen.map((s) => [s.event.action, s.event.service.id, s.event.outcome, s.visible])).toEqual([
      ['service.published', 'hookwerk/mit-hook', 'CREATED', 1],
      ['service.published', 'hookwerk/auch', 'CREATED', 1],
    ]);

    seen.length = 0;
    await publishListings(database.db, [push('hookwerk', listing)], hooks);
    expect(seen).toEqual([]); // unchanged content: no write, no hook

    const failing = {
      afterWrites: async () => {
        throw new Error('audit chain unavailable');
      },
    };
    const before = await counts('hookwerk');
    await expect(
      publishListings(database.db, [push('hookwerk', makeListing({ id: 'nie' }))], failing),
    ).rejects.toThrow('audit chain unavailable');
    expect(await counts('hookwerk')).toEqual(before);
  });

  it('runs every write hook after all writes of the batch, each module over all of them before the next', async () => {
    // The audit chain's append (certification, the last module) locks the chain head until commit: it
    // must come after every lock the batch takes, also when an id repeats (a second round of writes).
    const calls: unknown[][] = [];
    const recorder =
      (name: string): CatalogWriteHooks['afterWrites'] =>
      async (trx, events) => {
        const { rows } = await sql<{ id: string; revision: number }>`
          select id, revision from service where provider_id = 'doppelwerk' order by id`.execute(trx);
        for (const event of events) {
          calls.push([
            name,
            event.service.id,
            event.outcome,
            event.service.revision,
            rows.map((r) => `${r.id}@${r.revision}`).join(' '),
          ]);
        }
      };
    const hooks = composeCatalogWriteHooks([
      { name: 'first', catalogWriteHooks: { afterWrites: recorder('first') } },
      { name: 'last', catalogWriteHooks: { afterWrites: recorder('last') } },
    ]);
    const results = await publishListings(
      database.db,
      [
        push('doppelwerk', makeListing({ id: 'x' })),
        push('doppelwerk', makeListing({ id: 'y' })),
        push('doppelwerk', makeListing({ id: 'x', title: 'Zweite Fassung von x' })),
      ],
      hooks,
    );
    expect(results.map((r) => [r.service.id, r.outcome, r.service.revision])).toEqual([
      ['doppelwerk/x', 'CREATED', 1],
      ['doppelwerk/y', 'CREATED', 1],
      ['doppelwerk/x', 'UPDATED', 2],
    ]);
    const all = 'doppelwerk/x@2 doppelwerk/y@1';
    expect(calls).toEqual([
      ['first', 'doppelwerk/x', 'CREATED', 1, all],
      ['first', 'doppelwerk/y', 'CREATED', 1, all],
      ['first', 'doppelwerk/x', 'UPDATED', 2, all],
      ['last', 'doppelwerk/x', 'CREATED', 1, all],
      ['last', 'doppelwerk/y', 'CREATED', 1, all],
      ['last', 'doppelwerk/x', 'UPDATED', 2, all],
    ]);
  });

  it('does not deadlock with a certification transaction on a listing of its second round', async () => {
    await publishListings(database.db, [push('doppelwerk', makeListing({ id: 'z' }))]);
    const audited = { afterWrites: auditCatalogWrites };
    let locked!: () => void;
    const zLocked = new Promise<void>((resolve) => (locked = resolve));
    // Like recordCheck: the listing share-locked, then the audit chain appended.
    const certifying = database.db.transaction().execute(async (trx) => {
      await sql`select id from service where id = 'doppelwerk/z' for share`.execute(trx);
      locked();
      // PostgreSQL: append only once the batch waits for this lock (PGlite runs one transaction at a time).
      if (TEST_DIALECT === 'postgres') await lockWaiter();
      await appendAuditEvent(trx, {
        actor: { subject: 'pruefer', organisation: null },
        action: 'probe',
        subject: 'service:doppelwerk/z',
        payload: {},
      });
    });
    await zLocked;
    const publishing = publishListings(
      database.db,
      [
        push('doppelwerk', makeListing({ id: 'w' })),
        push('doppelwerk', makeListing({ id: 'w', title: 'Zweite Fassung von w' })),
        push('doppelwerk', makeListing({ id: 'z', title: 'Zweite Fassung von z' })),
      ],
      audited,
    );
    const [certified, published] = await Promise.allSettled([certifying, publishing]);
    // Before the fix PostgreSQL aborted one of them: "deadlock detected".
    expect({ certified, published }).toMatchObject({
      certified: { status: 'fulfilled' },
      published: { status: 'fulfilled' },
    });
    const { rows } = await sql<{ action: string; subject: string }>`
      select action, subject from audit_event order by sequence`.execute(database.db);
    expect(rows.slice(-4)).toEqual([
      { action: 'probe', subject: 'service:doppelwerk/z' },
      { action: 'service.published', subject: 'service:doppelwerk/w' },
      { action: 'service.published', subject: 'service:doppelwerk/w' },
      { action: 'service.published', subject: 'service:doppelwerk/z' },
    ]);
    expect(await verifyAuditChain(database.db)).toMatchObject({ ok: true });
  });

  it('publishes batches larger than one statement holds', async () => {
    const listings = Array.from({ length: 1205 }, (_, i) =>
      push('grosswerk', makeListing({ id: `dienst-${i}` })),
    );
    // The hooks run once, after the last statement's rows too.
    const hookCalls: { events: number; visible: number }[] = [];
    const results = await publishListings(database.db, listings, {
      afterWrites: async (trx, events) => {
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from service where provider_id = 'grosswerk'`.execute(trx);
        hookCalls.push({ events: events.length, visible: rows[0]!.n });
      },
    });
    expect(hookCalls).toEqual([{ events: 1205, visible: 1205 }]);
    expect(results).toHaveLength(1205);
    expect(results.every((r) => r.outcome === 'CREATED')).toBe(true);
    expect(results[1204]!.service.id).toBe('grosswerk/dienst-1204');
    expect(await counts('grosswerk')).toEqual({ services: 1205, revisions: 1205 });
    const again = await publishListings(database.db, listings);
    expect(again.every((r) => r.outcome === 'UNCHANGED')).toBe(true);
  });

  it('lets providers publish at the same time when their listings bring the same new words', async () => {
    // The same 3,000 words, new to the vocabulary, in an order of each provider's own: inserted in
    // those orders, the vocabulary's new rows made PostgreSQL abort most of these publishes
    // ("deadlock detected").
    const words = Array.from({ length: 3000 }, (_, i) => `neuwort${i.toString(36)}q`);
    const providers = Array.from({ length: 6 }, (_, k) => `gleichzeit-${k + 1}`);
    for (const id of providers) await registerOrganisation(database.db, id);
    // Every publish inserts its words at the same moment (PostgreSQL; see startingTogether).
    const results = await startingTogether('search_term', () =>
      providers.map((providerId, k) => {
        const order = shuffled(words, k + 1);
        return publishListings(
          database.db,
          Array.from({ length: 300 }, (_, i) => {
            const own = order.slice(10 * i, 10 * i + 10);
            const listing = {
              id: `dienst-${i}`,
              title: own.slice(0, 4).join(' '),
              summary: own.slice(4).join(' '),
            };
            return push(providerId, makeListing(listing));
          }),
        );
      }),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    for (const id of providers) expect(await counts(id)).toEqual({ services: 300, revisions: 300 });
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from search_term where term like 'neuwort%q'`.execute(database.db);
    expect(rows[0]!.n).toBe(words.length);
  });

  it('lets a provider publish overlapping batches at the same time, in any order of their listings', async () => {
    // A client that retries a slow batch while the first attempt still runs: the new rows of both
    // are inserted in the order of their ids, so one waits for the other instead of a deadlock.
    await registerOrganisation(database.db, 'wiederholwerk');
    const batch = (order: number[]) =>
      order.map((i) => push('wiederholwerk', makeListing({ id: `dienst-${i}` })));
    const ids = Array.from({ length: 400 }, (_, i) => i);
    const results = await startingTogether('service', () => [
      publishListings(database.db, batch(ids)),
      publishListings(database.db, batch([...ids].reverse())),
      publishListings(database.db, batch(ids.filter((i) => i % 3 === 1))),
    ]);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    // Each listing was created by exactly one of them and left unchanged by the others.
    const outcomes = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    for (const i of ids) {
      const of = outcomes.filter((o) => o.service.id === `wiederholwerk/dienst-${i}`).map((o) => o.outcome);
      expect(of.filter((o) => o === 'CREATED')).toHaveLength(1);
      expect(of.every((o) => o === 'CREATED' || o === 'UNCHANGED')).toBe(true);
    }
    expect(await counts('wiederholwerk')).toEqual({ services: 400, revisions: 400 });
  });
});

/** The items in an order fixed by `seed` (a linear congruential generator drives the shuffle). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const result = [...items];
  let state = seed;
  for (let i = result.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}

/**
 * Starts the writers and settles them. On PostgreSQL, `table` is locked against writes until every
 * writer waits for it, so that their writes to it overlap as much as they can; PGlite runs one
 * transaction at a time, so there they simply run.
 */
async function startingTogether<T>(
  table: 'search_term' | 'service',
  writers: () => Promise<T>[],
): Promise<PromiseSettledResult<T>[]> {
  if (TEST_DIALECT !== 'postgres') return Promise.allSettled(writers());
  let release!: () => void;
  let held!: () => void;
  const locked = new Promise<void>((resolve) => (held = resolve));
  const holding = database.db.transaction().execute(async (trx) => {
    await sql`lock table ${sql.table(table)} in share mode`.execute(trx);
    held();
    await new Promise<void>((resolve) => (release = resolve));
  });
  await locked;
  const started = writers();
  await lockWaiter(started.length);
  release();
  await holding;
  return Promise.allSettled(started);
}

/** Waits until `count` other sessions of this database wait for a lock (PostgreSQL). */
async function lockWaiter(count = 1): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`.execute(database.db);
    if (rows[0]!.n >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`fewer than ${count} sessions waited for a lock within 10 s`);
}
