import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  seedSubscriptionWorld,
  SUBSCRIBE,
  SUBSCRIPTION_FIELDS,
  subscriptionTestConfig,
} from '../../test/helpers/subscription-fixtures.ts';
import { changesHeard, startTestServer, type TestServer } from '../../test/helpers/test-server.ts';
import { takeStep } from './take-step.ts';

let t: TestServer;
let keys = 0;

beforeAll(async () => {
  t = await startTestServer({ config: subscriptionTestConfig() });
  await seedSubscriptionWorld(t.db);
});

afterAll(() => t?.close());

const ACCEPT = `mutation ($id: ID!) { acceptSubscription(id: $id) { ${SUBSCRIPTION_FIELDS} } }`;
const REJECT = `mutation ($id: ID!, $reason: String!) { rejectSubscription(id: $id, reason: $reason) { ${SUBSCRIPTION_FIELDS} } }`;
const CANCEL = `mutation ($id: ID!, $reason: String!) { cancelSubscription(id: $id, reason: $reason) { ${SUBSCRIPTION_FIELDS} } }`;
const ONE = `query ($id: ID!) { serviceSubscription(id: $id) { ${SUBSCRIPTION_FIELDS} } }`;
const LIST = `query ($state: [ServiceSubscriptionState!], $serviceId: ID, $first: Int, $after: String) {
  serviceSubscriptions(state: $state, serviceId: $serviceId, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id state organisation { id } service { id } } }
  }
}`;

/** Cancels every open subscription of `organisation` so that each test starts from a clean slate. */
async function cancelOpen(organisation: string): Promise<void> {
  const open = await t.db
    .selectFrom('service_subscription')
    .select('id')
    .where('organisation_id', '=', organisation)
    .where('state', 'in', ['REQUESTED', 'ACTIVE'])
    .execute();
  for (const { id } of open) {
    const response = await t.graphql(
      CANCEL,
      { id, reason: 'Aufräumen im Test' },
      { as: 'coordinator@koordinierung' },
    );
    expect(response.errors).toBeUndefined();
  }
}

async function requested(
  organisation = 'stadt-kiel',
  options: { serviceId?: string; planId?: string } = {},
): Promise<string> {
  await cancelOpen(organisation);
  const response = await t.graphql(
    SUBSCRIBE,
    {
      serviceId: options.serviceId ?? 'anbieter/fachverfahren',
      planId: options.planId ?? 'standard',
      key: `lifecycle-${++keys}`,
    },
    { as: `authority@${organisation}` },
  );
  expect(response.errors).toBeUndefined();
  return response.data!.subscribe.id;
}

async function active(organisation = 'stadt-kiel'): Promise<string> {
  const id = await requested(organisation);
  const response = await t.graphql(ACCEPT, { id }, { as: 'provider@anbieter' });
  expect(response.errors).toBeUndefined();
  return id;
}

async function rejected(): Promise<string> {
  const id = await requested();
  const response = await t.graphql(REJECT, { id, reason: 'Kein Vertrag' }, { as: 'provider@anbieter' });
  expect(response.errors).toBeUndefined();
  return id;
}

async function cancelled(): Promise<string> {
  const id = await requested();
  const response = await t.graphql(CANCEL, { id, reason: 'Doch nicht' }, { as: 'authority@stadt-kiel' });
  expect(response.errors).toBeUndefined();
  return id;
}

async function stateOf(id: string): Promise<string> {
  const row = await t.db
    .selectFrom('service_subscription')
    .select('state')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return row.state;
}

async function outboxTypes(id: string): Promise<string[]> {
  const rows = await t.db
    .selectFrom('subscription_outbox')
    .select('payload')
    .where('subscription_id', '=', id)
    .orderBy('id')
    .execute();
  return rows.map((r) => (r.payload as { type: string }).type);
}

describe('legal steps', () => {
  it('REQUESTED → ACTIVE: the provider accepts; who and when are recorded, re-use is counted', async () => {
    const id = await requested();
    const response = await t.graphql(ACCEPT, { id }, { as: 'provider@anbieter' });
    expect(response.errors).toBeUndefined();
    const subscription = response.data!.acceptSubscription;
    expect(subscription.state).toBe('ACTIVE');
    expect(subscription.accepted).toMatchObject({
      by: 'dev:provider@anbieter',
      organisation: { id: 'anbieter' },
    });
    expect(Date.parse(subscription.accepted.at)).toBeGreaterThanOrEqual(
      Date.parse(subscription.requested.at),
    );
    expect(subscription.service.subscriberCount).toBeGreaterThanOrEqual(1);
    expect(subscription.events.map((e: { kind: string }) => e.kind)).toEqual(['REQUESTED', 'ACCEPTED']);
    expect(await outboxTypes(id)).toEqual(['subscription.requested', 'subscription.accepted']);
  });

  it('REQUESTED → REJECTED: the provider rejects with a reason the authority sees', async () => {
    const id = await requested();
    const response = await t.graphql(
      REJECT,
      { id, reason: '  Keine Kapazität im Rechenzentrum  ' },
      { as: 'provider@anbieter' },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.rejectSubscription).toMatchObject({
      state: 'REJECTED',
      rejected: {
        by: 'dev:provider@anbieter',
        organisation: { id: 'anbieter' },
        reason: 'Keine Kapazität im Rechenzentrum',
      },
      accepted: null,
    });
    const seen = await t.graphql(ONE, { id }, { as: 'authority@stadt-kiel' });
    expect(seen.data!.serviceSubscription.rejected.reason).toBe('Keine Kapazität im Rechenzentrum');
    expect(await outboxTypes(id)).toEqual(['subscription.requested', 'subscription.rejected']);
  });

  it('REQUESTED → CANCELLED by the subscribing authority', async () => {
    const id = await requested();
    const response = await t.graphql(
      CANCEL,
      { id, reason: 'Bedarf entfallen' },
      { as: 'authority@stadt-kiel' },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.cancelSubscription).toMatchObject({
      state: 'CANCELLED',
      cancelled: {
        by: 'dev:authority@stadt-kiel',
        organisation: { id: 'stadt-kiel' },
        reason: 'Bedarf entfallen',
      },
    });
  });

  it('ACTIVE → CANCELLED by the subscribing authority; re-use is counted no more', async () => {
    await cancelOpen('stadt-luebeck');
    const id = await active();
    const before = (await t.graphql(ONE, { id }, { as: 'authority@stadt-kiel' })).data!.serviceSubscription
      .service.subscriberCount;
    const response = await t.graphql(CANCEL, { id, reason: 'Vertrag endet' }, { as: 'authority@stadt-kiel' });
    expect(response.data!.cancelSubscription.state).toBe('CANCELLED');
    expect(response.data!.cancelSubscription.accepted).not.toBeNull();
    expect(response.data!.cancelSubscription.service.subscriberCount).toBe(before - 1);
    expect(await outboxTypes(id)).toEqual([
      'subscription.requested',
      'subscription.accepted',
      'subscription.cancelled',
    ]);
  });

  it('ACTIVE → CANCELLED by a coordinator, recorded as the coordination office', async () => {
    const id = await active();
    const response = await t.graphql(
      CANCEL,
      { id, reason: 'Zertifikat entzogen' },
      { as: 'coordinator@koordinierung' },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.cancelSubscription.cancelled).toMatchObject({
      by: 'dev:coordinator@koordinierung',
      organisation: { id: 'koordinierung' },
    });
  });

  it('after a cancellation the organisation may subscribe to the same plan again', async () => {
    const first = await cancelled();
    const second = await requested();
    expect(second).not.toBe(first);
  });
});

describe('illegal steps are PRECONDITION_FAILED (STEP_NOT_ALLOWED) and change nothing', () => {
  const steps = {
    accept: { query: ACCEPT, as: 'provider@anbieter', variables: {} },
    reject: { query: REJECT, as: 'provider@anbieter', variables: { reason: 'Zu spät' } },
    cancel: { query: CANCEL, as: 'authority@stadt-kiel', variables: { reason: 'Zu spät' } },
  };
  const cases: [string, () => Promise<string>, (keyof typeof steps)[]][] = [
    ['ACTIVE', () => active(), ['accept', 'reject']],
    ['REJECTED', rejected, ['accept', 'reject', 'cancel']],
    ['CANCELLED', cancelled, ['accept', 'reject', 'cancel']],
  ];
  for (const [state, make, illegal] of cases) {
    for (const name of illegal) {
      it(`${name} from ${state}`, async () => {
        const id = await make();
        const events = await outboxTypes(id);
        const step = steps[name];
        const response = await t.graphql(step.query, { id, ...step.variables }, { as: step.as });
        expect(response.errors?.[0]?.extensions).toMatchObject({
          code: 'PRECONDITION_FAILED',
          reason: 'STEP_NOT_ALLOWED',
          state,
        });
        expect(await stateOf(id)).toBe(state);
        expect(await outboxTypes(id)).toEqual(events);
      });
    }
  }
});

describe('who may take a step', () => {
  it('only the provider of the service accepts or rejects', async () => {
    const id = await requested();
    for (const as of ['authority@stadt-kiel', 'coordinator@koordinierung']) {
      const response = await t.graphql(ACCEPT, { id }, { as });
      expect(response.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    }
    // Another provider cannot even see it.
    const other = await t.graphql(REJECT, { id, reason: 'Nicht meins' }, { as: 'provider@anderer-anbieter' });
    expect(other.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    expect(await stateOf(id)).toBe('REQUESTED');
  });

  it('a provider cannot cancel (FORBIDDEN)', async () => {
    const id = await active();
    const response = await t.graphql(CANCEL, { id, reason: 'Kündigung' }, { as: 'provider@anbieter' });
    expect(response.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    expect(await stateOf(id)).toBe('ACTIVE');
  });

  it('an authority can neither see nor cancel another organisation’s subscription', async () => {
    const id = await active('stadt-luebeck');
    const cancel = await t.graphql(
      CANCEL,
      { id, reason: 'Fremde Kündigung' },
      { as: 'authority@stadt-kiel' },
    );
    expect(cancel.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    expect(await stateOf(id)).toBe('ACTIVE');
    const one = await t.graphql(ONE, { id }, { as: 'authority@stadt-kiel' });
    expect(one.errors).toBeUndefined();
    expect(one.data!.serviceSubscription).toBeNull();
    const list = await t.graphql(LIST, { first: 100 }, { as: 'authority@stadt-kiel' });
    const organisations = new Set(
      list.data!.serviceSubscriptions.edges.map((e: any) => e.node.organisation.id),
    );
    expect([...organisations]).toEqual(['stadt-kiel']);
    // Its own organisation sees it, and so do the provider and the coordination office.
    for (const as of ['authority@stadt-luebeck', 'provider@anbieter', 'coordinator@koordinierung']) {
      const seen = await t.graphql(ONE, { id }, { as });
      expect(seen.data!.serviceSubscription?.id, as).toBe(id);
    }
    expect(
      (await t.graphql(ONE, { id }, { as: 'provider@anderer-anbieter' })).data!.serviceSubscription,
    ).toBeNull();
  });

  it('an anonymous caller reads no subscriptions (UNAUTHENTICATED)', async () => {
    const response = await t.graphql(LIST, {});
    expect(response.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('an anonymous caller is asked to sign in before the reason is looked at (UNAUTHENTICATED)', async () => {
    const id = await requested();
    for (const reason of ['x', 'Kein Bedarf mehr']) {
      const response = await t.graphql(CANCEL, { id, reason });
      expect(response.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
    }
    expect(await stateOf(id)).toBe('REQUESTED');
  });

  it('a reason of fewer than 3 characters is BAD_USER_INPUT', async () => {
    const id = await requested();
    const response = await t.graphql(REJECT, { id, reason: '  x ' }, { as: 'provider@anbieter' });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'reason' });
    expect(await stateOf(id)).toBe('REQUESTED');
  });

  it('counts a reason in characters, as PostgreSQL does, not in UTF-16 units', async () => {
    const id = await requested();
    // Two characters outside the Basic Multilingual Plane are four UTF-16 units: still too short.
    const short = await t.graphql(REJECT, { id, reason: '😀😀' }, { as: 'provider@anbieter' });
    expect(short.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'reason' });
    expect(await stateOf(id)).toBe('REQUESTED');
    // 1,500 of them are 3,000 units, but 1,500 characters: within the limit.
    const long = await t.graphql(REJECT, { id, reason: '😀'.repeat(1500) }, { as: 'provider@anbieter' });
    expect(long.errors).toBeUndefined();
    expect(await stateOf(id)).toBe('REJECTED');
  });

  it('an unknown or malformed id is NOT_FOUND', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'kein-uuid']) {
      const response = await t.graphql(ACCEPT, { id }, { as: 'provider@anbieter' });
      expect(response.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    }
  });
});

describe('concurrent decisions', () => {
  it('of accept and reject sent together exactly one wins', async () => {
    for (let round = 0; round < 5; round++) {
      const id = await requested();
      const [accept, reject] = await Promise.all([
        t.graphql(ACCEPT, { id }, { as: 'provider@anbieter' }),
        t.graphql(REJECT, { id, reason: 'Gleichzeitig' }, { as: 'provider@anbieter' }),
      ]);
      const winners = [accept, reject].filter((r) => r.errors === undefined);
      expect(winners).toHaveLength(1);
      const loser = [accept, reject].find((r) => r.errors !== undefined)!;
      expect(loser.errors![0]!.extensions).toMatchObject({
        code: 'PRECONDITION_FAILED',
        reason: 'STEP_NOT_ALLOWED',
      });
      expect(await outboxTypes(id)).toHaveLength(2);
    }
  });

  it('of ten accepts sent together exactly one wins; a cancellation alongside always succeeds', async () => {
    const id = await requested();
    const [cancel, ...accepts] = await Promise.all([
      t.graphql(CANCEL, { id, reason: 'Gleichzeitig' }, { as: 'authority@stadt-kiel' }),
      ...Array.from({ length: 10 }, () => t.graphql(ACCEPT, { id }, { as: 'provider@anbieter' })),
    ]);
    // Cancelling is legal from REQUESTED and from ACTIVE: it wins whether or not an accept came first.
    expect(cancel!.errors).toBeUndefined();
    const accepted = accepts.filter((r) => r.errors === undefined).length;
    expect(accepted).toBeLessThanOrEqual(1);
    expect(await stateOf(id)).toBe('CANCELLED');
    expect(await outboxTypes(id)).toHaveLength(2 + accepted);

    const next = await requested();
    const racing = await Promise.all(
      Array.from({ length: 10 }, () => t.graphql(ACCEPT, { id: next }, { as: 'provider@anbieter' })),
    );
    expect(racing.filter((r) => r.errors === undefined)).toHaveLength(1);
    expect(await outboxTypes(next)).toEqual(['subscription.requested', 'subscription.accepted']);
  });
});

describe('lists', () => {
  it('pages newest first with a total, filtered by state and service', async () => {
    await active('hamburg');
    const all = await t.graphql(LIST, { first: 100 }, { as: 'coordinator@koordinierung' });
    const total = all.data!.serviceSubscriptions.totalCount;
    expect(total).toBe(all.data!.serviceSubscriptions.edges.length);
    const ids = all.data!.serviceSubscriptions.edges.map((e: any) => e.node.id);

    const pages: string[] = [];
    let after: string | null = null;
    do {
      const page: any = await t.graphql(LIST, { first: 3, after }, { as: 'coordinator@koordinierung' });
      expect(page.data.serviceSubscriptions.totalCount).toBe(total);
      pages.push(...page.data.serviceSubscriptions.edges.map((e: any) => e.node.id));
      after = page.data.serviceSubscriptions.pageInfo.hasNextPage
        ? page.data.serviceSubscriptions.pageInfo.endCursor
        : null;
    } while (after);
    expect(pages).toEqual(ids);

    const activeOnly = await t.graphql(LIST, { state: ['ACTIVE'], first: 100 }, { as: 'provider@anbieter' });
    expect(activeOnly.data!.serviceSubscriptions.edges.every((e: any) => e.node.state === 'ACTIVE')).toBe(
      true,
    );
    expect(activeOnly.data!.serviceSubscriptions.totalCount).toBeGreaterThan(0);
    const otherService = await t.graphql(
      LIST,
      { serviceId: 'anderer-anbieter/portal' },
      { as: 'coordinator@koordinierung' },
    );
    expect(otherService.data!.serviceSubscriptions.totalCount).toBe(0);
  });

  it('costs the same number of SQL statements for one subscription and for many', async () => {
    const query = `query ($first: Int) { serviceSubscriptions(first: $first) { totalCount edges { node {
      id state plan { name } organisation { name land { name } }
      service { title subscriberCount provider { name } }
      requested { organisation { id } } accepted { organisation { id } } cancelled { organisation { id } }
      events { kind organisation { id } } } } } }`;
    const one = await t.graphql(query, { first: 1 }, { as: 'coordinator@koordinierung' });
    const many = await t.graphql(query, { first: 40 }, { as: 'coordinator@koordinierung' });
    expect(one.errors).toBeUndefined();
    expect(many.errors).toBeUndefined();
    expect(many.data!.serviceSubscriptions.edges.length).toBeGreaterThan(10);
    expect(many.extensions!.sqlStatements).toBe(one.extensions!.sqlStatements);
  });

  it('refuses a bad page size or cursor (BAD_USER_INPUT)', async () => {
    const beyondBigint = Buffer.from('service_subscription:9223372036854775808').toString('base64url');
    // A position in the deliveries' sequence means nothing among subscriptions.
    const ofDeliveries = Buffer.from('subscription_outbox:5').toString('base64url');
    for (const variables of [
      { first: 0 },
      { first: 101 },
      { after: 'bm9wZQ' },
      { after: '!!' },
      { after: beyondBigint },
      { after: ofDeliveries },
    ]) {
      const response = await t.graphql(LIST, variables, { as: 'coordinator@koordinierung' });
      expect(response.errors?.[0]?.extensions.code, JSON.stringify(variables)).toBe('BAD_USER_INPUT');
    }
  });

  it("refuses a subscription list's cursor in the list of deliveries (BAD_USER_INPUT)", async () => {
    await requested();
    const list = await t.graphql(LIST, { first: 1 }, { as: 'coordinator@koordinierung' });
    const response = await t.graphql(
      'query ($after: String) { subscriptionDeliveries(first: 5, after: $after) { totalCount } }',
      { after: list.data!.serviceSubscriptions.pageInfo.endCursor },
      { as: 'coordinator@koordinierung' },
    );
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
  });
});

describe('subscriberCount', () => {
  it('counts organisations with an ACTIVE subscription once, whatever their plans, and is public', async () => {
    await cancelOpen('stadt-kiel');
    await cancelOpen('stadt-luebeck');
    await cancelOpen('hamburg');
    const count = async () =>
      (await t.graphql(`{ service(id: "anbieter/fachverfahren") { subscriberCount } }`)).data!.service
        .subscriberCount;
    expect(await count()).toBe(0);
    await active('stadt-kiel');
    const premium = await requested('stadt-luebeck', { planId: 'premium' });
    expect(await count()).toBe(1);
    await t.graphql(ACCEPT, { id: premium }, { as: 'provider@anbieter' });
    const standard = await t.graphql(
      SUBSCRIBE,
      { serviceId: 'anbieter/fachverfahren', planId: 'standard', key: `lifecycle-${++keys}` },
      { as: 'authority@stadt-luebeck' },
    );
    await t.graphql(ACCEPT, { id: standard.data!.subscribe.id }, { as: 'provider@anbieter' });
    expect(await count()).toBe(2);
  });

  it('is not served stale from the response cache when a subscription changes outside a mutation', async () => {
    const read = async () => {
      const response = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ service(id: "anbieter/fachverfahren") { subscriberCount } }' }),
      });
      const body = (await response.json()) as any;
      return {
        count: body.data.service.subscriberCount as number,
        cache: response.headers.get('x-response-cache'),
      };
    };
    await changesHeard(t); // the earlier tests' change notices are heard before the first answer is read
    const before = await read();
    expect((await read()).cache).toBe('hit');
    // The provider's acceptance written by the domain function, not a GraphQL mutation: only the
    // database's change notification can tell the cache.
    const id = await requested('hamburg');
    await expect.poll(async () => (await read()).count).toBe(before.count);
    await takeStep(t.db, {
      subscriptionId: id,
      step: 'ACCEPT',
      actor: { subject: 'test:anbieter', organisationId: 'anbieter' },
      reason: null,
    });
    await expect.poll(async () => (await read()).count).toBe(before.count + 1);
  });

  it('costs one statement for any number of services', async () => {
    const query = `query ($first: Int) { services(first: $first) { edges { node { id subscriberCount } } } }`;
    const one = await t.graphql(query, { first: 1 });
    const all = await t.graphql(query, { first: 100 });
    expect(all.data!.services.edges.length).toBeGreaterThan(1);
    expect(all.extensions!.sqlStatements).toBe(one.extensions!.sqlStatements);
  });
});
