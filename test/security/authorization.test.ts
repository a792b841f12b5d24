// Who may do what, with real access tokens from the development identity provider over HTTP, the
// gateway in production mode (bearer tokens only).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertOrganisation } from '../../gateway/catalog/organisations.ts';
import { demoAccounts } from '../../services/identity-provider/demo-accounts.ts';
import type { IdentityProvider } from '../../services/identity-provider/identity-provider.ts';
import { DEMO_ORGANISATIONS } from '../../services/demo/demo-catalogue.ts';
import { startTestIdentityProvider, tokenFor } from '../helpers/identity-provider.ts';
import { makeListing, publishAll } from '../helpers/listings.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

let idp: IdentityProvider;
let t: TestServer;
const tokens = new Map<string, Promise<string>>();

/** A real access token for the account, obtained once per test file. */
function token(account: string): Promise<string> {
  if (!tokens.has(account)) tokens.set(account, tokenFor(idp, account));
  return tokens.get(account)!;
}

async function as(account: string | null, query: string, variables: Record<string, unknown> = {}) {
  return t.graphql(query, variables, account ? { token: await token(account) } : {});
}

const PUBLISH = `mutation ($listing: JSON!) { publishService(listing: $listing) { service { id status provider { id } } } }`;
const WITHDRAW = `mutation ($id: ID!) { withdrawService(id: $id, reason: "test") { id status } }`;
const SERVICE = `query ($id: ID!) { service(id: $id) { id status revision contentHash } }`;
const REGISTER = `mutation ($input: RegisterOrganisationInput!) { registerOrganisation(input: $input) { id kind name land { code } regionalschluessel } }`;
const ORGANISATION = `query ($id: ID!) { organisation(id: $id) { id kind name } }`;
const ORGANISATIONS = `query ($kind: OrganisationKind) { organisations(kind: $kind) { id kind } }`;
const ME = `{ me { subject roles organisationId organisation { id kind } issuer } }`;

function codeOf(response: { errors?: { extensions: { code: string } }[] }): string | undefined {
  return response.errors?.[0]?.extensions.code;
}

beforeAll(async () => {
  idp = await startTestIdentityProvider({
    accounts: [
      ...demoAccounts(),
      {
        id: 'provider@unbekannt-it',
        name: 'unregistered',
        roles: ['provider'],
        organisationId: 'unbekannt-it',
      },
      { id: 'provider@stadt-kiel', name: 'wrong kind', roles: ['provider'], organisationId: 'stadt-kiel' },
      { id: 'coordinator@-', name: 'no organisation', roles: ['coordinator'], organisationId: null },
      { id: 'gast@dataport', name: 'no catalogue role', roles: [], organisationId: 'dataport' },
      { id: 'provider@neu-it', name: 'registered later', roles: ['provider'], organisationId: 'neu-it' },
    ],
  });
  t = await startTestServer({ env: { OIDC_ISSUER: idp.issuer } });
  for (const organisation of DEMO_ORGANISATIONS) await upsertOrganisation(t.db, organisation);
  await publishAll(t.db, 'dataport', [makeListing({ id: 'web-office' }), makeListing({ id: 'e-akte' })]);
  await publishAll(t.db, 'akdb', [makeListing({ id: 'ok-wohngeld', title: 'OK.WOHNGELD' })]);
});

afterAll(async () => {
  await t?.close();
  await idp?.close();
});

describe('anyone, without a token', () => {
  it('reads the public catalogue and is nobody', async () => {
    const response = await as(
      null,
      `{ services { totalCount } service(id: "akdb/ok-wohngeld") { id } providers { id } provider(id: "akdb") { id } organisation(id: "dataport") { id } me { subject } }`,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data).toMatchObject({
      services: { totalCount: 3 },
      service: { id: 'akdb/ok-wohngeld' },
      provider: { id: 'akdb' },
      organisation: { id: 'dataport' },
      me: null,
    });
  });

  it.each([
    ['publishService', PUBLISH, { listing: makeListing({ id: 'anonym' }) }],
    ['withdrawService', WITHDRAW, { id: 'akdb/ok-wohngeld' }],
    [
      'registerOrganisation',
      REGISTER,
      { input: { id: 'x-amt', kind: 'AUTHORITY', name: 'Amt X', land: 'DE-SH' } },
    ],
    ['organisations', ORGANISATIONS, {}],
    ["an authority's record", ORGANISATION, { id: 'stadt-kiel' }],
  ])('may not %s (UNAUTHENTICATED)', async (_name, query, variables) => {
    expect(codeOf(await as(null, query, variables))).toBe('UNAUTHENTICATED');
  });
});

describe('a provider', () => {
  it('signed in through the browser flow, is who its token says', async () => {
    const response = await as('provider@dataport', ME);
    expect(response.data!.me).toEqual({
      subject: 'provider@dataport',
      roles: ['PROVIDER'],
      organisationId: 'dataport',
      organisation: { id: 'dataport', kind: 'PROVIDER' },
      issuer: idp.issuer,
    });
  });

  it('and a machine of the same organisation each see themselves in me (never a shared answer)', async () => {
    for (let round = 0; round < 2; round++) {
      expect((await as('provider@dataport', ME)).data!.me.subject).toBe('provider@dataport');
      expect((await as('machine@dataport', ME)).data!.me.subject).toBe('machine@dataport');
    }
  });

  it("publishes and withdraws its own organisation's listings", async () => {
    const published = await as('provider@dataport', PUBLISH, { listing: makeListing({ id: 'ratsinfo' }) });
    expect(published.errors).toBeUndefined();
    expect(published.data!.publishService.service).toEqual({
      id: 'dataport/ratsinfo',
      status: 'ACTIVE',
      provider: { id: 'dataport' },
    });
    const withdrawn = await as('provider@dataport', WITHDRAW, { id: 'dataport/ratsinfo' });
    expect(withdrawn.data!.withdrawService).toEqual({ id: 'dataport/ratsinfo', status: 'WITHDRAWN' });
  });

  it("publishes as a machine (client credentials) for the machine's organisation", async () => {
    const response = await as('machine@dataport', PUBLISH, { listing: makeListing({ id: 'maschinell' }) });
    expect(response.errors).toBeUndefined();
    expect(response.data!.publishService.service.id).toBe('dataport/maschinell');
  });

  it("cannot withdraw another provider's listing (FORBIDDEN), which stays active", async () => {
    const response = await as('provider@dataport', WITHDRAW, { id: 'akdb/ok-wohngeld' });
    expect(codeOf(response)).toBe('FORBIDDEN');
    expect(response.errors![0]!.message).toContain('belongs to provider "akdb", not to "dataport"');
    const machine = await as('machine@dataport', WITHDRAW, { id: 'akdb/ok-wohngeld' });
    expect(codeOf(machine)).toBe('FORBIDDEN');
    const service = await as(null, SERVICE, { id: 'akdb/ok-wohngeld' });
    expect(service.data!.service).toMatchObject({ status: 'ACTIVE', revision: 1 });
  });

  it("cannot change another provider's listing by publishing its id: it gets a listing of its own", async () => {
    const before = (await as(null, SERVICE, { id: 'akdb/ok-wohngeld' })).data!.service;
    const response = await as('provider@dataport', PUBLISH, {
      listing: makeListing({ id: 'ok-wohngeld', title: 'Übernommen' }),
    });
    expect(response.data!.publishService.service.id).toBe('dataport/ok-wohngeld');
    expect((await as(null, SERVICE, { id: 'akdb/ok-wohngeld' })).data!.service).toEqual(before);
  });

  it.each([
    [
      'registerOrganisation',
      REGISTER,
      { input: { id: 'x-it', kind: 'PROVIDER', name: 'X IT', land: 'DE-SH' } },
    ],
    ['organisations', ORGANISATIONS, {}],
    ["an authority's record", ORGANISATION, { id: 'stadt-kiel' }],
  ])('may not read or do %s (FORBIDDEN)', async (_name, query, variables) => {
    expect(codeOf(await as('provider@dataport', query, variables))).toBe('FORBIDDEN');
  });
});

describe('an authority', () => {
  it("sees its own organisation's record", async () => {
    const response = await as('authority@stadt-kiel', ORGANISATION, { id: 'stadt-kiel' });
    expect(response.data!.organisation).toEqual({
      id: 'stadt-kiel',
      kind: 'AUTHORITY',
      name: 'Landeshauptstadt Kiel',
    });
  });

  it.each(['stadt-muenchen', 'koordinierungsstelle', 'gibt-es-nicht'])(
    'cannot read the record of %s (FORBIDDEN, whether or not it exists)',
    async (id) => {
      const response = await as('authority@stadt-kiel', ORGANISATION, { id });
      expect(codeOf(response)).toBe('FORBIDDEN');
      expect(response.errors![0]!.message).toBe(
        `organisation: organisation "${id}" is visible only to its own members and to coordinators; you act for "stadt-kiel".`,
      );
    },
  );

  it.each([
    ['publishService', PUBLISH, { listing: makeListing({ id: 'amtlich' }) }, 'needs the role provider'],
    ['withdrawService', WITHDRAW, { id: 'akdb/ok-wohngeld' }, 'needs the role provider'],
    [
      'registerOrganisation',
      REGISTER,
      { input: { id: 'x-amt', kind: 'AUTHORITY', name: 'Amt X', land: 'DE-SH' } },
      'needs the role coordinator',
    ],
    ['organisations', ORGANISATIONS, {}, 'needs the role coordinator'],
  ])('may not %s (FORBIDDEN)', async (_name, query, variables, why) => {
    const response = await as('authority@stadt-kiel', query, variables);
    expect(codeOf(response)).toBe('FORBIDDEN');
    expect(response.errors![0]!.message).toContain(why);
  });
});

describe('a coordinator', () => {
  it("sees every organisation and any authority's record", async () => {
    const all = await as('coordinator@koordinierungsstelle', ORGANISATIONS, { kind: 'AUTHORITY' });
    expect(all.data!.organisations.map((o: { id: string }) => o.id).sort()).toEqual(
      DEMO_ORGANISATIONS.filter((o) => o.kind === 'AUTHORITY')
        .map((o) => o.id)
        .sort(),
    );
    const one = await as('coordinator@koordinierungsstelle', ORGANISATION, { id: 'stadt-leipzig' });
    expect(one.data!.organisation.id).toBe('stadt-leipzig');
  });

  it('registers an organisation, whose members can act from then on', async () => {
    const before = await as('provider@neu-it', PUBLISH, { listing: makeListing({ id: 'neu' }) });
    expect(codeOf(before)).toBe('FORBIDDEN');
    const registered = await as('coordinator@koordinierungsstelle', REGISTER, {
      input: { id: 'neu-it', kind: 'PROVIDER', name: 'Neu IT eG', land: 'DE-BB' },
    });
    expect(registered.errors).toBeUndefined();
    expect(registered.data!.registerOrganisation).toEqual({
      id: 'neu-it',
      kind: 'PROVIDER',
      name: 'Neu IT eG',
      land: { code: 'DE-BB' },
      regionalschluessel: null,
    });
    const after = await as('provider@neu-it', PUBLISH, { listing: makeListing({ id: 'neu' }) });
    expect(after.errors).toBeUndefined();
    expect(after.data!.publishService.service.id).toBe('neu-it/neu');
  });

  it("cannot publish or withdraw a provider's listings (FORBIDDEN: that is the provider's role)", async () => {
    expect(
      codeOf(await as('coordinator@koordinierungsstelle', PUBLISH, { listing: makeListing({ id: 'k' }) })),
    ).toBe('FORBIDDEN');
    expect(codeOf(await as('coordinator@koordinierungsstelle', WITHDRAW, { id: 'akdb/ok-wohngeld' }))).toBe(
      'FORBIDDEN',
    );
  });
});

describe('a token whose organisation cannot be used', () => {
  it.each([
    ['provider@unbekannt-it', 'Your organisation "unbekannt-it" is not registered in the catalogue'],
    [
      'provider@stadt-kiel',
      'publishService needs a PROVIDER organisation; "stadt-kiel" is registered as AUTHORITY.',
    ],
    ['coordinator@-', 'needs the role provider'],
    ['gast@dataport', 'your token has no catalogue roles'],
  ])('%s is FORBIDDEN, and told why', async (account, why) => {
    const response = await as(account, PUBLISH, { listing: makeListing({ id: 'versuch' }) });
    expect(codeOf(response)).toBe('FORBIDDEN');
    expect(response.errors![0]!.message).toContain(why);
  });

  it('a coordinator token without an organisation cannot register organisations (FORBIDDEN, names none)', async () => {
    const response = await as('coordinator@-', ORGANISATIONS);
    expect(codeOf(response)).toBe('FORBIDDEN');
    expect(response.errors![0]!.message).toBe(
      'organisations needs an organisation, and your token names none.',
    );
  });

  it('still learns who it is from me', async () => {
    const response = await as('provider@unbekannt-it', ME);
    expect(response.data!.me).toMatchObject({ organisationId: 'unbekannt-it', organisation: null });
  });
});
