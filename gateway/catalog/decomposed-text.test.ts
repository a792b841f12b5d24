import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { up as composeStoredText } from '../database/migrations/2026-11-27T1400-listing-text-nfc.ts';
import { makeListing, publishAll, registerOrganisation } from '../../test/helpers/listings.ts';
import { changesHeard, startTestServer, type TestServer } from '../../test/helpers/test-server.ts';

// German text arrives composed (NFC: "ü" is U+00FC, as a keyboard types it) or decomposed (NFD: "u"
// and U+0308 COMBINING DIAERESIS, as macOS, text copied out of PDFs and some provider systems deliver
// it). To a person both are the same word, in a search and in a listing.

let t: TestServer;

const SEARCH = `
  query Search($search: String) {
    services(search: $search, first: 10) {
      searchCorrections { term usedInstead }
      edges { node { id title } }
    }
  }`;

const nfd = (text: string) => text.normalize('NFD');

async function search(text: string) {
  const response = await t.graphql(SEARCH, { search: text });
  expect(response.errors).toBeUndefined();
  const services = response.data!.services;
  return {
    ids: services.edges.map((e: { node: { id: string } }) => e.node.id) as string[],
    corrections: services.searchCorrections as { term: string; usedInstead: string[] }[],
  };
}

beforeAll(async () => {
  t = await startTestServer();
  await registerOrganisation(t.db, 'nordwerk', 'PROVIDER', 'DE-SH');
  await publishAll(t.db, 'nordwerk', [
    makeListing({
      id: 'fuehrerschein',
      title: 'Führerschein beantragen',
      summary: 'Den Führerschein online bei der Fahrerlaubnisbehörde beantragen.',
    }),
    makeListing({
      id: 'gewaesserschutz',
      title: nfd('Gewässerschutz melden'),
      summary: nfd('Verunreinigungen von Gewässern an die Wasserbehörde melden.'),
    }),
  ]);
});
afterAll(() => t?.close());

describe('decomposed umlauts (NFD)', () => {
  it('in the search text find what the composed word finds, and correct no typo', async () => {
    const composed = await search('Führerschein');
    expect(composed).toEqual({ ids: ['nordwerk/fuehrerschein'], corrections: [] });
    // Split at the combining mark, this was "fu" and "hrerschein" (found nothing, "corrected" a typo).
    expect(await search(nfd('Führerschein'))).toEqual(composed);
  });

  it('in a published listing are found by the composed word, and the listing keeps its text as sent', async () => {
    expect((await search('Gewässerschutz')).ids).toEqual(['nordwerk/gewaesserschutz']);
    expect((await search(nfd('Gewässerschutz'))).ids).toEqual(['nordwerk/gewaesserschutz']);
    const { document } = await t.db
      .selectFrom('service')
      .select('document')
      .where('id', '=', 'nordwerk/gewaesserschutz')
      .executeTakeFirstOrThrow();
    expect((document as { title: string }).title).toBe(nfd('Gewässerschutz melden'));
  });

  it('in the vocabulary become composed words, so a typo finds them', async () => {
    const terms = await t.db.selectFrom('search_term').select('term').execute();
    expect(terms.map((r) => r.term)).toContain('gewässerschutz');
    expect((await search('Gewäserschutz')).ids).toEqual(['nordwerk/gewaesserschutz']);
  });

  it('in listings stored before are composed by the migration, and their words join the vocabulary', async () => {
    await publishAll(t.db, 'nordwerk', [makeListing({ id: 'altbestand', title: 'Wasserzähler ablesen' })]);
    // As such a listing was stored before: searched columns decomposed, its words cut apart.
    await sql`update service set title = ${nfd('Wasserzähler ablesen')}, summary = ${nfd('Zählerstand für Grundstücke')}
      where id = 'nordwerk/altbestand'`.execute(t.db);
    await sql`delete from search_term where term in ('wasserzähler', 'zählerstand', 'grundstücke')`.execute(
      t.db,
    );
    await changesHeard(t);
    expect((await search('Zählerstand')).ids).toEqual([]);

    await composeStoredText(t.db as unknown as Kysely<unknown>);
    await changesHeard(t);
    const row = await t.db
      .selectFrom('service')
      .select(['title', 'summary'])
      .where('id', '=', 'nordwerk/altbestand')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ title: 'Wasserzähler ablesen', summary: 'Zählerstand für Grundstücke' });
    expect((await search('Zählerstand')).ids).toEqual(['nordwerk/altbestand']);
    const terms = (await t.db.selectFrom('search_term').select('term').execute()).map((r) => r.term);
    expect(terms).toEqual(expect.arrayContaining(['wasserzähler', 'zählerstand', 'grundstücke']));
  });
});
