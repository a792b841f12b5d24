import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeListing, publishAll, registerOrganisation } from '../../test/helpers/listings.ts';
import { startTestServer, type TestServer } from '../../test/helpers/test-server.ts';

// A request costs a constant number of SQL statements whatever the page size: no N+1.
let t: TestServer;

const PAGE = `
  query Page($search: String, $first: Int) {
    services(search: $search, first: $first) {
      totalCount
      facets { themenfeld { value count } provider { value label count } land { value count } operatingModel { value count } }
      edges {
        node {
          id title
          provider { id name serviceCount land { name } }
          ozgLeistungen { id name themenfeld { name } }
          themenfelder { name } availableIn { code } plans { id pricingModel }
        }
      }
    }
  }`;

const OZG = `
  query Ozg {
    ozgLeistungen(search: "Wohngeld") { id services { id provider { name } } }
    providers { id serviceCount }
  }`;

async function statements(query: string, variables: Record<string, unknown>): Promise<number> {
  const response = await t.graphql(query, variables);
  expect(response.errors).toBeUndefined();
  return response.extensions!.sqlStatements!;
}

beforeAll(async () => {
  t = await startTestServer();
  for (const provider of ['eins', 'zwei', 'drei', 'vier', 'fuenf']) {
    await registerOrganisation(t.db, provider);
    await publishAll(
      t.db,
      provider,
      Array.from({ length: 25 }, (_, i) =>
        makeListing({
          id: `wohngeld-${i}`,
          title: `Wohngeld Variante ${i}`,
          ozgIds: ['10092', '10000'],
          availableIn: ['DE-SH', 'DE-BY'],
        }),
      ),
    );
  }
});

afterAll(() => t?.close());

describe('SQL statements per request', () => {
  it('is the same for 1, 10 and 100 services, with search', async () => {
    const counts = [
      await statements(PAGE, { search: 'wohngeld', first: 1 }),
      await statements(PAGE, { search: 'wohngeld', first: 10 }),
      await statements(PAGE, { search: 'wohngeld', first: 100 }),
    ];
    expect(new Set(counts).size).toBe(1);
    // prepare the query, the page with its total and facets, the providers, their service counts
    expect(counts[0]).toBe(4);
  });

  it('is the same for 1, 10 and 100 services, without search', async () => {
    const counts = [
      await statements(PAGE, { first: 1 }),
      await statements(PAGE, { first: 10 }),
      await statements(PAGE, { first: 100 }),
    ];
    expect(new Set(counts).size).toBe(1);
    expect(counts[0]).toBe(4);
  });

  it('batches services of OZG-Leistungen and the service counts of providers', async () => {
    // search, services of all matching OZG-Leistungen, their providers, the provider list, its counts
    expect(await statements(OZG, {})).toBe(5);
  });
});
