import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeListing, publishAll, registerOrganisation } from '../../test/helpers/listings.ts';
import { startTestServer, type GraphQLResponse, type TestServer } from '../../test/helpers/test-server.ts';
import { titleSortKey } from './title-sort-key.ts';

// Without a search the catalogue is ordered by title as a German dictionary orders it (DIN 5007-1):
// Ä with A, Ö with O, Ü with U, ß as ss, upper and lower case together. Both databases compare text in
// byte order (collation "C"), which put umlauts and lower-case initials after Z.

let t: TestServer;

const BROWSE = `
  query Browse($filter: ServiceFilter, $first: Int, $after: String) {
    services(filter: $filter, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { id title } }
    }
  }`;

const TITLES = [
  'Zweitwohnungsteuer',
  'Ärztliche Bescheinigung',
  'Bauantrag digital',
  'eAkte Kommunal',
  'Öffentliche Ausschreibung',
  'Anwohnerparkausweis',
  'Übergangsgeld',
  'Ummeldung',
];

const GERMAN_ORDER = [
  'Anwohnerparkausweis',
  'Ärztliche Bescheinigung',
  'Bauantrag digital',
  'eAkte Kommunal',
  'Öffentliche Ausschreibung',
  'Übergangsgeld',
  'Ummeldung',
  'Zweitwohnungsteuer',
];

// Titles with one sort key ("strassenreinigung"), two of them identical: the exact title and then the
// id decide among them.
const TIED = [
  'Straßenreinigung',
  'STRASSENREINIGUNG',
  'Strassenreinigung',
  'Straßenreinigung',
  'strassenreinigung',
];

interface Edge {
  node: { id: string; title: string };
}

async function browse(provider: string, first: number): Promise<Edge['node'][]> {
  const nodes: Edge['node'][] = [];
  let after: string | null = null;
  for (let page = 0; page < 20; page++) {
    const response: GraphQLResponse<any> = await t.graphql(BROWSE, {
      filter: { provider: [provider] },
      first,
      after,
    });
    expect(response.errors).toBeUndefined();
    nodes.push(...response.data!.services.edges.map((e: Edge) => e.node));
    if (!response.data!.services.pageInfo.hasNextPage) return nodes;
    after = response.data!.services.pageInfo.endCursor;
  }
  throw new Error('paging did not end');
}

beforeAll(async () => {
  t = await startTestServer();
  await registerOrganisation(t.db, 'nordwerk', 'PROVIDER', 'DE-SH');
  await publishAll(
    t.db,
    'nordwerk',
    TITLES.map((title, i) => makeListing({ id: `dienst-${i}`, title, ozgIds: ['10092'] })),
  );
  await registerOrganisation(t.db, 'gleichwerk', 'PROVIDER', 'DE-HH');
  // Published in reverse id order, so that the order of writing is not the order of ids.
  await publishAll(
    t.db,
    'gleichwerk',
    TIED.map((title, i) => makeListing({ id: `dienst-${i}`, title })).reverse(),
  );
});
afterAll(() => t?.close());

describe('browsing by title', () => {
  it('lists titles in German alphabetical order, umlauts and lower case included', async () => {
    const response = await t.graphql(BROWSE, { filter: { provider: ['nordwerk'] }, first: 100 });
    expect(response.errors).toBeUndefined();
    expect(response.data!.services.edges.map((e: Edge) => e.node.title)).toEqual(GERMAN_ORDER);
  });

  it.each([1, 2, 3])('keeps the German order across pages of %i', async (first) => {
    expect((await browse('nordwerk', first)).map((n) => n.title)).toEqual(GERMAN_ORDER);
  });

  it('orders titles with the same key by the exact title, then by id, on every page size', async () => {
    const all = await browse('gleichwerk', 100);
    expect(all).toHaveLength(TIED.length);
    expect(new Set(all.map((n) => titleSortKey(n.title)))).toEqual(new Set(['strassenreinigung']));
    // Identical titles are neighbours, in id order.
    const identical = all.filter((n) => n.title === 'Straßenreinigung').map((n) => n.id);
    expect(identical).toEqual(['gleichwerk/dienst-0', 'gleichwerk/dienst-3']);
    expect(all.findIndex((n) => n.id === 'gleichwerk/dienst-3')).toBe(
      all.findIndex((n) => n.id === 'gleichwerk/dienst-0') + 1,
    );
    for (const first of [1, 2]) expect(await browse('gleichwerk', first)).toEqual(all);
  });

  it('lists the services of an OZG-Leistung in German alphabetical order', async () => {
    const response = await t.graphql(`{ ozgLeistung(id: "10092") { services(first: 100) { title } } }`);
    expect(response.errors).toBeUndefined();
    expect(response.data!.ozgLeistung.services.map((s: { title: string }) => s.title)).toEqual(GERMAN_ORDER);
  });
});

describe('cursors of the byte order', () => {
  it('refuses a title cursor without the order it continues as malformed', async () => {
    // The shape handed out before the German order: fingerprint, title and id.
    const first = await t.graphql(BROWSE, { filter: { provider: ['nordwerk'] }, first: 2 });
    const cursor = JSON.parse(Buffer.from(first.data!.services.pageInfo.endCursor, 'base64url').toString());
    expect(cursor.o).toBe('din5007');
    for (const change of [{ o: undefined }, { o: 'bytes' }]) {
      const old = Buffer.from(JSON.stringify({ ...cursor, ...change }), 'utf8').toString('base64url');
      const response = await t.graphql(BROWSE, { filter: { provider: ['nordwerk'] }, first: 2, after: old });
      expect(response.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
      expect(response.errors?.[0]?.message).toMatch(/malformed/);
    }
  });
});
