import type { Listing } from '../../catalog-schema/generated/listing.ts';
import { referenceData } from '../../catalog-schema/reference-data.ts';
import { titleSortKey } from './title-sort-key.ts';

const SCHUTZBEDARF_LEVEL = { NORMAL: 1, HIGH: 2, VERY_HIGH: 3 } as const;

/** The searchable, filterable columns the gateway derives from a (valid) listing document. */
export function listingColumns(listing: Listing) {
  const ref = referenceData();
  const ozgIds = listing.ozgIds ?? [];
  const themenfelder = new Set(listing.themenfelder ?? []);
  const lebenslagen = new Set(listing.lebenslagen ?? []);
  for (const id of ozgIds) {
    const leistung = ref.ozgLeistungen.get(id);
    if (leistung) {
      themenfelder.add(leistung.themenfeld.id);
      lebenslagen.add(leistung.lebenslage.id);
    }
  }
  return {
    version: listing.version,
    // The searched texts are composed (NFC), as search terms are (search-terms.ts): an umlaut
    // delivered decomposed is found by the word typed on a keyboard. The document keeps what was sent.
    title: listing.title.normalize('NFC'),
    summary: listing.summary.normalize('NFC'),
    description: listing.description.normalize('NFC'),
    keywords_text: (listing.keywords ?? []).join(' ').normalize('NFC'),
    themenfelder: [...themenfelder].sort(),
    lebenslagen: [...lebenslagen].sort(),
    ozg_ids: ozgIds,
    leika_keys: listing.leikaKeys ?? [],
    available_in: listing.availableIn,
    efa: listing.efa,
    developing_land: listing.developingLand ?? null,
    operating_model: listing.operatingModel,
    hosting_location: listing.hostingLocation,
    schutzbedarf: listing.schutzbedarf,
    schutzbedarf_level: SCHUTZBEDARF_LEVEL[listing.schutzbedarf],
    title_sort: titleSortKey(listing.title),
  };
}
