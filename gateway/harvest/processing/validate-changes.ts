import { storableText } from '../../../catalog-schema/storable-text.ts';
import { validateListing } from '../../../catalog-schema/validate-listing.ts';
import type { HarvestRejection, ListingChanges, ValidatedChanges } from '../types.ts';

/** Most rejections one run report keeps in full; the count stays exact. */
export const MAX_REPORTED_REJECTIONS = 500;

/**
 * Validates every harvested document with the same schema and reference data as push
 * (catalog-schema/validate-listing.ts). A bad listing is refused with its problems and never stops the
 * good ones.
 */
export function validateChanges(changes: ListingChanges): ValidatedChanges {
  const accepted: ValidatedChanges['accepted'] = [];
  const rejections: HarvestRejection[] = [];
  const servedIds = new Set<string>();
  for (const entry of changes.entries) {
    servedIds.add(entry.id);
    // The endpoint chose the id: shown escaped where PostgreSQL could not store it.
    const shownId = storableText(entry.id);
    const validation = validateListing(entry.document);
    if (!validation.ok) {
      rejections.push({
        localId: shownId,
        code: 'INVALID',
        message: `listing ${shownId} is invalid: ${validation.problems
          .slice(0, 5)
          .map((p) => `${p.path} ${p.message}`)
          .join('; ')}${validation.problems.length > 5 ? '; …' : ''}`,
        problems: validation.problems,
      });
      continue;
    }
    if (validation.listing.id !== entry.id) {
      rejections.push({
        localId: shownId,
        code: 'INVALID',
        message: `the endpoint serves listing ${validation.listing.id} under the id ${shownId}`,
        problems: [{ path: '/id', message: `must be ${shownId}, the id the endpoint serves it under` }],
      });
      continue;
    }
    accepted.push(validation.listing);
  }
  return {
    type: changes.type,
    asOf: changes.asOf,
    fetched: changes.entries.length,
    accepted,
    servedIds,
    rejections,
  };
}
