import { sql, type Kysely } from 'kysely';
import type { Database } from '../gateway/database/database.ts';
import { readRows } from '../gateway/database/statement-counter.ts';
import type { CriterionRow, ProfileRow } from './schema.ts';

/** The stored criteria (newest version of each, or every version), by id then newest version first. */
export async function listCriteria(
  db: Kysely<Database>,
  options: { allVersions?: boolean } = {},
): Promise<CriterionRow[]> {
  const rows = await db
    .selectFrom('certification_criterion')
    .selectAll()
    .orderBy('id')
    .orderBy('version', 'desc')
    .execute();
  return options.allVersions ? rows : rows.filter((r, i) => i === 0 || rows[i - 1]!.id !== r.id);
}

/** The stored profiles (newest version of each, or every version), by id then newest version first. */
export async function listProfiles(
  db: Kysely<Database>,
  options: { allVersions?: boolean } = {},
): Promise<ProfileRow[]> {
  const rows = await db
    .selectFrom('certification_profile')
    .selectAll()
    .orderBy('id')
    .orderBy('version', 'desc')
    .execute();
  return options.allVersions ? rows : rows.filter((r, i) => i === 0 || rows[i - 1]!.id !== r.id);
}

/** The newest version of a criterion, or undefined when there is no such criterion. */
export async function currentCriterion(db: Kysely<Database>, id: string): Promise<CriterionRow | undefined> {
  return db
    .selectFrom('certification_criterion')
    .selectAll()
    .where('id', '=', id)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** The newest version of a profile, or undefined when there is no such profile. */
export async function currentProfile(db: Kysely<Database>, id: string): Promise<ProfileRow | undefined> {
  return db
    .selectFrom('certification_profile')
    .selectAll()
    .where('id', '=', id)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** The ids of all profiles, for error messages. */
export async function profileIds(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{
    id: string;
  }>`select distinct id from certification_profile order by id`.execute(db);
  return rows.map((r) => r.id);
}

/** The ids of all criteria, for error messages. */
export async function criterionIds(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{
    id: string;
  }>`select distinct id from certification_criterion order by id`.execute(db);
  return rows.map((r) => r.id);
}

/** The stored criteria catalogue, every version, with lookups; what one GraphQL request reads. */
export interface CriteriaCatalogue {
  criteria: CriterionRow[];
  profiles: ProfileRow[];
  criterion(id: string, version: number): CriterionRow | undefined;
  profile(id: string, version: number): ProfileRow | undefined;
}

const CRITERIA_CATALOGUE = `select
  (select coalesce(jsonb_agg(to_jsonb(c) order by c.id, c.version desc), '[]'::jsonb)
    from certification_criterion c) as criteria,
  (select coalesce(jsonb_agg(to_jsonb(p) order by p.id, p.version desc), '[]'::jsonb)
    from certification_profile p) as profiles`;

/** Reads every criterion and profile version in one statement. */
export async function loadCriteriaCatalogue(db: Kysely<Database>): Promise<CriteriaCatalogue> {
  const row = (
    await readRows<{ criteria: CriterionRow[]; profiles: ProfileRow[] }>(db, CRITERIA_CATALOGUE, [])
  )[0]!;
  const criteria = row.criteria.map((c) => ({ ...c, created_at: new Date(c.created_at) }));
  const profiles = row.profiles.map((p) => ({ ...p, created_at: new Date(p.created_at) }));
  const criterionByKey = new Map(criteria.map((c) => [`${c.id}@${c.version}`, c]));
  const profileByKey = new Map(profiles.map((p) => [`${p.id}@${p.version}`, p]));
  return {
    criteria,
    profiles,
    criterion: (id, version) => criterionByKey.get(`${id}@${version}`),
    profile: (id, version) => profileByKey.get(`${id}@${version}`),
  };
}
