// Done when: three gateway processes on one PostgreSQL run each scheduled harvest exactly once, and a
// replica that dies mid-run gives its claim back. Real child processes on a real PostgreSQL: when
// DATABASE_URL is not set this makes a throwaway database on 127.0.0.1:5432 (always there in CI).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../../gateway/config.ts';
import { createServer } from '../../gateway/create-server.ts';
import { createDatabase } from '../../gateway/database/create-database.ts';
import type { Database } from '../../gateway/database/database.ts';
import type { DatabaseHandle } from '../../gateway/database/database.ts';
import { registerEndpoint } from '../../gateway/harvest/store/harvest-endpoints.ts';
import { makeListing, registerOrganisation } from '../helpers/listings.ts';
import { startFaultServer, startProviderNode, type TestProviderNode } from '../helpers/provider-nodes.ts';

const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `vc_replicas_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const url = new URL(ADMIN_URL);
url.pathname = `/${name}`;
const DATABASE_URL = url.toString();

let database: DatabaseHandle;
let db: Kysely<Database>;
const children = new Set<ChildProcess>();
const nodes: TestProviderNode[] = [];
const closers: (() => Promise<unknown>)[] = [];

async function admin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

interface Replica {
  owner: string;
  output: () => string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function startReplica(): Promise<Replica> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/federation/harvest-replica.ts'], {
    cwd: new URL('../../', import.meta.url).pathname,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL,
      DATABASE_POOL_SIZE: '4',
      DEMO_DATA: 'false',
      HARVEST_POLL_INTERVAL_MS: '100',
      HARVEST_LEASE_SECONDS: '2',
      HARVEST_CONCURRENCY: '2',
      HARVEST_RETRIES: '0',
      SUBSCRIPTION_DELIVERY_INTERVAL_MS: '0',
      SUBSCRIPTION_CERTIFICATION_CHECK_INTERVAL_MS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const owner = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica not ready within 60 s:\n${output}`)), 60_000);
    child.stdout!.on('data', () => {
      const match = /READY (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`replica exited with ${code}:\n${output}`)));
  });
  return {
    owner,
    output: () => output,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface RunRow {
  id: string;
  provider_id: string;
  scheduled_for: Date;
  status: string;
  claimed_by: string;
  trigger: string;
}

async function runsOf(providerIds: string[]): Promise<RunRow[]> {
  const { rows } = await sql<RunRow>`
    select id::text, provider_id, scheduled_for, status, claimed_by, trigger from harvest_run
    where provider_id = any(${providerIds}::text[]) order by harvest_run.id`.execute(db);
  return rows;
}

beforeAll(async () => {
  await admin(`create database ${name}`);
  database = await createDatabase({ kind: 'postgres', url: DATABASE_URL, poolSize: 4 });
  db = database.db;
  // One start before the replicas: migrations, reference data and the demo signing key exist once.
  const first = await createServer(
    { ...configFromEnv({ DATABASE_URL, DEMO_DATA: 'false' }), port: 0 },
    { database },
  );
  await first.close();
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const node of nodes) await node.close();
  for (const close of closers) await close();
  await database?.close();
  await admin(`drop database if exists ${name} with (force)`);
});

describe('three gateway replicas on one PostgreSQL', () => {
  const providers = ['repl-a', 'repl-b', 'repl-c', 'repl-d'];
  // Shared by both tests: starting processes is the slow part.
  let replicas: Replica[] = [];

  it('run each scheduled harvest exactly once', { timeout: 120_000 }, async () => {
    for (const [i, id] of providers.entries()) {
      await registerOrganisation(db, id, 'PROVIDER');
      const node = await startProviderNode([
        makeListing({ id: `dienst-${i}` }),
        makeListing({ id: `weiterer-${i}` }),
      ]);
      nodes.push(node);
      await registerEndpoint(db, {
        providerId: id,
        url: node.url,
        requiresToken: false,
        intervalSeconds: 2,
        fullSyncIntervalSeconds: 5,
        registeredBy: 'test',
      });
    }
    replicas = await Promise.all([startReplica(), startReplica(), startReplica()]);
    expect(new Set(replicas.map((r) => r.owner)).size).toBe(3);

    // Let the schedule run for a while: each endpoint is due every 2 s.
    await new Promise((resolve) => setTimeout(resolve, 7000));
    // Stop scheduling and let the runs in flight finish; the replicas keep running for the next test.
    await sql`update harvest_endpoint set enabled = false where provider_id = any(${providers}::text[])`.execute(
      db,
    );
    await waitFor('runs to finish', async () =>
      (await runsOf(providers)).some((r) => r.status === 'RUNNING') ? undefined : true,
    );

    const runs = await runsOf(providers);
    expect(runs.every((r) => r.trigger === 'SCHEDULE' && r.status === 'SUCCEEDED')).toBe(true);
    for (const [i, provider] of providers.entries()) {
      const mine = runs.filter((r) => r.provider_id === provider);
      // At least the first run and two more 2 s apart in 7 s.
      expect(mine.length).toBeGreaterThanOrEqual(3);
      // Each slot ran once...
      const slots = mine.map((r) => r.scheduled_for.toISOString());
      expect(new Set(slots).size).toBe(slots.length);
      // ...and the endpoint was read once per run, by whichever replica claimed it.
      expect(nodes[i]!.requests).toHaveLength(mine.length);
      // Consecutive slots are an interval apart: nobody ran a slot early or twice.
      for (let k = 1; k < mine.length; k++) {
        expect(
          mine[k]!.scheduled_for.getTime() - mine[k - 1]!.scheduled_for.getTime(),
        ).toBeGreaterThanOrEqual(2000);
      }
    }
    // The work was shared: more than one replica claimed runs.
    expect(new Set(runs.map((r) => r.claimed_by)).size).toBeGreaterThanOrEqual(2);
    // Every listing landed once, unchanged afterwards.
    const services = await sql<{ n: number; revisions: number }>`
      select count(*)::int as n, sum(revision)::int as revisions from service
      where provider_id = any(${providers}::text[])`.execute(db);
    expect(services.rows[0]).toEqual({ n: 8, revisions: 8 });
  });

  it(
    'a replica killed mid-run gives its claim back: another completes that slot, once',
    { timeout: 120_000 },
    async () => {
      await registerOrganisation(db, 'repl-slow', 'PROVIDER');
      // The first request hangs (its replica is killed while it waits); later ones are answered at once.
      let requests = 0;
      const slow = await startFaultServer((req, res) => {
        requests++;
        req.resume();
        if (requests === 1) return;
        req.on('end', () =>
          res.end(
            JSON.stringify({
              data: {
                listings: {
                  asOf: new Date().toISOString(),
                  nodes: [{ id: 'langsam', document: makeListing({ id: 'langsam' }) }],
                  pageInfo: { hasNextPage: false },
                },
              },
            }),
          ),
        );
      });
      closers.push(() => slow.close());
      await registerEndpoint(db, {
        providerId: 'repl-slow',
        url: slow.url,
        requiresToken: false,
        intervalSeconds: 3600,
        fullSyncIntervalSeconds: 86400,
        registeredBy: 'test',
      });

      const claimed = await waitFor('a replica to claim the run', async () =>
        (await runsOf(['repl-slow'])).find((r) => r.status === 'RUNNING'),
      );
      await waitFor('the request to reach the endpoint', async () => (requests > 0 ? true : undefined));
      const doomed = replicas.find((r) => r.owner === claimed.claimed_by)!;
      doomed.child.kill('SIGKILL');
      await new Promise((resolve) => doomed.child.once('exit', resolve));
      const survivors = replicas.filter((r) => r !== doomed);

      // Its lease (HARVEST_LEASE_SECONDS=2) expires; one of the others takes the slot over.
      const done = await waitFor('another replica to complete the slot', async () =>
        (await runsOf(['repl-slow'])).find((r) => r.status === 'SUCCEEDED'),
      );
      await Promise.all(survivors.map((r) => r.stop()));

      expect(survivors.map((r) => r.owner)).toContain(done.claimed_by);
      expect(done.scheduled_for.toISOString()).toBe(claimed.scheduled_for.toISOString());
      const runs = await runsOf(['repl-slow']);
      expect(runs.map((r) => [r.status, r.claimed_by])).toEqual([
        ['ABANDONED', doomed.owner],
        ['SUCCEEDED', done.claimed_by],
      ]);
      expect(requests).toBe(2);
      for (const replica of survivors) expect(replica.output()).not.toMatch(/harvest scheduler:|failed:/);
      const service = await sql<{
        status: string;
      }>`select status from service where id = 'repl-slow/langsam'`.execute(db);
      expect(service.rows).toEqual([{ status: 'ACTIVE' }]);
    },
  );
});
