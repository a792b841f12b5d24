import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentHash } from '../catalog-schema/canonical-json.ts';
import { configFromEnv } from '../gateway/config.ts';
import { createDatabase } from '../gateway/database/create-database.ts';
import { startFlags } from '../gateway/heap-tuning.ts';
import { createWriteModules } from '../gateway/write-modules.ts';
import { createTestDatabase, type TestDatabase } from '../test/helpers/test-database.ts';
import { benchListings, benchProviders } from './catalogue-data.ts';
import { createBenchDatabase, prepareBenchDatabase } from './bench-database.ts';
import { loadCatalogue, loadCatalogueAsGateway } from './load-catalogue.ts';
import { writeSigningKey } from './sign-in.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

describe('loadCatalogue', () => {
  it('harvests every listing from the providers’ own nodes, one successful run per provider', async () => {
    const { db } = database;
    const { hooks } = await createWriteModules(db, configFromEnv({ DEMO_DATA: 'false' }));
    const progress: number[] = [];
    const result = await loadCatalogue(db, 300, 3, {
      hooks,
      concurrency: 2,
      progress: (done) => progress.push(done),
    });

    expect(result).toMatchObject({ path: 'harvest', listings: 300, providers: 3, concurrency: 2, runs: 3 });
    expect(result.seconds).toBeGreaterThan(0);
    expect(result.listingsPerSecond).toBeCloseTo(300 / result.seconds);
    expect(result.analyzeSeconds).toBeGreaterThan(0);
    // 100 listings a provider: one page of 100 each (the last page says there is no next one), and
    // one publish transaction of up to 200.
    expect(result.requests).toBe(3);
    expect(result.batches).toBe(3);
    expect(progress.at(-1)).toBe(300);

    const generated = benchListings(300, benchProviders(3));
    const services = await db
      .selectFrom('service')
      .select([
        'id',
        'provider_id',
        'local_id',
        'status',
        'revision',
        'source',
        'source_endpoint',
        'content_hash',
      ])
      .execute();
    expect(services).toHaveLength(300);
    const byId = new Map(services.map((s) => [s.id, s]));
    for (const { providerId, listing } of generated) {
      const service = byId.get(`${providerId}/${listing.id}`);
      expect(service, `${providerId}/${listing.id}`).toMatchObject({
        status: 'ACTIVE',
        revision: 1,
        source: 'HARVEST',
        content_hash: contentHash(listing),
      });
      expect(service!.source_endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    }

    const runs = await db
      .selectFrom('harvest_run')
      .select(['provider_id', 'status', 'mode', 'trigger', 'fetched', 'created', 'rejected'])
      .orderBy('provider_id')
      .execute();
    expect(runs).toEqual(
      ['bench-p01', 'bench-p02', 'bench-p03'].map((provider_id) => ({
        provider_id,
        status: 'SUCCEEDED',
        mode: 'FULL',
        trigger: 'SCHEDULE',
        fetched: 100,
        created: 100,
        rejected: 0,
      })),
    );
    // Audited as any harvest: one event per published listing.
    const audited = await db
      .selectFrom('audit_event')
      .select(({ fn }) => fn.countAll<string>().as('n'))
      .where('action', '=', 'service.published')
      .executeTakeFirstOrThrow();
    expect(Number(audited.n)).toBe(300);
  }, 120_000);

  it('fails loudly when a run does not succeed', async () => {
    const other = await createTestDatabase();
    try {
      const { hooks } = await createWriteModules(other.db, configFromEnv({ DEMO_DATA: 'false' }));
      const refusing = {
        ...hooks,
        afterWrites: async () => {
          throw new Error('refused by the test');
        },
      };
      await expect(loadCatalogue(other.db, 20, 2, { hooks: refusing, concurrency: 4 })).rejects.toThrow(
        /the harvest load failed:\n.*bench-p01: run \d+ FAILED \(INTERNAL/,
      );
    } finally {
      await other.close();
    }
  }, 120_000);
});

describe('loadCatalogueAsGateway', () => {
  it('loads in a process started with the gateway’s settings and reports them', async () => {
    const bench = await createBenchDatabase(process.env.DATABASE_URL);
    const scratch = mkdtempSync(join(tmpdir(), 'vc-load-as-gateway-'));
    try {
      await prepareBenchDatabase(bench.options);
      const signingKeyFile = join(scratch, 'key.pem');
      writeSigningKey(signingKeyFile);
      const progress: number[] = [];
      const result = await loadCatalogueAsGateway(
        bench.env,
        { listings: 120, providers: 2, concurrency: 2, signingKeyFile, progressEvery: 60 },
        (done) => progress.push(done),
      );
      expect(result).toMatchObject({ path: 'harvest', listings: 120, providers: 2, runs: 2 });
      expect(progress).toEqual([60, 120]);
      // The flags and heap growing factor the gateway's configuration asks for on this database.
      const config = configFromEnv(bench.env);
      expect(result.process).toEqual({
        nodeFlags: startFlags(config),
        heapGrowing: config.heapGrowingPercent > 0 ? expect.stringContaining('heap growing factor') : null,
      });
      if (bench.kind === 'pglite') {
        expect(result.process!.nodeFlags).toEqual(['--max-semi-space-size=8', '--no-liftoff']);
      }

      const handle = await createDatabase(bench.options);
      try {
        const { count } = await handle.db
          .selectFrom('service')
          .select(({ fn }) => fn.countAll<string>().as('count'))
          .where('status', '=', 'ACTIVE')
          .executeTakeFirstOrThrow();
        expect(Number(count)).toBe(120);
      } finally {
        await handle.close();
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
      await bench.drop();
    }
  }, 120_000);

  it('fails with the load process’s own error, here an unmigrated database', async () => {
    const bench = await createBenchDatabase(process.env.DATABASE_URL);
    try {
      await expect(
        loadCatalogueAsGateway(
          bench.env,
          {
            listings: 10,
            providers: 1,
            concurrency: 1,
            signingKeyFile: '/nonexistent/key.pem',
            progressEvery: 10,
          },
          () => undefined,
        ),
      ).rejects.toThrow(/the load process ended with 1[^]*relation "\w+" does not exist/);
    } finally {
      await bench.drop();
    }
  }, 120_000);
});
