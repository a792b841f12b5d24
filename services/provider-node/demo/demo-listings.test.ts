import { describe, expect, it } from 'vitest';
import { validateListing } from '../../../catalog-schema/validate-listing.ts';
import { ListingFolder } from '../listing-folder.ts';
import { DEMO_PROVIDER_NODES } from './start-demo-provider-nodes.ts';

describe('the demo provider nodes', () => {
  it.each(DEMO_PROVIDER_NODES.map((n) => [n.providerId, n.dir]))(
    '%s serves only readable, valid listings',
    (_providerId, dir) => {
      const { listings, unreadable } = new ListingFolder(dir).read();
      expect(unreadable).toEqual([]);
      expect(listings.length).toBe(3);
      for (const listing of listings) expect(validateListing(listing.document)).toMatchObject({ ok: true });
    },
  );
});
