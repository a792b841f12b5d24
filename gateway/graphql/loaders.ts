import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import { certificatesById, certificatesOfServices } from '../../certification/certificates.ts';
import { loadCriteriaCatalogue, type CriteriaCatalogue } from '../../certification/criteria.ts';
import type { CertificateRow } from '../../certification/schema.ts';
import type { Database } from '../database/database.ts';
import type { OrganisationRow, ServiceRow } from '../database/schema.ts';
import { organisationsById } from '../catalog/organisations.ts';
import { serviceColumnsText } from '../catalog/service-columns.ts';
import { readRows } from '../database/statement-counter.ts';

/** Per-request batching: each loader turns the lookups of one request into one statement. */
export interface Loaders {
  organisation: DataLoader<string, OrganisationRow | null>;
  service: DataLoader<string, ServiceRow | null>;
  activeServiceCount: DataLoader<string, number>;
  /** The first `first` ACTIVE services of an OZG-Leistung, by title (German order, title-sort-key.ts). */
  activeServicesByOzgId: DataLoader<{ ozgId: string; first: number }, ServiceRow[], string>;
  /** Certificates by service id, newest first (certification status is computed from them). */
  certificatesByService: DataLoader<string, CertificateRow[]>;
  certificate: DataLoader<string, CertificateRow | null>;
  /** The whole stored criteria catalogue, every version; one key, `all`. */
  criteriaCatalogue: DataLoader<'all', CriteriaCatalogue>;
}

// The loaders' reads: fixed texts with array parameters, run by readRows (statement-counter.ts), which
// sends them past kysely's executor on the request's view (every request reads through loaders).
const SERVICES_BY_ID = `select ${serviceColumnsText('s')} from service s where s.id = any($1::text[])`;

const ACTIVE_SERVICE_COUNTS = `select provider_id, count(*)::int as count from service
  where status = 'ACTIVE' and provider_id = any($1::text[]) group by provider_id`;

const ACTIVE_SERVICES_BY_OZG_ID = `select o.id as ozg_key, s.*
  from unnest($1::text[]) as o(id)
  cross join lateral (
    select ${serviceColumnsText('s')} from service s
    where s.status = 'ACTIVE' and s.ozg_ids @> array[o.id]
    order by s.title_sort, s.title, s.id
    limit $2
  ) s
  order by o.id, s.title_sort, s.title, s.id`;

export function createLoaders(db: Kysely<Database>): Loaders {
  return {
    organisation: new DataLoader(async (ids) => {
      const rows = await organisationsById(db, ids);
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    service: new DataLoader(async (ids) => {
      const rows = await readRows<ServiceRow>(db, SERVICES_BY_ID, [[...ids]]);
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    activeServiceCount: new DataLoader(async (providerIds) => {
      const rows = await readRows<{ provider_id: string; count: number }>(db, ACTIVE_SERVICE_COUNTS, [
        [...providerIds],
      ]);
      const byId = new Map(rows.map((r) => [r.provider_id, r.count]));
      return providerIds.map((id) => byId.get(id) ?? 0);
    }),
    // One statement for every OZG-Leistung of the request, each bounded: an OZG-Leistung may have
    // thousands of implementations, and a query over all of them must not load the catalogue.
    activeServicesByOzgId: new DataLoader(
      async (keys) => {
        const ozgIds = [...new Set(keys.map((k) => k.ozgId))];
        const limit = Math.max(...keys.map((k) => k.first));
        const rows = await readRows<ServiceRow & { ozg_key: string }>(db, ACTIVE_SERVICES_BY_OZG_ID, [
          ozgIds,
          limit,
        ]);
        const byOzgId = new Map<string, ServiceRow[]>();
        for (const { ozg_key, ...row } of rows) {
          const list = byOzgId.get(ozg_key) ?? [];
          list.push(row);
          byOzgId.set(ozg_key, list);
        }
        return keys.map((k) => (byOzgId.get(k.ozgId) ?? []).slice(0, k.first));
      },
      { cacheKeyFn: (k) => `${k.first} ${k.ozgId}` },
    ),
    certificatesByService: new DataLoader(async (serviceIds) => {
      const rows = await certificatesOfServices(db, serviceIds);
      return serviceIds.map((id) => rows.filter((r) => r.service_id === id));
    }),
    certificate: new DataLoader(async (ids) => {
      const byId = new Map((await certificatesById(db, ids)).map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    criteriaCatalogue: new DataLoader(async (keys) => {
      const catalogue = await loadCriteriaCatalogue(db);
      return keys.map(() => catalogue);
    }),
  };
}
