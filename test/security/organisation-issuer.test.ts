// Several trusted issuers (a Land's identity service and the Bund's): each organisation belongs to the
// issuer its members sign in at. A token of another trusted issuer that names the organisation in its
// organisation claim does not act for it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  moveOrganisationToIssuer,
  registerOrganisation as registerOrganisationRow,
} from '../../gateway/catalog/organisation-registry.ts';
import type { IdentityProvider } from '../../services/identity-provider/identity-provider.ts';
import { demoAccounts } from '../../services/identity-provider/demo-accounts.ts';
import { startTestIdentityProvider, tokenFor } from '../helpers/identity-provider.ts';
import { makeListing, publishAll, registerOrganisation } from '../helpers/listings.ts';
import { certifyService } from '../helpers/subscription-fixtures.ts';
import { changesHeard, startTestServer, testConfig, type TestServer } from '../helpers/test-server.ts';

let bund: IdentityProvider; // where the coordination office and Flensburg sign in
let land: IdentityProvider; // another trusted issuer, whose token names Flensburg
let t: TestServer;

const REGISTER = `mutation ($input: RegisterOrganisationInput!) { registerOrganisation(input: $input) { id issuer } }`;
const SUBSCRIBE = `mutation { subscribe(serviceId: "dataport/fachverfahren", planId: "standard", idempotencyKey: "flensburg-1") { id } }`;
const SUBSCRIPTIONS = `{ serviceSubscriptions { totalCount edges { node { id idempotencyKey } } } }`;
const FLENSBURG = {
  id: 'stadt-flensburg',
  kind: 'AUTHORITY',
  name: 'Stadt Flensburg',
  land: 'DE-SH',
  regionalschluessel: '010010000000',
};

const coordinatorToken = () => tokenFor(bund, 'coordinator@koordinierungsstelle');
const flensburgToken = () => tokenFor(bund, 'authority@stadt-flensburg');
const impostorToken = () => tokenFor(land, 'someone@land');

beforeAll(async () => {
  bund = await startTestIdentityProvider({
    accounts: [
      ...demoAccounts().filter((a) => a.id === 'coordinator@koordinierungsstelle'),
      {
        id: 'authority@stadt-flensburg',
        name: 'Flensburg',
        roles: ['authority'],
        organisationId: 'stadt-flensburg',
      },
    ],
  });
  land = await startTestIdentityProvider({
    accounts: [
      {
        id: 'someone@land',
        name: 'Land',
        roles: ['authority', 'coordinator'],
        organisationId: 'stadt-flensburg',
      },
      {
        id: 'coordinator@land',
        name: 'Land',
        roles: ['coordinator'],
        organisationId: 'koordinierungsstelle',
      },
      {
        id: 'coordinator@koordinierung',
        name: 'Land',
        roles: ['coordinator'],
        organisationId: 'koordinierung',
      },
    ],
  });
  const issuers = [bund.issuer, land.issuer];
  t = await startTestServer({ env: { OIDC_ISSUER: issuers.join(' ') } });
  // As `npm run register-organisation -- … --issuer <bund>` does for production's first coordinator.
  await registerOrganisationRow(
    t.db,
    {
      id: 'koordinierungsstelle',
      kind: 'COORDINATOR',
      name: 'Koordinierungsstelle',
      land: 'DE',
      issuer: bund.issuer,
    },
    issuers,
  );
  await registerOrganisation(t.db, 'dataport', 'PROVIDER');
  await registerOrganisation(t.db, 'koordinierung', 'COORDINATOR', 'DE');
  await publishAll(t.db, 'dataport', [makeListing({ id: 'fachverfahren', availableIn: ['DE-SH'] })]);
  await certifyService(t.db, 'dataport/fachverfahren');
});

afterAll(async () => {
  await t?.close();
  await bund?.close();
  await land?.close();
});

describe('registering an organisation with several trusted issuers', () => {
  it('needs its issuer (BAD_USER_INPUT, /issuer), and registers nothing without it', async () => {
    const response = await t.graphql(REGISTER, { input: FLENSBURG }, { token: await coordinatorToken() });
    expect(response.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      problems: [{ path: '/issuer', message: expect.stringContaining('several issuers') }],
    });
    expect(
      await t.db.selectFrom('organisation').where('id', '=', FLENSBURG.id).selectAll().execute(),
    ).toEqual([]);
  });

  it('refuses an issuer that is not trusted (BAD_USER_INPUT, /issuer)', async () => {
    const response = await t.graphql(
      REGISTER,
      { input: { ...FLENSBURG, issuer: 'https://idp.example.org/realms/fremd' } },
      { token: await coordinatorToken() },
    );
    expect(response.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      problems: [{ path: '/issuer', message: expect.stringContaining('not a trusted issuer') }],
    });
  });

  it('records the issuer it is given', async () => {
    const response = await t.graphql(
      REGISTER,
      { input: { ...FLENSBURG, issuer: bund.issuer } },
      { token: await coordinatorToken() },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.registerOrganisation).toEqual({ id: FLENSBURG.id, issuer: bund.issuer });
    const subscribed = await t.graphql(SUBSCRIBE, {}, { token: await flensburgToken() });
    expect(subscribed.errors).toBeUndefined();
  });
});

describe('a token of another trusted issuer that names the organisation', () => {
  it("cannot read the authority's subscriptions (FORBIDDEN, naming both issuers)", async () => {
    const response = await t.graphql(SUBSCRIPTIONS, {}, { token: await impostorToken() });
    expect(response.data?.serviceSubscriptions ?? null).toBeNull();
    expect(response.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    expect(response.errors?.[0]?.message).toContain(bund.issuer);
    expect(response.errors?.[0]?.message).toContain(land.issuer);
  });

  it("cannot read the authority's record, and me shows no organisation", async () => {
    const token = await impostorToken();
    const record = await t.graphql(
      '{ organisation(id: "stadt-flensburg") { id regionalschluessel } }',
      {},
      { token },
    );
    expect(record.data?.organisation ?? null).toBeNull();
    expect(record.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    const me = await t.graphql('{ me { organisationId organisation { id } } }', {}, { token });
    expect(me.data!.me).toEqual({ organisationId: 'stadt-flensburg', organisation: null });
  });

  it('cannot cancel its subscription, which stays REQUESTED', async () => {
    const own = await t.graphql(SUBSCRIPTIONS, {}, { token: await flensburgToken() });
    const id = own.data!.serviceSubscriptions.edges[0].node.id as string;
    const response = await t.graphql(
      `mutation ($id: ID!) { cancelSubscription(id: $id, reason: "storniert") { state } }`,
      { id },
      { token: await impostorToken() },
    );
    expect(response.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    const row = await t.db
      .selectFrom('service_subscription')
      .select('state')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.state).toBe('REQUESTED');
  });

  it('cannot act as the coordination office', async () => {
    const response = await t.graphql(
      REGISTER,
      { input: { ...FLENSBURG, id: 'stadt-kiel', regionalschluessel: '010020000000', issuer: land.issuer } },
      { token: await tokenFor(land, 'coordinator@land') },
    );
    expect(response.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    expect(
      await t.db.selectFrom('organisation').where('id', '=', 'stadt-kiel').selectAll().execute(),
    ).toEqual([]);
  });

  it('does act for an organisation bound to no issuer (registered before issuers were recorded)', async () => {
    // "koordinierung" was registered without an issuer: tokens of every trusted issuer act for it.
    const token = await tokenFor(land, 'coordinator@koordinierung');
    const me = await t.graphql('{ me { organisation { id issuer } } }', {}, { token });
    expect(me.data!.me.organisation).toEqual({ id: 'koordinierung', issuer: null });
    const listed = await t.graphql('{ organisations(kind: PROVIDER) { id } }', {}, { token });
    expect(listed.errors).toBeUndefined();
  });
});

describe('moving an organisation to another trusted issuer (an operator step)', () => {
  it('refuses an unknown organisation (NOT_FOUND) and an issuer that is not trusted (BAD_USER_INPUT)', async () => {
    const issuers = [bund.issuer, land.issuer];
    await expect(moveOrganisationToIssuer(t.db, 'gibt-es-nicht', land.issuer, issuers)).rejects.toMatchObject(
      {
        code: 'NOT_FOUND',
      },
    );
    await expect(
      moveOrganisationToIssuer(t.db, FLENSBURG.id, 'https://idp.example.org/realms/fremd', issuers),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it("lets the new issuer's tokens act for it, and the old issuer's no longer", async () => {
    const moved = await moveOrganisationToIssuer(t.db, FLENSBURG.id, land.issuer, [bund.issuer, land.issuer]);
    expect(moved.issuer).toBe(land.issuer);
    await changesHeard(t, 'organisation');
    const now = await t.graphql('{ me { organisation { id } } }', {}, { token: await impostorToken() });
    expect(now.data!.me.organisation).toEqual({ id: FLENSBURG.id });
    const before = await t.graphql(SUBSCRIPTIONS, {}, { token: await flensburgToken() });
    expect(before.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
  });
});

describe('demo mode, whose development identity provider moves with its port', () => {
  it('binds an organisation registered through the API to no issuer, so a restart on another port keeps it usable', async () => {
    // As main.ts runs demo mode: the development identity provider is the only trusted issuer.
    const demoConfig = (issuer: string) => ({
      config: { oidc: { ...testConfig().oidc, issuers: [issuer] } },
    });
    const first = await startTestServer(demoConfig(bund.issuer));
    const restarted = await startTestServer({ ...demoConfig(land.issuer), database: first.database });
    try {
      expect(first.server.config.mode).toBe('demo');
      await registerOrganisationRow(first.db, {
        id: 'koordinierungsstelle',
        kind: 'COORDINATOR',
        name: 'Koordinierungsstelle',
        land: 'DE',
      });
      const registered = await first.graphql(
        REGISTER,
        { input: FLENSBURG },
        { token: await coordinatorToken() },
      );
      expect(registered.errors).toBeUndefined();
      expect(registered.data!.registerOrganisation).toEqual({ id: FLENSBURG.id, issuer: null });
      // The development identity provider now listens elsewhere (another DEV_IDP_PORT).
      const me = await restarted.graphql(
        '{ me { organisation { id } } }',
        {},
        { token: await impostorToken() },
      );
      expect(me.data!.me.organisation).toEqual({ id: FLENSBURG.id });
    } finally {
      await restarted.close();
      await first.close();
    }
  });
});
