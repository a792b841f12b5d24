import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/helpers/test-database.ts';
import {
  assertConsistentCatalogue,
  CRITERIA,
  currentCriteria,
  currentProfiles,
  PROFILES,
  type CriterionDefinition,
  type ProfileDefinition,
} from './criteria-catalogue.ts';
import { listCriteria, listProfiles } from './criteria.ts';
import { syncCriteriaCatalogue } from './sync-criteria-catalogue.ts';
import { verifyAuditChain } from './verify-audit-chain.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(() => database?.close());

describe('the criteria catalogue', () => {
  it('holds the criteria the coordination office certifies against, each with evidence and validity', () => {
    expect([...currentCriteria().keys()].sort()).toEqual([
      'bitv-2',
      'bsi-c5-type2',
      'data-location-eu',
      'dsgvo-avv',
      'efa-mindestanforderungen',
      'fit-connect-xoev',
      'iso27001-grundschutz',
      'oci-container',
      'open-source-licence',
    ]);
    for (const c of CRITERIA) {
      expect(c.title.length).toBeGreaterThan(5);
      expect(c.description.length).toBeGreaterThan(50);
      expect(c.evidence.length).toBeGreaterThan(30);
      expect(c.defaultValidityDays).toBeGreaterThan(0);
    }
    const profiles = currentProfiles();
    expect([...profiles.keys()].sort()).toEqual(['dvs-basis', 'dvs-hoch', 'efa']);
    expect(profiles.get('dvs-hoch')!.listingRequirements).toEqual({ minSchutzbedarf: 'HIGH' });
    expect(profiles.get('efa')!.listingRequirements).toEqual({ efa: true });
    // dvs-hoch is dvs-basis plus ISO 27001 on the basis of IT-Grundschutz.
    const ids = (id: string) => profiles.get(id)!.criteria.map((c) => c.id);
    expect(ids('dvs-hoch')).toEqual(expect.arrayContaining([...ids('dvs-basis'), 'iso27001-grundschutz']));
    expect(() => assertConsistentCatalogue()).not.toThrow();
  });

  it('refuses a current profile that requires an outdated criterion version', () => {
    const c5v2: CriterionDefinition = { ...CRITERIA[0]!, version: 2, title: 'BSI C5:2025 – Testat Typ 2' };
    expect(() => assertConsistentCatalogue([...CRITERIA, c5v2], PROFILES)).toThrow(
      /profile dvs-basis@1 requires bsi-c5-type2@1, but the current version is 2/,
    );
    const unknown: ProfileDefinition = {
      ...PROFILES[0]!,
      version: 2,
      criteria: [{ id: 'erfunden', version: 1 }],
    };
    expect(() => assertConsistentCatalogue(CRITERIA, [...PROFILES, unknown])).toThrow(
      /unknown criterion erfunden@1/,
    );
    expect(() => assertConsistentCatalogue([...CRITERIA, CRITERIA[1]!], PROFILES)).toThrow(/defined twice/);
  });

  it('is stored idempotently, each new version recorded in the audit chain', async () => {
    const first = await syncCriteriaCatalogue(database.db);
    expect(first.added).toHaveLength(CRITERIA.length + PROFILES.length);
    const second = await syncCriteriaCatalogue(database.db);
    expect(second.added).toEqual([]);
    expect(await listCriteria(database.db)).toHaveLength(9);
    expect(await listProfiles(database.db)).toHaveLength(3);
    expect(await verifyAuditChain(database.db)).toMatchObject({ ok: true, events: 12 });
  });

  it('adds a new version next to the old one, which stays for the certificates made under it', async () => {
    const c5v2: CriterionDefinition = { ...CRITERIA[0]!, version: 2, title: 'BSI C5:2025 – Testat Typ 2' };
    const profiles = PROFILES.flatMap((p) =>
      p.criteria.some((c) => c.id === 'bsi-c5-type2')
        ? [
            p,
            {
              ...p,
              version: 2,
              criteria: p.criteria.map((c) => (c.id === 'bsi-c5-type2' ? { ...c, version: 2 } : c)),
            },
          ]
        : [p],
    );
    const result = await syncCriteriaCatalogue(database.db, { criteria: [...CRITERIA, c5v2], profiles });
    expect(result.added.sort()).toEqual([
      'criterion bsi-c5-type2@2',
      'profile dvs-basis@2',
      'profile dvs-hoch@2',
    ]);
    const current = await listCriteria(database.db);
    expect(current.find((c) => c.id === 'bsi-c5-type2')).toMatchObject({
      version: 2,
      title: 'BSI C5:2025 – Testat Typ 2',
    });
    expect(await listCriteria(database.db, { allVersions: true })).toHaveLength(10);
    expect((await listProfiles(database.db)).find((p) => p.id === 'dvs-hoch')!.version).toBe(2);
  });

  it('refuses to start when a stored version was changed without a new version number', async () => {
    const changed = CRITERIA.map((c) => (c.id === 'dsgvo-avv' ? { ...c, defaultValidityDays: 365 } : c));
    await expect(
      syncCriteriaCatalogue(database.db, { criteria: changed, profiles: PROFILES }),
    ).rejects.toThrow(/criterion dsgvo-avv@1 differ.* new version number/);
  });
});
