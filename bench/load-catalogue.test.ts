import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentHash } from '../catalog-schema/canonical-json.ts';
import { configFromEnv } from '../gateway/config.ts';
import { createWriteModules } from '../gateway/write-modules.ts';
import { createTestDatabase, type TestDatabase } from '../test/helpers/test-database.ts';
import { benchListings, benchProviders } from './catalogue-data.ts';
import { loadCatalogue } from './load-catalogue.ts';

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
