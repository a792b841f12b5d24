import type { Kysely } from 'kysely';
import type { Database } from '../gateway/database/database.ts';
import { appendAuditEvent, SYSTEM_ACTOR } from './audit-chain.ts';
import {
  assertConsistentCatalogue,
  CRITERIA,
  definitionHash,
  PROFILES,
  type CriterionDefinition,
  type ProfileDefinition,
} from './criteria-catalogue.ts';

/**
 * Stores every criterion and profile version of criteria-catalogue.ts that the database lacks, and
 * records each new version in the audit chain. Idempotent: a second run writes nothing. Refuses to
 * start when a stored version's definition differs from the code's (it must get a new version number,
 * because certificates name the versions they were made under).
 */
export async function syncCriteriaCatalogue(
  db: Kysely<Database>,
  catalogue: { criteria: readonly CriterionDefinition[]; profiles: readonly ProfileDefinition[] } = {
    criteria: CRITERIA,
    profiles: PROFILES,
  },
): Promise<{ added: string[] }> {
  assertConsistentCatalogue(catalogue.criteria, catalogue.profiles);
  return db.transaction().execute(async (trx) => {
    const criteria = await trx
      .insertInto('certification_criterion')
      .values(
        catalogue.criteria.map((c) => ({
          id: c.id,
          version: c.version,
          title: c.title,
          description: c.description,
          evidence: c.evidence,
          default_validity_days: c.defaultValidityDays,
          definition_hash: definitionHash(c),
        })),
      )
      .onConflict((oc) => oc.columns(['id', 'version']).doNothing())
      .returning(['id', 'version', 'definition_hash'])
      .execute();
    const profiles = await trx
      .insertInto('certification_profile')
      .values(
        catalogue.profiles.map((p) => ({
          id: p.id,
          version: p.version,
          title: p.title,
          description: p.description,
          criteria: JSON.stringify(p.criteria),
          listing_requirements: JSON.stringify(p.listingRequirements),
          definition_hash: definitionHash(p),
        })),
      )
      .onConflict((oc) => oc.columns(['id', 'version']).doNothing())
      .returning(['id', 'version', 'definition_hash'])
      .execute();

    const storedCriteria = await trx
      .selectFrom('certification_criterion')
      .select(['id', 'version', 'definition_hash'])
      .execute();
    const storedProfiles = await trx
      .selectFrom('certification_profile')
      .select(['id', 'version', 'definition_hash'])
      .execute();
    const changed: string[] = [];
    const compare = (
      kind: string,
      stored: { id: string; version: number; definition_hash: string }[],
      defined: readonly (CriterionDefinition | ProfileDefinition)[],
    ) => {
      const byKey = new Map(stored.map((s) => [`${s.id}@${s.version}`, s.definition_hash]));
      for (const d of defined) {
        if (byKey.get(`${d.id}@${d.version}`) !== definitionHash(d))
          changed.push(`${kind} ${d.id}@${d.version}`);
      }
    };
    compare('criterion', storedCriteria, catalogue.criteria);
    compare('profile', storedProfiles, catalogue.profiles);
    if (changed.length > 0) {
      throw new Error(
        `criteria catalogue: ${changed.join(', ')} differ from the stored definitions. A stored version never changes; give the changed definition a new version number in certification/criteria-catalogue.ts.`,
      );
    }

    const added: string[] = [];
    for (const c of criteria) {
      added.push(`criterion ${c.id}@${c.version}`);
      await appendAuditEvent(trx, {
        actor: SYSTEM_ACTOR,
        action: 'criterion.registered',
        subject: `criterion:${c.id}@${c.version}`,
        payload: { id: c.id, version: c.version, definitionHash: c.definition_hash },
      });
    }
    for (const p of profiles) {
      added.push(`profile ${p.id}@${p.version}`);
      await appendAuditEvent(trx, {
        actor: SYSTEM_ACTOR,
        action: 'profile.registered',
        subject: `profile:${p.id}@${p.version}`,
        payload: { id: p.id, version: p.version, definitionHash: p.definition_hash },
      });
    }
    return { added };
  });
}
