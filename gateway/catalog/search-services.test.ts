import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeListing, publishAll, registerOrganisation } from '../../test/helpers/listings.ts';
import { MAX_CURSOR_LENGTH } from './cursor.ts';
import { withdrawService } from './publish-listing.ts';
import { searchServices } from './search-services.ts';
import {
  changesHeard,
  startTestServer,
  type GraphQLResponse,
  type TestServer,
} from '../../test/helpers/test-server.ts';

let t: TestServer;

const SEARCH = `
  query Search($search: String, $filter: ServiceFilter, $first: Int, $after: String) {
    services(search: $search, filter: $filter, first: $first, after: $after) {
      totalCount
      searchCorrections { term usedInstead }
      pageInfo { hasNextPage hasPreviousPage endCursor }
      edges { cursor node { id title } }
    }
  }`;

const FACETS = `
  query Facets($search: String, $filter: ServiceFilter) {
    services(search: $search, filter: $filter, first: 1) {
      totalCount
      facets {
        themenfeld { value label count }
        provider { value label count }
        land { value label count }
        operatingModel { value count }
      }
    }
  }`;

async function ids(
  search: string | null,
  filter: Record<string, unknown> = {},
  first = 100,
): Promise<string[]> {
  const response = await t.graphql(SEARCH, { search, filter, first });
  expect(response.errors).toBeUndefined();
  return response.data!.services.edges.map((e: { node: { id: string } }) => e.node.id);
}

beforeAll(async () => {
  t = await startTestServer();
  await registerOrganisation(t.db, 'nordwerk', 'PROVIDER', 'DE-SH');
  await registerOrganisation(t.db, 'suedwerk', 'PROVIDER', 'DE-BY');
  await publishAll(t.db, 'nordwerk', [
    makeListing({
      id: 'wohngeld-online',
      title: 'Wohngeld online',
      summary: 'Anträge auf Wohngeld digital stellen und an die Wohngeldbehörde übermitteln.',
      ozgIds: ['10092'],
      efa: true,
      developingLand: 'DE-SH',
      availableIn: ['DE-SH', 'DE-HH', 'DE-BY'],
      schutzbedarf: 'HIGH',
    }),
    makeListing({
      id: 'buergerportal',
      title: 'Bürgerportal',
      summary: 'Ein Portal für viele Onlinedienste der Kommune.',
      description: 'Das Portal bündelt Dienste, unter anderem einen Zugang zum Wohngeld der Kommune.',
      themenfelder: ['querschnitt'],
      availableIn: ['DE-SH'],
    }),
    makeListing({
      id: 'hundesteuer',
      title: 'Hundesteuer anmelden',
      summary: 'Einen Antrag zur Anmeldung eines Hundes stellen.',
      ozgIds: ['10160'],
      operatingModel: 'CONTAINER',
      availableIn: ['DE-SH', 'DE-NI'],
    }),
  ]);
  await publishAll(t.db, 'suedwerk', [
    makeListing({
      id: 'wohngeld-fachverfahren',
      title: 'Fachverfahren Wohngeld',
      summary: 'Bearbeitung von Wohngeld in der Wohngeldstelle.',
      ozgIds: ['10092'],
      operatingModel: 'HYBRID',
      availableIn: ['DE-BY'],
      schutzbedarf: 'VERY_HIGH',
    }),
    makeListing({
      id: 'elterngeld',
      title: 'Elterngeld beantragen',
      summary: 'Elterngeld und ElterngeldPlus online beantragen.',
      ozgIds: ['10000'],
      efa: true,
      developingLand: 'DE-BY',
      availableIn: ['DE-BY', 'DE-BW'],
    }),
  ]);
});

afterAll(() => t?.close());

describe('German full-text search', () => {
  it('ranks listings with the word in the title above those that mention it in the description', async () => {
    const found = await ids('wohngeld');
    expect(found.slice(0, 2).sort()).toEqual(['nordwerk/wohngeld-online', 'suedwerk/wohngeld-fachverfahren']);
    expect(found).toEqual(expect.arrayContaining(['nordwerk/buergerportal']));
    expect(found.at(-1)).toBe('nordwerk/buergerportal');
  });

  it('stems German words: "Anträge" finds "Antrag"', async () => {
    expect(await ids('Anträge')).toEqual(
      expect.arrayContaining(['nordwerk/wohngeld-online', 'nordwerk/hundesteuer']),
    );
    expect(await ids('Antrag')).toEqual(
      expect.arrayContaining(['nordwerk/wohngeld-online', 'nordwerk/hundesteuer']),
    );
  });

  it('tolerates a typo in a short query and says which word it used instead', async () => {
    const response = await t.graphql(SEARCH, { search: 'Wohngled' });
    expect(response.data!.services.searchCorrections).toEqual([
      { term: 'wohngled', usedInstead: ['wohngeld'] },
    ]);
    const found = response.data!.services.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(found.slice(0, 2).sort()).toEqual(['nordwerk/wohngeld-online', 'suedwerk/wohngeld-fachverfahren']);
  });

  it('requires every word: a search for two words finds only listings with both', async () => {
    expect(await ids('Wohngeld Fachverfahren')).toEqual(['suedwerk/wohngeld-fachverfahren']);
  });

  it('finds nothing for a word that is nowhere and resembles nothing', async () => {
    const response = await t.graphql(SEARCH, { search: 'Raumfahrtbehörde' });
    expect(response.data!.services).toMatchObject({ totalCount: 0, edges: [], searchCorrections: [] });
  });

  it('ignores punctuation and German stop words', async () => {
    expect((await ids('der, die & das: Elterngeld!')).slice(0, 1)).toEqual(['suedwerk/elterngeld']);
  });
});

describe('filters', () => {
  it.each([
    ['themenfeld', { themenfeld: ['familie-kind'] }, ['suedwerk/elterngeld']],
    ['themenfeld from the listing itself', { themenfeld: ['querschnitt'] }, ['nordwerk/buergerportal']],
    ['lebenslage', { lebenslage: ['tierhaltung'] }, ['nordwerk/hundesteuer']],
    ['ozgId', { ozgId: ['10092'] }, ['nordwerk/wohngeld-online', 'suedwerk/wohngeld-fachverfahren']],
    ['provider', { provider: ['suedwerk'] }, ['suedwerk/elterngeld', 'suedwerk/wohngeld-fachverfahren']],
    ['land', { land: ['DE-NI'] }, ['nordwerk/hundesteuer']],
    ['efa', { efa: true }, ['nordwerk/wohngeld-online', 'suedwerk/elterngeld']],
    [
      'operatingModel',
      { operatingModel: ['CONTAINER', 'HYBRID'] },
      ['nordwerk/hundesteuer', 'suedwerk/wohngeld-fachverfahren'],
    ],
    [
      'schutzbedarf (at least)',
      { schutzbedarf: 'HIGH' },
      ['nordwerk/wohngeld-online', 'suedwerk/wohngeld-fachverfahren'],
    ],
    ['several at once', { land: ['DE-BY'], efa: false }, ['suedwerk/wohngeld-fachverfahren']],
  ])('filters by %s', async (_name, filter, expected) => {
    expect((await ids(null, filter)).sort()).toEqual(expected);
  });

  it('combines a filter with the search', async () => {
    expect(await ids('wohngeld', { provider: ['nordwerk'] })).toEqual([
      'nordwerk/wohngeld-online',
      'nordwerk/buergerportal',
    ]);
  });
});

describe('facets', () => {
  it('counts each value for the current search', async () => {
    const response = await t.graphql(FACETS, { search: 'wohngeld' });
    const { totalCount, facets } = response.data!.services;
    expect(totalCount).toBe(3);
    expect(facets.provider).toEqual([
      { value: 'nordwerk', label: 'Organisation nordwerk', count: 2 },
      { value: 'suedwerk', label: 'Organisation suedwerk', count: 1 },
    ]);
    expect(facets.themenfeld).toEqual([
      { value: 'arbeit-ruhestand', label: 'Arbeit & Ruhestand', count: 2 },
      { value: 'querschnitt', label: 'Querschnitt', count: 1 },
    ]);
    expect(facets.land).toEqual([
      { value: 'DE-BY', label: 'Bayern', count: 2 },
      { value: 'DE-SH', label: 'Schleswig-Holstein', count: 2 },
      { value: 'DE-HH', label: 'Hamburg', count: 1 },
    ]);
    expect(facets.operatingModel).toEqual([
      { value: 'SAAS', count: 2 },
      { value: 'HYBRID', count: 1 },
    ]);
  });

  it('keeps the other values of a filtered facet, and narrows the other facets', async () => {
    const response = await t.graphql(FACETS, { filter: { provider: ['suedwerk'] } });
    const { totalCount, facets } = response.data!.services;
    expect(totalCount).toBe(2);
    // The provider facet ignores its own filter: both providers still show with their counts.
    expect(facets.provider.map((f: { value: string; count: number }) => [f.value, f.count])).toEqual([
      ['nordwerk', 3],
      ['suedwerk', 2],
    ]);
    // The others count only suedwerk's listings.
    expect(facets.operatingModel).toEqual([
      { value: 'HYBRID', count: 1 },
      { value: 'SAAS', count: 1 },
    ]);
    expect(facets.land.map((f: { value: string; count: number }) => [f.value, f.count])).toEqual([
      ['DE-BY', 2],
      ['DE-BW', 1],
    ]);
  });
});

describe('bad input', () => {
  it.each([
    ['first above 100', { first: 101 }, /between 1 and 100/],
    ['first below 1', { first: 0 }, /between 1 and 100/],
    ['a malformed cursor', { after: 'not a cursor!' }, /malformed/],
    ['a cursor longer than any handed out', { after: 'A'.repeat(MAX_CURSOR_LENGTH + 1) }, /malformed/],
    [
      'a cursor that decodes to something else',
      { after: Buffer.from('{"x":1}').toString('base64url') },
      /malformed/,
    ],
    ['an unknown OZG-ID', { filter: { ozgId: ['19999'] } }, /ozgId "19999"/],
    ['an unknown Themenfeld', { filter: { themenfeld: ['raumfahrt'] } }, /themenfeld "raumfahrt"/],
    ['an unknown Land', { filter: { land: ['DE-XX'] } }, /land "DE-XX"/],
    ['a search of more than ten words', { search: 'a b c d e f g h i j k l' }, /at most 10 words/],
  ])('rejects %s with BAD_USER_INPUT', async (_name, variables, message) => {
    const response = await t.graphql(SEARCH, variables);
    expect(response.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).toMatch(message);
  });

  it.each([
    ['a title holding U+0000', { first: 1 }, { t: 'Wohngeld\u0000' }],
    ['an id holding half a surrogate pair', { search: 'wohngeld', first: 1 }, { i: 'nordwerk/a\ud800' }],
    [
      'a title cursor in a search',
      { search: 'wohngeld', first: 1 },
      { r: undefined, t: 'Wohngeld online', o: 'din5007' },
    ],
    ['a relevance cursor in browsing', { first: 1 }, { t: undefined, o: undefined, r: 0.5 }],
  ])('rejects a cursor of this very search with %s as malformed', async (_name, variables, change) => {
    const first = await t.graphql(SEARCH, variables);
    expect(first.data!.services.pageInfo.hasNextPage).toBe(true);
    const cursor = JSON.parse(Buffer.from(first.data!.services.pageInfo.endCursor, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...cursor, ...change }), 'utf8').toString('base64url');
    const response = await t.graphql(SEARCH, { ...variables, after: forged });
    expect(response.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).toMatch(/malformed/);
  });

  it('rejects a cursor from a different search', async () => {
    const first = await t.graphql(SEARCH, { search: 'wohngeld', first: 1 });
    const response = await t.graphql(SEARCH, {
      search: 'elterngeld',
      first: 1,
      after: first.data!.services.pageInfo.endCursor,
    });
    expect(response.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).toMatch(/different search/);
  });
});

describe('browsing past the longest titles', () => {
  // The longest cursors: titles of 200 characters that JSON escapes to six bytes each or UTF-8
  // writes in four, under the longest provider and local ids. The gateway once refused its own
  // cursor past such a title (its limit was 1,000 characters), so the rest could not be reached.
  const PROVIDER = `l${'x'.repeat(62)}`;
  const TITLES = ['\u0001'.repeat(200), '🐕'.repeat(200), '中'.repeat(200), '"\\'.repeat(100)];

  beforeAll(async () => {
    await registerOrganisation(t.db, PROVIDER, 'PROVIDER', 'DE-SH');
    await publishAll(
      t.db,
      PROVIDER,
      TITLES.map((title, i) => makeListing({ id: `${i}${'y'.repeat(63)}`, title })),
    );
  });

  it('accepts every cursor it hands out and reaches every listing once', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page <= TITLES.length; page++) {
      const response: GraphQLResponse<any> = await t.graphql(SEARCH, {
        filter: { provider: [PROVIDER] },
        first: 1,
        after,
      });
      expect(response.errors).toBeUndefined();
      const connection = response.data!.services;
      seen.push(...connection.edges.map((e: { node: { id: string } }) => e.node.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
      expect(after!.length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH);
    }
    expect(new Set(seen).size).toBe(TITLES.length);
    expect(seen).toHaveLength(TITLES.length);
  });
});

describe('paging through 250 listings', () => {
  beforeAll(async () => {
    await registerOrganisation(t.db, 'massenwerk', 'PROVIDER', 'DE-HE');
    // Identical texts give identical ranks, so only the id tiebreaker keeps the order total.
    await publishAll(
      t.db,
      'massenwerk',
      Array.from({ length: 250 }, (_, i) =>
        makeListing({
          id: `dienst-${String(i).padStart(3, '0')}`,
          title: i % 2 === 0 ? 'Serviceleistung Musterdienst' : `Musterdienst Nummer ${i}`,
          availableIn: ['DE-HE'],
        }),
      ),
    );
  });

  async function pageThrough(search: string | null, first: number): Promise<string[]> {
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const response: GraphQLResponse<any> = await t.graphql(SEARCH, {
        search,
        filter: { provider: ['massenwerk'] },
        first,
        after,
      });
      expect(response.errors).toBeUndefined();
      const connection = response.data!.services;
      expect(connection.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...connection.edges.map((e: { node: { id: string } }) => e.node.id));
      if (!connection.pageInfo.hasNextPage) return seen;
      after = connection.pageInfo.endCursor;
    }
    throw new Error('paging did not end');
  }

  it.each([
    ['browsing by title', null, 40],
    ['a search with tied ranks', 'Musterdienst', 33],
  ])('%s returns each listing exactly once', async (_name, search, first) => {
    const seen = await pageThrough(search, first);
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
  });

  it('reads a ranked page with its total and facets in one statement, as it reads them apart', async () => {
    // Together: one statement visits the matched rows once (queryPageAndStats). Apart: the page,
    // then the counts. Page by page, with ties in rank, facet filters and a condition on every row.
    const cases: [string, Record<string, unknown>][] = [
      ['Musterdienst', { provider: ['massenwerk'] }],
      ['Musterdienst', { provider: ['massenwerk', 'nordwerk'], land: ['DE-HE', 'DE-SH'] }],
      ['Musterdienst Nummer', { land: ['DE-HE'], efa: false }],
      ['Wohngeld', { themenfeld: ['bauen-wohnen'], operatingModel: ['SAAS'] }],
      ['Wohngeld', {}],
      ['Musterdienst', { provider: ['nordwerk'] }],
    ];
    for (const [search, filter] of cases) {
      let after: string | null = null;
      for (let pages = 0; pages < 20; pages++) {
        const args = { search, filter, first: 40, after };
        const together = await searchServices(t.db, args, {
          wantPage: true,
          wantFacets: true,
          wantTotal: true,
        });
        const apart = await searchServices(t.db, args, { wantPage: true });
        const page = await together.page();
        const pageApart = await apart.page();
        const edges = (p: typeof page) => p.edges.map((e) => [e.cursor, e.node.id, e.node.title]);
        expect(edges(page), `${search} ${JSON.stringify(filter)}`).toEqual(edges(pageApart));
        expect(page.hasNextPage).toBe(pageApart.hasNextPage);
        expect(await together.totalCount()).toBe(await apart.totalCount());
        const facetsApart = await searchServices(t.db, args, { wantFacets: true });
        expect(await together.facets()).toEqual(await facetsApart.facets());
        if (!page.hasNextPage) break;
        after = page.edges.at(-1)!.cursor;
      }
    }
  });

  it('gives the total and facets of a search whose page is empty', async () => {
    const search = await searchServices(
      t.db,
      { search: 'Musterdienst', filter: { provider: ['massenwerk'], land: ['DE-SH'] } },
      { wantPage: true, wantFacets: true, wantTotal: true },
    );
    expect((await search.page()).edges).toEqual([]);
    expect(await search.totalCount()).toBe(0);
    // The other Länder still count (disjunctive facets): all 250 are available in Hessen.
    expect((await search.facets()).land).toEqual([{ value: 'DE-HE', label: 'Hessen', count: 250 }]);
  });

  it('reports the total across all pages', async () => {
    const response = await t.graphql(SEARCH, { filter: { provider: ['massenwerk'] }, first: 5 });
    expect(response.data!.services.totalCount).toBe(250);
    expect(response.data!.services.edges).toHaveLength(5);
  });
});

describe('a typo correction that changes between two pages', () => {
  it('refuses the next page instead of continuing a different query', async () => {
    await registerOrganisation(t.db, 'angelwerk', 'PROVIDER', 'DE-MV');
    await publishAll(
      t.db,
      'angelwerk',
      Array.from({ length: 4 }, (_, i) =>
        makeListing({ id: `fischereischein-${i}`, title: `Fischereischein Verlängerung ${i}` }),
      ),
    );
    const page1 = await t.graphql(SEARCH, { search: 'Fischereishein', first: 2 });
    expect(page1.data!.services.searchCorrections).toEqual([
      { term: 'fischereishein', usedInstead: ['fischereischein'] },
    ]);
    expect(page1.data!.services.totalCount).toBe(4);

    // A listing that holds the misspelt word makes it a known word: the same text now searches
    // for that word alone, and the first page's ranks and position mean nothing there.
    await publishAll(t.db, 'angelwerk', [
      makeListing({ id: 'sonderfall', title: 'Fischereishein Sonderfall' }),
    ]);
    await changesHeard(t); // written past the gateway: its cached first page goes when it hears of it
    const page2 = await t.graphql(SEARCH, {
      search: 'Fischereishein',
      first: 2,
      after: page1.data!.services.pageInfo.endCursor,
    });
    expect(page2.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(page2.errors?.[0]?.message).toMatch(/changed since its first page/);

    const again = await t.graphql(SEARCH, { search: 'Fischereishein', first: 2 });
    expect(again.data!.services).toMatchObject({ totalCount: 1, searchCorrections: [] });
  });
});

describe('OZG-Leistungen', () => {
  const OZG = `query Ozg($search: String, $themenfeld: ID) {
    ozgLeistungen(search: $search, themenfeld: $themenfeld) { id themenfeld { id } }
  }`;

  it('lists the OZG-Leistungen of one Themenfeld', async () => {
    const response = await t.graphql(OZG, { themenfeld: 'bildung' });
    expect(response.errors).toBeUndefined();
    const themenfelder = new Set(
      response.data!.ozgLeistungen.map((o: { themenfeld: { id: string } }) => o.themenfeld.id),
    );
    expect([...themenfelder]).toEqual(['bildung']);
  });

  it('lists the services of an OZG-Leistung by title, at most `first` (1 to 100, default 5)', async () => {
    await registerOrganisation(t.db, 'zaehlwerk', 'PROVIDER', 'DE-HB');
    await publishAll(
      t.db,
      'zaehlwerk',
      Array.from({ length: 12 }, (_, i) =>
        makeListing({
          id: `meldung-${i}`,
          title: `Meldebescheinigung ${String(i).padStart(2, '0')}`,
          ozgIds: ['10337'],
        }),
      ),
    );
    const QUERY = `query ($first: Int!) { ozgLeistung(id: "10337") { services(first: $first) { title } } }`;
    const titles = async (query: string, variables: Record<string, unknown> = {}) =>
      ((await t.graphql(query, variables)).data!.ozgLeistung.services as { title: string }[]).map(
        (s) => s.title,
      );
    expect(await titles('{ ozgLeistung(id: "10337") { services { title } } }')).toEqual(
      Array.from({ length: 5 }, (_, i) => `Meldebescheinigung ${String(i).padStart(2, '0')}`),
    );
    expect(await titles(QUERY, { first: 2 })).toEqual(['Meldebescheinigung 00', 'Meldebescheinigung 01']);
    expect(await titles(QUERY, { first: 100 })).toHaveLength(12);
    for (const first of [0, 101]) {
      const response = await t.graphql(QUERY, { first });
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    }
  });

  it.each([
    ['an unknown Themenfeld', 'raumfahrt'],
    ['an empty Themenfeld id', ''],
  ])('rejects %s with BAD_USER_INPUT rather than listing every OZG-Leistung', async (_name, themenfeld) => {
    const response = await t.graphql(OZG, { themenfeld });
    expect(response.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'themenfeld',
    });
    expect(response.data).toBeNull();
  });
});

describe('typo tolerance after a withdrawal', () => {
  it('widens a typo only to words of active listings, not to those only withdrawn listings hold', async () => {
    await registerOrganisation(t.db, 'hafenwerk', 'PROVIDER', 'DE-HB');
    await publishAll(t.db, 'hafenwerk', [
      makeListing({ id: 'lotsenpflicht', title: 'Hafenlotsenpflicht Altfall' }),
      makeListing({ id: 'lotsenpflege', title: 'Hafenlotsenpflege heute' }),
    ]);
    const corrections = async () => {
      const response = await t.graphql(SEARCH, { search: 'Hafenlotsenpflcht' });
      expect(response.errors).toBeUndefined();
      return response.data!.services.searchCorrections as { term: string; usedInstead: string[] }[];
    };
    const before = await corrections();
    expect(before).toHaveLength(1);
    expect([...before[0]!.usedInstead].sort()).toEqual(['hafenlotsenpflege', 'hafenlotsenpflicht']);
    await withdrawService(t.db, { serviceId: 'hafenwerk/lotsenpflicht', reason: null, source: 'PUSH' });
    await changesHeard(t); // withdrawn past the gateway: the cached answer goes when it hears of it
    // "hafenlotsenpflicht" stays in the vocabulary, but no active listing holds it any more.
    expect(await corrections()).toEqual([{ term: 'hafenlotsenpflcht', usedInstead: ['hafenlotsenpflege'] }]);
    // A search that includes withdrawn listings still corrects to their words, and finds them.
    const withWithdrawn = await t.graphql(SEARCH, {
      search: 'Hafenlotsenpflcht',
      filter: { includeWithdrawn: true },
    });
    expect(withWithdrawn.errors).toBeUndefined();
    expect([...withWithdrawn.data!.services.searchCorrections[0].usedInstead].sort()).toEqual([
      'hafenlotsenpflege',
      'hafenlotsenpflicht',
    ]);
    expect(withWithdrawn.data!.services.edges.map((e: { node: { id: string } }) => e.node.id).sort()).toEqual(
      ['hafenwerk/lotsenpflege', 'hafenwerk/lotsenpflicht'],
    );
    await withdrawService(t.db, { serviceId: 'hafenwerk/lotsenpflege', reason: null, source: 'PUSH' });
  });
});
