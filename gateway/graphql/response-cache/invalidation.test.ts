import { spawn } from 'node:child_process';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeListing, registerOrganisation } from '../../../test/helpers/listings.ts';
import { TEST_DIALECT } from '../../../test/helpers/test-database.ts';
import { registerEndpoint } from '../../harvest/store/harvest-endpoints.ts';
import {
  askCached,
  changesHeard,
  startTestServer,
  type CachedAnswer,
  type TestServer,
} from '../../../test/helpers/test-server.ts';

// The cache never outlives a change to what it answered, whoever makes the change.
let t: TestServer;
let replica: TestServer;

const SEARCH = `query Search($search: String) {
  services(search: $search, first: 5) { totalCount edges { node { id title provider { name } } } }
}`;
const PUBLISH = `mutation ($listing: JSON!) { publishService(listing: $listing) { changed } }`;

/** Asks until `done` holds; a notification from another connection arrives a moment after the commit. */
async function askUntil(
  server: TestServer,
  variables: Record<string, unknown>,
  done: (a: CachedAnswer) => boolean,
) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const answer = await askCached(server, SEARCH, variables);
    if (done(answer) || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const titles = (a: CachedAnswer) => a.body.data.services.edges.map((e: any) => e.node.title);

beforeAll(async () => {
  t = await startTestServer();
  replica = await startTestServer({ database: t.database });
  await registerOrganisation(t.db, 'cachewerk');
  for (const [id, title] of [
    ['gewerbe', 'Gewerbeanmeldung online'],
    ['hund', 'Hundesteuer anmelden'],
    ['fischerei', 'Fischereischein beantragen'],
  ] as const) {
    await t.graphql(PUBLISH, { listing: makeListing({ id, title }) }, { as: 'provider@cachewerk' });
  }
  // The setup's notifications arrive a moment after its commits, and would drop an entry stored before.
  await changesHeard(t);
});

afterAll(async () => {
  await replica?.close();
  await t?.close();
});

describe('the response cache', () => {
  it('answers a repeated query from memory with the same body and no SQL', async () => {
    const first = await askCached(t, SEARCH, { search: 'gewerbeanmeldung' });
    const second = await askCached(t, SEARCH, { search: 'gewerbeanmeldung' });
    expect(first.cache).toBe('miss');
    expect(first.body.extensions?.sqlStatements).toBeGreaterThan(0);
    expect(second.cache).toBe('hit');
    expect(second.body.extensions?.sqlStatements).toBe(0);
    expect(second.body.data).toEqual(first.body.data);
  });

  it('lets requests that miss while the same request runs wait for its answer instead of reading too', async () => {
    const variables = { search: 'gewerbeanmeldung steuer' };
    const lookups = () => t.server.responseCache!.stats().misses; // /metrics may read the held database
    const before = lookups();
    // The database is held while the requests arrive: the first to miss reads, the others wait.
    let answers: CachedAnswer[] = [];
    await t.db.transaction().execute(async (trx) => {
      await sql`lock table service in access exclusive mode`.execute(trx);
      const asked = Promise.all(Array.from({ length: 8 }, () => askCached(t, SEARCH, variables)));
      const deadline = Date.now() + 10_000;
      while (lookups() < before + 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      answers = await Promise.race([asked, new Promise<CachedAnswer[]>((r) => setTimeout(() => r([]), 200))]);
      expect(answers).toEqual([]); // nobody answered while the database was held
      void asked.then((all) => (answers = all));
    });
    const deadline = Date.now() + 10_000;
    while (answers.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(answers.map((a) => a.cache).sort()).toEqual([
      'hit',
      'hit',
      'hit',
      'hit',
      'hit',
      'hit',
      'hit',
      'miss',
    ]);
    expect(answers.map((a) => a.body.extensions?.sqlStatements).filter((n) => n > 0)).toHaveLength(1);
    for (const answer of answers) expect(answer.body.data).toEqual(answers[0]!.body.data);
  });

  it('does not cache errors', async () => {
    const bad = `query { services(first: 0) { totalCount } }`;
    expect((await askCached(t, bad)).cache).toBe('miss');
    const again = await askCached(t, bad);
    expect(again.cache).toBe('miss');
    expect(again.body.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('is dropped by a mutation through this gateway before the mutation answers', async () => {
    await askCached(t, SEARCH, { search: 'hundesteuer' });
    expect((await askCached(t, SEARCH, { search: 'hundesteuer' })).cache).toBe('hit');
    await t.graphql(
      PUBLISH,
      { listing: makeListing({ id: 'hund', title: 'Hundesteuer anmelden und abmelden' }) },
      { as: 'provider@cachewerk' },
    );
    const after = await askCached(t, SEARCH, { search: 'hundesteuer' });
    expect(after.cache).toBe('miss');
    expect(titles(after)).toEqual(['Hundesteuer anmelden und abmelden']);
    await changesHeard(t); // this publish's own notification, before the next test stores an entry
  });

  it('is dropped by a write through another gateway replica on the same database', async () => {
    await askCached(t, SEARCH, { search: 'fischereischein' });
    expect((await askCached(t, SEARCH, { search: 'fischereischein' })).cache).toBe('hit');
    const published = await replica.graphql(
      PUBLISH,
      { listing: makeListing({ id: 'fischerei', title: 'Fischereischein beantragen und verlängern' }) },
      { as: 'provider@cachewerk' },
    );
    expect(published.data!.publishService.changed).toBe(true);
    const after = await askUntil(t, { search: 'fischereischein' }, (a) => a.cache === 'miss');
    expect(after.cache).toBe('miss');
    expect(titles(after)).toEqual(['Fischereischein beantragen und verlängern']);
  });

  it('is dropped by a write that passes through no gateway at all', async () => {
    await askCached(t, SEARCH, { search: 'gewerbeanmeldung' });
    expect((await askCached(t, SEARCH, { search: 'gewerbeanmeldung' })).cache).toBe('hit');
    const statement = `update organisation set name = 'Cachewerk AöR' where id = 'cachewerk'`;
    if (TEST_DIALECT === 'postgres') {
      // Another operating-system process with its own connection, as an administrator's psql would be.
      await new Promise<void>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `import pg from 'pg'; const c = new pg.Client(process.argv[1]); await c.connect(); await c.query(process.argv[2]); await c.end();`,
            t.database.url!,
            statement,
          ],
          { stdio: 'inherit' },
        );
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
      });
    } else {
      // Embedded PostgreSQL lives in this process: SQL straight to the database, past the gateway.
      await sql.raw(statement).execute(t.db);
    }
    const after = await askUntil(
      t,
      { search: 'gewerbeanmeldung' },
      (a) => a.body.data.services.edges[0]?.node.provider.name === 'Cachewerk AöR',
    );
    expect(after.body.data.services.edges[0].node.provider.name).toBe('Cachewerk AöR');
  });

  it('keeps an answer that shows an open harvest circuit only until the circuit closes', async () => {
    // The pause ends with the clock: no write announces it.
    await registerOrganisation(t.db, 'koordinierung', 'COORDINATOR');
    await registerEndpoint(t.db, {
      providerId: 'cachewerk',
      url: 'https://katalog.cachewerk.example/graphql',
      requiresToken: false,
      intervalSeconds: 3600,
      fullSyncIntervalSeconds: 86_400,
      registeredBy: 'test',
    });
    await t.db
      .updateTable('harvest_endpoint')
      .set({ circuit_open_until: new Date(Date.now() + 1500) })
      .where('provider_id', '=', 'cachewerk')
      .execute();
    await changesHeard(t, 'harvest_endpoint');
    const query = '{ harvestEndpoints { circuit pausedUntil } }';
    const as = 'coordinator@koordinierung';
    expect((await askCached(t, query, {}, as)).body.data.harvestEndpoints[0].circuit).toBe('OPEN');
    expect((await askCached(t, query, {}, as)).cache).toBe('hit');
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const later = await askCached(t, query, {}, as);
    expect(later.cache).toBe('miss');
    expect(later.body.data.harvestEndpoints[0]).toEqual({ circuit: 'CLOSED', pausedUntil: null });
  });

  it('stays silent for a publish that changes nothing', async () => {
    await askCached(t, SEARCH, { search: 'gewerbeanmeldung' });
    expect((await askCached(t, SEARCH, { search: 'gewerbeanmeldung' })).cache).toBe('hit');
    // the same content again, pushed through the replica: no row changes, so no notification
    const listing = makeListing({ id: 'gewerbe', title: 'Gewerbeanmeldung online' });
    const response = await replica.graphql(PUBLISH, { listing }, { as: 'provider@cachewerk' });
    expect(response.data!.publishService.changed).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await askCached(t, SEARCH, { search: 'gewerbeanmeldung' })).cache).toBe('hit');
  });

  it('turns itself off while it cannot hear changes, and comes back empty', async () => {
    await askCached(t, SEARCH, { search: 'gewerbeanmeldung' });
    expect((await askCached(t, SEARCH, { search: 'gewerbeanmeldung' })).cache).toBe('hit');
    if (TEST_DIALECT === 'postgres') {
      // Cut every listening connection of this database, as a server restart or a network cut would.
      const admin = new pg.Client({ connectionString: t.database.url });
      await admin.connect();
      await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
         where datname = current_database() and application_name like 'catalogue-listen-%'`,
      );
      await admin.end();
      const during = await askUntil(t, { search: 'gewerbeanmeldung' }, (a) => a.cache === null);
      expect(during.cache).toBeNull(); // not even looked up
      const back = await askUntil(t, { search: 'gewerbeanmeldung' }, (a) => a.cache !== null);
      expect(back.cache).toBe('miss'); // empty after the gap
      expect((await askCached(t, SEARCH, { search: 'gewerbeanmeldung' })).cache).toBe('hit');
    } else {
      // Embedded PostgreSQL delivers notifications in-process; the listener cannot be cut off. It
      // stops with the server: a closed replica's cache is off.
      expect(replica.server.database.dialect).toBe('pglite');
    }
  });
});
