// A check's validUntil becomes its certificate's `exp`: a date-time that is not RFC 3339 with an offset is
// refused (BAD_USER_INPUT), never guessed at (an impossible date rolled over into the next month, a time
// without an offset read in the gateway host's time zone, free text taken as a date).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COORDINATOR, RECORD_CHECK, evidenceFor } from '../../test/helpers/certification.ts';
import { makeListing, publishAll, registerOrganisation } from '../../test/helpers/listings.ts';
import { startTestServer, type TestServer } from '../../test/helpers/test-server.ts';

let t: TestServer;
const originalTz = process.env.TZ;

beforeAll(async () => {
  t = await startTestServer();
  await registerOrganisation(t.db, 'koordinierungsstelle', 'COORDINATOR', 'DE');
  await registerOrganisation(t.db, 'suedwerk', 'PROVIDER', 'DE-BY');
  await publishAll(t.db, 'suedwerk', [makeListing({ id: 'portal' })]);
});

afterAll(async () => {
  process.env.TZ = originalTz;
  await t?.close();
});

async function record(validUntil: string) {
  return t.graphql(
    RECORD_CHECK,
    {
      input: {
        serviceId: 'suedwerk/portal',
        criterion: 'bsi-c5-type2',
        outcome: 'PASSED',
        ...evidenceFor('suedwerk/portal', 'bsi-c5-type2'),
        validUntil,
      },
    },
    { as: COORDINATOR },
  );
}

describe('recordCheck validUntil', () => {
  it.each([
    ['an impossible date (30 February), stored as 2 March', '2027-02-30T00:00:00Z'],
    ['a date that is not ISO 8601', 'June 30, 2027'],
    ['a bare number', '2027'],
  ])('refuses %s with BAD_USER_INPUT', async (_what, validUntil) => {
    const response = await record(validUntil);
    expect(
      response.errors?.[0]?.extensions.code,
      `accepted as ${JSON.stringify(response.data?.recordCheck?.validUntil)}`,
    ).toBe('BAD_USER_INPUT');
  });

  it('refuses a time without an offset rather than read it in the host time zone', async () => {
    // The gateway of a German authority may well run with TZ=Europe/Berlin.
    process.env.TZ = 'Europe/Berlin';
    try {
      const response = await record('2027-06-30T12:00:00');
      expect(response.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
      expect(response.errors?.[0]?.message).toContain('with its offset');
    } finally {
      process.env.TZ = originalTz;
    }
  });
});
