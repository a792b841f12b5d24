import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerOrganisation } from '../../test/helpers/listings.ts';
import { startTestServer, type TestServer } from '../../test/helpers/test-server.ts';

const REGISTER = `
  mutation ($input: RegisterOrganisationInput!) {
    registerOrganisation(input: $input) { id kind name land { code } regionalschluessel serviceCount }
  }`;
const COORDINATOR = { as: 'coordinator@koordinierungsstelle' };
let t: TestServer;

async function organisationCount(): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from organisation`.execute(t.db);
  return rows[0]!.n;
}

beforeAll(async () => {
  t = await startTestServer();
  await registerOrganisation(t.db, 'koordinierungsstelle', 'COORDINATOR', 'DE');
});

afterAll(() => t?.close());

describe('registerOrganisation', () => {
  it('registers an authority with its Regionalschlüssel, name trimmed', async () => {
    const response = await t.graphql(
      REGISTER,
      {
        input: {
          id: 'stadt-flensburg',
          kind: 'AUTHORITY',
          name: '  Stadt Flensburg ',
          land: 'DE-SH',
          regionalschluessel: '010010000000',
        },
      },
      COORDINATOR,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.registerOrganisation).toEqual({
      id: 'stadt-flensburg',
      kind: 'AUTHORITY',
      name: 'Stadt Flensburg',
      land: { code: 'DE-SH' },
      regionalschluessel: '010010000000',
      serviceCount: 0,
    });
  });

  it('registers a federal authority and a provider without Regionalschlüssel', async () => {
    for (const input of [
      { id: 'bmf', kind: 'AUTHORITY', name: 'Bundesministerium der Finanzen', land: 'DE' },
      { id: 'dvz-mv', kind: 'PROVIDER', name: 'DVZ Datenverarbeitungszentrum M-V', land: 'DE-MV' },
    ]) {
      const response = await t.graphql(REGISTER, { input }, COORDINATOR);
      expect(response.errors).toBeUndefined();
    }
  });

  it.each([
    ['an id with capitals', { id: 'Stadt-Kiel' }, '/id'],
    ['a one-letter id', { id: 'k' }, '/id'],
    ['an id with a slash', { id: 'stadt/kiel' }, '/id'],
    ['a name of one letter', { name: 'K' }, '/name'],
    ['an unknown Land', { land: 'DE-XX' }, '/land'],
    ['a Regionalschlüssel of 11 digits', { regionalschluessel: '01002000000' }, '/regionalschluessel'],
    ['a Regionalschlüssel of another Land', { regionalschluessel: '091620000000' }, '/regionalschluessel'],
    [
      'a Regionalschlüssel for the Bund',
      { land: 'DE', regionalschluessel: '010020000000' },
      '/regionalschluessel',
    ],
    [
      'a Regionalschlüssel for a provider',
      { kind: 'PROVIDER', regionalschluessel: '010020000000' },
      '/regionalschluessel',
    ],
  ])('refuses %s (BAD_USER_INPUT) and stores nothing', async (_case, change, path) => {
    const before = await organisationCount();
    const input = {
      id: 'stadt-kiel',
      kind: 'AUTHORITY',
      name: 'Landeshauptstadt Kiel',
      land: 'DE-SH',
      ...change,
    };
    const response = await t.graphql(REGISTER, { input }, COORDINATOR);
    expect(response.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.extensions.problems).toEqual([expect.objectContaining({ path })]);
    expect(await organisationCount()).toBe(before);
  });

  it('lists every problem at once', async () => {
    const response = await t.graphql(
      REGISTER,
      { input: { id: '-', kind: 'AUTHORITY', name: '', land: 'SH', regionalschluessel: 'abc' } },
      COORDINATOR,
    );
    expect(response.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect((response.errors![0]!.extensions.problems as { path: string }[]).map((p) => p.path)).toEqual([
      '/id',
      '/name',
      '/land',
      '/regionalschluessel',
    ]);
  });

  it('refuses a kind that does not exist (BAD_USER_INPUT)', async () => {
    const response = await t.graphql(
      REGISTER,
      { input: { id: 'ministerium', kind: 'MINISTRY', name: 'Ministerium', land: 'DE' } },
      COORDINATOR,
    );
    expect(response.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('refuses an id that is taken (CONFLICT) and leaves that organisation as it was', async () => {
    const response = await t.graphql(
      REGISTER,
      { input: { id: 'stadt-flensburg', kind: 'PROVIDER', name: 'Übernahme', land: 'DE-BY' } },
      COORDINATOR,
    );
    expect(response.errors?.[0]?.extensions.code).toBe('CONFLICT');
    expect(response.errors?.[0]?.message).toContain('AUTHORITY, Stadt Flensburg');
    const stored = await t.db
      .selectFrom('organisation')
      .selectAll()
      .where('id', '=', 'stadt-flensburg')
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ kind: 'AUTHORITY', name: 'Stadt Flensburg', land: 'DE-SH' });
  });

  it('is for coordinators only (FORBIDDEN for a provider, UNAUTHENTICATED for nobody)', async () => {
    await registerOrganisation(t.db, 'dataport', 'PROVIDER');
    const input = { id: 'neu', kind: 'PROVIDER', name: 'Neu', land: 'DE-SH' };
    const provider = await t.graphql(REGISTER, { input }, { as: 'provider@dataport' });
    expect(provider.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    const anonymous = await t.graphql(REGISTER, { input });
    expect(anonymous.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
    const wrongKind = await t.graphql(REGISTER, { input }, { as: 'coordinator@dataport' });
    expect(wrongKind.errors?.[0]?.message).toBe(
      'registerOrganisation needs a COORDINATOR organisation; "dataport" is registered as PROVIDER.',
    );
  });
});
