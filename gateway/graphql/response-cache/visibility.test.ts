import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerOrganisation } from '../../../test/helpers/listings.ts';
import {
  askCached,
  changesHeard,
  startTestServer,
  type TestServer,
} from '../../../test/helpers/test-server.ts';
import { visibilityOf } from './cache-key.ts';

// A cached answer is replayed only to the caller it was computed for.
let t: TestServer;

const ME = `{ me { subject organisationId roles } }`;
const ORGANISATION = `query ($id: ID!) { organisation(id: $id) { id name } }`;
const PROVIDERS = `{ providers { id name } }`;

beforeAll(async () => {
  t = await startTestServer();
  await registerOrganisation(t.db, 'nordwerk', 'PROVIDER');
  await registerOrganisation(t.db, 'suedwerk', 'PROVIDER');
  await registerOrganisation(t.db, 'stadt-kiel', 'AUTHORITY');
  await registerOrganisation(t.db, 'stadt-flensburg', 'AUTHORITY');
  await changesHeard(t, 'organisation'); // a late notification of the setup would drop a stored entry
});
afterAll(() => t?.close());

describe('response cache visibility', () => {
  it('keeps separate entries per organisation and per set of roles, even for public answers', async () => {
    const callers = [undefined, 'provider@nordwerk', 'provider@suedwerk', 'provider,coordinator@nordwerk'];
    for (const caller of callers) expect((await askCached(t, PROVIDERS, {}, caller)).cache).toBe('miss');
    for (const caller of callers) expect((await askCached(t, PROVIDERS, {}, caller)).cache).toBe('hit');
  });

  it('never caches an answer a resolver keeps out (`me` names the person)', async () => {
    const first = await askCached(t, ME, {}, 'provider@nordwerk');
    expect(first.body.data.me.organisationId).toBe('nordwerk');
    expect((await askCached(t, ME, {}, 'provider@nordwerk')).cache).toBe('miss');
    const other = await askCached(t, ME, {}, 'provider@suedwerk');
    expect(other.body.data.me.organisationId).toBe('suedwerk');
  });

  it("keeps an organisation's own record from members of another organisation", async () => {
    const own = await askCached(t, ORGANISATION, { id: 'stadt-kiel' }, 'authority@stadt-kiel');
    expect(own.body.data.organisation.id).toBe('stadt-kiel');
    expect((await askCached(t, ORGANISATION, { id: 'stadt-kiel' }, 'authority@stadt-kiel')).cache).toBe(
      'hit',
    );

    const foreign = await askCached(t, ORGANISATION, { id: 'stadt-kiel' }, 'authority@stadt-flensburg');
    expect(foreign.cache).toBe('miss');
    expect(foreign.body.data?.organisation ?? null).toBeNull();
    expect(foreign.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const anonymous = await askCached(t, ORGANISATION, { id: 'stadt-kiel' });
    expect(anonymous.body.data?.organisation ?? null).toBeNull();
    expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('never shares entries between people, even of the same organisation and roles', () => {
    const principal = {
      subject: 'anna',
      roles: ['authority' as const],
      organisationId: 'stadt-kiel',
      issuer: 'https://login.example',
    };
    expect(visibilityOf(principal)).not.toBe(visibilityOf({ ...principal, subject: 'bernd' }));
    expect(visibilityOf(principal)).not.toBe(visibilityOf({ ...principal, issuer: 'https://other.example' }));
    expect(visibilityOf(principal)).toBe(visibilityOf({ ...principal, roles: ['authority', 'authority'] }));
    expect(visibilityOf(null)).toBe('anonymous');
  });
});
