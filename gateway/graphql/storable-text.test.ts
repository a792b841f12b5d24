import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findUnstorable } from '../../catalog-schema/storable-text.ts';
import { validateListing } from '../../catalog-schema/validate-listing.ts';
import { makeListing, registerOrganisation } from '../../test/helpers/listings.ts';
import { startTestServer, type TestServer } from '../../test/helpers/test-server.ts';
import { validateOrganisation } from '../catalog/organisation-registry.ts';

// Strings PostgreSQL cannot store (U+0000, half of a surrogate pair) are refused before anything runs,
// on the first request of a query text (through Apollo Server) and on later ones (direct execution).
let t: TestServer;

const SERVICE = `query ($id: ID!) { service(id: $id) { id } }`;
const SEARCH = `query ($filter: ServiceFilter) { services(filter: $filter, first: 5) { totalCount } }`;
const PUBLISH = `mutation ($listing: JSON!) { publishService(listing: $listing) { changed } }`;

beforeAll(async () => {
  t = await startTestServer();
  await registerOrganisation(t.db, 'zeichenwerk', 'PROVIDER', 'DE-HB');
});

afterAll(() => t?.close());

function expectRefused(response: Awaited<ReturnType<TestServer['graphql']>>, message: RegExp) {
  expect(response.status).toBe(400);
  expect(response.errors).toHaveLength(1);
  expect(response.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
  expect(response.errors![0]!.message).toMatch(message);
  expect(response.data).toBeUndefined();
}

describe('a string PostgreSQL cannot store', () => {
  it('in a query literal is BAD_USER_INPUT', async () => {
    const response = await t.graphql(`{ service(id: "zeichen\\u0000werk/dienst") { id } }`);
    expectRefused(response, /U\+0000/);
  });

  it('in a variable is BAD_USER_INPUT naming the variable and the place, also once the query is known', async () => {
    // Known after this: later requests of the same text are executed directly.
    expect((await t.graphql(SERVICE, { id: 'zeichenwerk/dienst' })).errors).toBeUndefined();
    expect((await t.graphql(SERVICE, { id: 'zeichenwerk/dienst' })).errors).toBeUndefined();
    expectRefused(
      await t.graphql(SERVICE, { id: 'zeichen\u0000werk/dienst' }),
      /\$id holds the character U\+0000/,
    );
    expectRefused(
      await t.graphql(SEARCH, { filter: { provider: ['zeichenwerk', 'zeichen\ud800werk'] } }),
      /\$filter holds half of a UTF-16 surrogate pair at \/provider\/1/,
    );
  });

  it('in a published listing is BAD_USER_INPUT and writes nothing', async () => {
    const count = async () =>
      Number(
        (
          await t.db
            .selectFrom('service')
            .select((e) => e.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    for (const title of ['Dienst\u0000mit Nullzeichen', 'Dienst \udc00 mit halbem Zeichen']) {
      const response = await t.graphql(
        PUBLISH,
        { listing: makeListing({ id: 'dienst', title }) },
        { as: 'provider@zeichenwerk' },
      );
      expectRefused(response, /\$listing holds .* at \/title/);
    }
    expect(await count()).toBe(before);
    // The same listing without them is published.
    const fine = await t.graphql(
      PUBLISH,
      { listing: makeListing({ id: 'dienst', title: 'Dienst mit Emoji 😀' }) },
      { as: 'provider@zeichenwerk' },
    );
    expect(fine.errors).toBeUndefined();
  });

  it('is looked for without recursion: a listing nested 5,000 levels deep is BAD_USER_INPUT, not a crash', async () => {
    // 10 kB of brackets in a field the schema does not know; the search for unstorable strings
    // runs on every variable before anything else and overflowed the call stack (HTTP 500).
    const nested = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const listing = JSON.stringify(makeListing({ id: 'tief' })).replace('{', `{"extra":${nested},`);
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-dev-principal': 'provider@zeichenwerk' },
      body: `{"query":${JSON.stringify(PUBLISH)},"variables":{"listing":${listing}}}`,
    });
    const body = (await response.json()) as { errors?: { extensions: Record<string, unknown> }[] };
    expect(body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      problems: [{ path: '/extra', message: 'is not a known field' }],
    });
    const deepBad = JSON.parse(`${'['.repeat(5000)}"a\\u0000"${']'.repeat(5000)}`) as unknown;
    expect(findUnstorable({ extra: deepBad }, '')).toEqual({
      path: `/extra${'/0'.repeat(5000)}`,
      what: 'the character U+0000',
    });
  });

  it('names a member by its JSON Pointer, "/" and "~" escaped (and its bad character too)', () => {
    expect(findUnstorable({ ok: 'ja', 'preis/eur~\u0000': 1 }, '')).toEqual({
      path: '/preis~1eur~0\\u0000',
      what: 'the character U+0000',
    });
    expect(findUnstorable({ 'a/b': { 'c~d': ['x', 'y\u0000'] } }, '')).toEqual({
      path: '/a~1b/c~0d/1',
      what: 'the character U+0000',
    });
  });

  it('makes a harvested or pushed listing invalid, naming the field', () => {
    const result = validateListing(makeListing({ id: 'dienst', description: 'Beschreibung\u0000' }));
    expect(result).toEqual({
      ok: false,
      problems: [{ path: '/description', message: 'holds the character U+0000, which cannot be stored' }],
    });
  });
});

describe('an organisation name', () => {
  it('is counted in characters as PostgreSQL counts them', () => {
    const organisation = { id: 'emoji', kind: 'PROVIDER' as const, land: 'DE-HB', regionalschluessel: null };
    expect(validateOrganisation({ ...organisation, name: '😀' })).toMatchObject({
      ok: false,
      problems: [{ path: '/name', message: 'must be 2 to 200 characters' }],
    });
    expect(validateOrganisation({ ...organisation, name: '😀😀' })).toMatchObject({ ok: true });
  });
});
