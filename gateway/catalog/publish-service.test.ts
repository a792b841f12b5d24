import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeListing, registerOrganisation } from '../../test/helpers/listings.ts';
import { startTestServer, type TestServer } from '../../test/helpers/test-server.ts';

let t: TestServer;

const PUBLISH = `
  mutation Publish($listing: JSON!) {
    publishService(listing: $listing) {
      changed
      service { id localId revision version status title contentHash provider { id } provenance { source } }
    }
  }`;
const WITHDRAW = `
  mutation Withdraw($id: ID!, $reason: String) {
    withdrawService(id: $id, reason: $reason) { id status withdrawnReason withdrawnAt }
  }`;
const SERVICE = `query Service($id: ID!) { service(id: $id) { id status revision title } }`;
const SEARCH = `query Search($search: String) { services(search: $search) { edges { node { id } } } }`;

/** Rows in the tables a publish writes: bad input must leave every count as it was. */
async function tableCounts() {
  const { rows } = await sql<{ services: number; revisions: number; terms: number }>`
    select (select count(*)::int from service) as services,
           (select count(*)::int from service_revision) as revisions,
           (select count(*)::int from search_term) as terms`.execute(t.db);
  return rows[0];
}

beforeAll(async () => {
  t = await startTestServer();
  await registerOrganisation(t.db, 'nordwerk', 'PROVIDER');
  await registerOrganisation(t.db, 'suedwerk', 'PROVIDER');
  await registerOrganisation(t.db, 'stadt-kiel', 'AUTHORITY');
});

afterAll(() => t?.close());

describe('publishService', () => {
  it("creates a service with revision 1 for the caller's organisation", async () => {
    const response = await t.graphql(
      PUBLISH,
      { listing: makeListing({ id: 'meldewesen', title: 'Meldewesen online' }) },
      { as: 'provider@nordwerk' },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.publishService).toMatchObject({
      changed: true,
      service: {
        id: 'nordwerk/meldewesen',
        localId: 'meldewesen',
        revision: 1,
        status: 'ACTIVE',
        provider: { id: 'nordwerk' },
        provenance: { source: 'PUSH' },
      },
    });
    expect(response.data!.publishService.service.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes nothing when the same content is published again', async () => {
    const listing = makeListing({ id: 'gleich' });
    await t.graphql(PUBLISH, { listing }, { as: 'provider@nordwerk' });
    const before = await tableCounts();
    const updatedAt = await t.db
      .selectFrom('service')
      .select('updated_at')
      .where('id', '=', 'nordwerk/gleich')
      .executeTakeFirstOrThrow();
    // Member order does not matter: the content hash is over canonical JSON.
    const reordered = Object.fromEntries(Object.entries(listing).reverse());
    const response = await t.graphql(PUBLISH, { listing: reordered }, { as: 'provider@nordwerk' });
    expect(response.data!.publishService).toMatchObject({ changed: false, service: { revision: 1 } });
    expect(await tableCounts()).toEqual(before);
    const after = await t.db
      .selectFrom('service')
      .select('updated_at')
      .where('id', '=', 'nordwerk/gleich')
      .executeTakeFirstOrThrow();
    expect(after.updated_at).toEqual(updatedAt.updated_at);
  });

  it('records a new revision when the content changes', async () => {
    await t.graphql(
      PUBLISH,
      { listing: makeListing({ id: 'versioniert', title: 'Erste Fassung' }) },
      { as: 'provider@nordwerk' },
    );
    const response = await t.graphql(
      PUBLISH,
      { listing: makeListing({ id: 'versioniert', title: 'Zweite Fassung', version: '1.1.0' }) },
      { as: 'provider@nordwerk' },
    );
    expect(response.data!.publishService).toMatchObject({
      changed: true,
      service: { revision: 2, version: '1.1.0', title: 'Zweite Fassung' },
    });
    const revisions = await t.db
      .selectFrom('service_revision')
      .select(['revision', 'version'])
      .where('service_id', '=', 'nordwerk/versioniert')
      .orderBy('revision')
      .execute();
    expect(revisions).toEqual([
      { revision: 1, version: '1.0.0' },
      { revision: 2, version: '1.1.0' },
    ]);
    expect(await ids('Zweite Fassung')).toEqual(['nordwerk/versioniert']);
    expect(await ids('Erste Fassung')).toEqual([]);
  });

  it("keeps two providers' listings with the same local id apart", async () => {
    await t.graphql(
      PUBLISH,
      { listing: makeListing({ id: 'doppelt', title: 'Nord' }) },
      { as: 'provider@nordwerk' },
    );
    await t.graphql(
      PUBLISH,
      { listing: makeListing({ id: 'doppelt', title: 'Süd' }) },
      { as: 'provider@suedwerk' },
    );
    const nord = await t.graphql(SERVICE, { id: 'nordwerk/doppelt' });
    const sued = await t.graphql(SERVICE, { id: 'suedwerk/doppelt' });
    expect([nord.data!.service.title, sued.data!.service.title]).toEqual(['Nord', 'Süd']);
  });
});

describe('withdrawService', () => {
  it('takes the service out of search, keeps it readable by id, and publishing again brings it back', async () => {
    await t.graphql(
      PUBLISH,
      { listing: makeListing({ id: 'rueckzug', title: 'Rückzugsdienst' }) },
      { as: 'provider@nordwerk' },
    );
    expect(await ids('Rückzugsdienst')).toEqual(['nordwerk/rueckzug']);

    const response = await t.graphql(
      WITHDRAW,
      { id: 'nordwerk/rueckzug', reason: 'Abgekündigt' },
      { as: 'provider@nordwerk' },
    );
    expect(response.data!.withdrawService).toMatchObject({
      status: 'WITHDRAWN',
      withdrawnReason: 'Abgekündigt',
    });
    expect(await ids('Rückzugsdienst')).toEqual([]);
    expect((await t.graphql(SERVICE, { id: 'nordwerk/rueckzug' })).data!.service).toMatchObject({
      status: 'WITHDRAWN',
    });

    // Withdrawing again changes nothing.
    const again = await t.graphql(WITHDRAW, { id: 'nordwerk/rueckzug' }, { as: 'provider@nordwerk' });
    expect(again.data!.withdrawService).toMatchObject({
      status: 'WITHDRAWN',
      withdrawnReason: 'Abgekündigt',
    });

    const republished = await t.graphql(
      PUBLISH,
      { listing: makeListing({ id: 'rueckzug', title: 'Rückzugsdienst' }) },
      { as: 'provider@nordwerk' },
    );
    expect(republished.data!.publishService).toMatchObject({
      changed: true,
      service: { status: 'ACTIVE', revision: 1 },
    });
    expect(await ids('Rückzugsdienst')).toEqual(['nordwerk/rueckzug']);
  });

  it('is NOT_FOUND for a service that does not exist', async () => {
    const response = await t.graphql(WITHDRAW, { id: 'nordwerk/gibt-es-nicht' }, { as: 'provider@nordwerk' });
    expect(response.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
  });
});

describe('who may publish', () => {
  it('needs a signed-in caller (UNAUTHENTICATED)', async () => {
    const response = await t.graphql(PUBLISH, { listing: makeListing({ id: 'anonym' }) });
    expect(response.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('needs the provider role (FORBIDDEN)', async () => {
    const response = await t.graphql(
      PUBLISH,
      { listing: makeListing({ id: 'behoerde' }) },
      { as: 'authority@stadt-kiel' },
    );
    expect(response.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    expect(response.errors?.[0]?.message).toMatch(/needs the role provider/);
  });

  it('needs a registered organisation (FORBIDDEN, naming it)', async () => {
    const response = await t.graphql(
      PUBLISH,
      { listing: makeListing({ id: 'fremd' }) },
      { as: 'provider@unbekannt' },
    );
    expect(response.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    expect(response.errors?.[0]?.message).toMatch(/"unbekannt" is not registered/);
  });

  it('needs an organisation of the right kind (FORBIDDEN, naming the kind)', async () => {
    const response = await t.graphql(
      PUBLISH,
      { listing: makeListing({ id: 'falsch' }) },
      { as: 'provider@stadt-kiel' },
    );
    expect(response.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    expect(response.errors?.[0]?.message).toMatch(/registered as AUTHORITY/);
  });

  it('refuses a reason of more than 2000 characters (BAD_USER_INPUT) and withdraws nothing', async () => {
    await t.graphql(PUBLISH, { listing: makeListing({ id: 'begruendet' }) }, { as: 'provider@nordwerk' });
    const long = await t.graphql(
      WITHDRAW,
      { id: 'nordwerk/begruendet', reason: 'x'.repeat(2001) },
      { as: 'provider@nordwerk' },
    );
    expect(long.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'reason' });
    expect((await t.graphql(SERVICE, { id: 'nordwerk/begruendet' })).data!.service.status).toBe('ACTIVE');
    // Counted in characters: 2000 outside the Basic Multilingual Plane are 4000 UTF-16 units.
    const emoji = await t.graphql(
      WITHDRAW,
      { id: 'nordwerk/begruendet', reason: '😀'.repeat(2000) },
      { as: 'provider@nordwerk' },
    );
    expect(emoji.data!.withdrawService.status).toBe('WITHDRAWN');
  });

  it("lets no provider withdraw another provider's service", async () => {
    await t.graphql(PUBLISH, { listing: makeListing({ id: 'eigen' }) }, { as: 'provider@nordwerk' });
    const response = await t.graphql(WITHDRAW, { id: 'nordwerk/eigen' }, { as: 'provider@suedwerk' });
    expect(response.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    expect((await t.graphql(SERVICE, { id: 'nordwerk/eigen' })).data!.service.status).toBe('ACTIVE');
  });

  it('rejects a malformed development header (UNAUTHENTICATED)', async () => {
    const response = await t.graphql(
      PUBLISH,
      { listing: makeListing({ id: 'kaputt' }) },
      { as: 'superuser' },
    );
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('bad listings change nothing', () => {
  it.each([
    ['a missing title', (l: Record<string, unknown>) => ({ ...l, title: undefined }), '/title'],
    ['an unknown OZG-ID', (l: Record<string, unknown>) => ({ ...l, ozgIds: ['19999'] }), '/ozgIds/0'],
    [
      'a wrong enum value',
      (l: Record<string, unknown>) => ({ ...l, operatingModel: 'MAINFRAME' }),
      '/operatingModel',
    ],
    ['a malformed id', (l: Record<string, unknown>) => ({ ...l, id: 'Mit Leerzeichen' }), '/id'],
    ['a non-object', () => 'kein Objekt', '/'],
  ])('rejects %s with BAD_USER_INPUT and the field path', async (_name, change, path) => {
    const before = await tableCounts();
    const listing = change(makeListing({ id: 'ungueltig' }) as unknown as Record<string, unknown>);
    const response = await t.graphql(PUBLISH, { listing }, { as: 'provider@nordwerk' });
    expect(response.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    const problems = response.errors?.[0]?.extensions.problems as { path: string; message: string }[];
    expect(problems.map((p) => p.path)).toContain(path);
    expect(response.errors?.[0]?.message).toContain(path);
    expect(await tableCounts()).toEqual(before);
  });

  it('leaves the current version in place when an update is invalid', async () => {
    await t.graphql(
      PUBLISH,
      { listing: makeListing({ id: 'stabil', title: 'Stabiler Dienst' }) },
      { as: 'provider@nordwerk' },
    );
    const response = await t.graphql(
      PUBLISH,
      { listing: { ...makeListing({ id: 'stabil' }), plans: [] } },
      { as: 'provider@nordwerk' },
    );
    expect(response.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect((await t.graphql(SERVICE, { id: 'nordwerk/stabil' })).data!.service).toMatchObject({
      title: 'Stabiler Dienst',
      revision: 1,
    });
  });
});

async function ids(search: string): Promise<string[]> {
  const response = await t.graphql(SEARCH, { search });
  return response.data!.services.edges.map((e: { node: { id: string } }) => e.node.id);
}
