// The benchmark's catalogue: listings generated from the real LeiKa-Leistungen
// (catalog-schema/reference/leika-leistungen.csv), each linked to its OZG-Leistung, spread over
// generated providers. Deterministic: the same count gives the same listings on every machine.
import type { Listing } from '../catalog-schema/generated/listing.ts';
import { leikaRows, referenceData } from '../catalog-schema/reference-data.ts';
import type { NewOrganisation } from '../gateway/database/schema.ts';

/** A Land (or DE for the Bund) as a listing names it. */
type LandCode = Listing['availableIn'][number];

/** Listings of one cycle through the LeiKa table get this label in later cycles ("variants"). */
const VARIANTS = [
  '',
  'Onlinedienst',
  'Fachverfahren',
  'Antragsassistent',
  'Bürgerportal',
  'Sachbearbeitung',
  'Serviceportal',
  'Terminvereinbarung',
  'Auskunftsdienst',
  'Kommunalportal',
  'Formularservice',
  'Datenaustausch',
] as const;

const PROVIDER_KINDS = [
  'Kommunales Rechenzentrum',
  'Landesbetrieb IT',
  'Zweckverband Digitale Verwaltung',
  'IT-Dienstleister',
  'Anstalt für Kommunale Datenverarbeitung',
] as const;

const INTERFACES = [
  { kind: 'FIT_CONNECT', name: 'FIT-Connect', version: '1.0' },
  { kind: 'XOEV', name: 'XBau', version: '2.3' },
  { kind: 'XOEV', name: 'XMeld', version: '3.5' },
  { kind: 'XOEV', name: 'XPersonenstand', version: '1.8' },
  { kind: 'API', name: 'OpenAPI', version: '3.1' },
] as const;

/** A small deterministic pseudo-random generator (mulberry32), so that every run loads the same data. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(next: () => number, values: readonly T[]): T {
  return values[Math.floor(next() * values.length)]!;
}

/** The providers of the benchmark: `bench-p01` … , each in one Land (or the Bund). */
export function benchProviders(count: number): NewOrganisation[] {
  const laender = [...referenceData().laender.values()];
  return Array.from({ length: count }, (_, i) => {
    const land = laender[i % laender.length]!;
    const number = String(i + 1).padStart(2, '0');
    return {
      id: `bench-p${number}`,
      kind: 'PROVIDER' as const,
      name: `${PROVIDER_KINDS[i % PROVIDER_KINDS.length]} ${land.name} ${number}`,
      land: land.code,
      regionalschluessel: null,
    };
  });
}

export interface BenchListing {
  providerId: string;
  listing: Listing;
}

/**
 * `count` listings: the LeiKa table in order, then again as variants ("Onlinedienst",
 * "Fachverfahren", …) until the count is reached. Listing i belongs to provider i mod providers.
 */
export function benchListings(count: number, providers: readonly NewOrganisation[]): BenchListing[] {
  const ref = referenceData();
  const rows = leikaRows().filter((row) => ref.ozgLeistungen.has(row.ozgId) && row.name.length >= 3);
  const laender = [...ref.laender.keys()] as LandCode[];
  const result: BenchListing[] = [];
  for (let i = 0; i < count; i++) {
    const row = rows[i % rows.length]!;
    const cycle = Math.floor(i / rows.length);
    const next = random(i + 1);
    const provider = providers[i % providers.length]!;
    const leistung = ref.ozgLeistungen.get(row.ozgId)!;
    const variant = VARIANTS[cycle % VARIANTS.length]!;
    const suffix = cycle >= VARIANTS.length ? ` ${Math.floor(cycle / VARIANTS.length) + 1}` : '';
    const title = (variant ? `${row.name} – ${variant}${suffix}` : row.name).slice(0, 200);
    const home = (provider.land ?? 'DE') as LandCode;
    const availableIn = [...new Set([home, ...laender.filter(() => next() < 0.15)])];
    const efa = next() < 0.3;
    const operatingModel = pick(next, ['SAAS', 'SAAS', 'SAAS', 'CONTAINER', 'HYBRID'] as const);
    const schutzbedarf = pick(next, ['NORMAL', 'NORMAL', 'HIGH', 'HIGH', 'VERY_HIGH'] as const);
    const planCount = 1 + Math.floor(next() * 3);
    const listing: Listing = {
      id: `leika-${i % rows.length}-v${cycle}`,
      version: `${1 + cycle}.${Math.floor(next() * 10)}.0`,
      title,
      summary: `${row.name}: ${variant || 'Onlinedienst'} für Behörden in ${ref.laender.get(home)?.name ?? home}, Teil der OZG-Leistung „${leistung.name}“.`,
      description:
        `Der Dienst „${title}“ setzt die LeiKa-Leistung ${row.name} digital um. ` +
        `Er gehört zur OZG-Leistung ${leistung.name} im Themenfeld ${leistung.themenfeld.name} ` +
        `(Lebenslage ${leistung.lebenslage.name}). Anträge werden medienbruchfrei gestellt, ` +
        `Nachweise hochgeladen und Bescheide elektronisch zugestellt. Der Betrieb erfolgt durch ` +
        `${provider.name}; die Anbindung an Fachverfahren ist über Standardschnittstellen möglich.`,
      keywords: [...new Set([leistung.lebenslage.name, leistung.themenfeld.name])].filter(
        (k) => k.length >= 2 && k.length <= 60,
      ),
      ozgIds: [row.ozgId],
      ...(row.key && ref.leikaLeistungen.has(row.key) ? { leikaKeys: [row.key] } : {}),
      efa,
      ...(efa ? { developingLand: home } : {}),
      availableIn,
      operatingModel,
      hostingLocation: next() < 0.9 ? 'DE' : 'EU',
      schutzbedarf,
      interfaces: INTERFACES.filter(() => next() < 0.3).map((x) => ({ ...x })),
      ...(next() < 0.4
        ? {
            licence: {
              spdx: 'EUPL-1.2',
              sourceRepository: `https://gitlab.opencode.de/${provider.id}/leika-${i % rows.length}`,
            },
          }
        : {}),
      accessibility: { conformance: pick(next, ['FULL', 'PARTIAL', 'NONE'] as const) },
      plans: Array.from({ length: planCount }, (_, p) => ({
        id: ['basis', 'standard', 'premium'][p]!,
        name: ['Basis', 'Standard', 'Premium'][p]!,
        pricingModel: pick(next, ['FLAT', 'PER_CASE', 'PER_INHABITANT', 'EFA_COST_SHARE'] as const),
        priceEur: Math.round(next() * 5000) / 100,
      })),
      contact: {
        name: `Servicedesk ${provider.name}`.slice(0, 200),
        email: `servicedesk@${provider.id}.example`,
      },
      documentation: [
        { title: 'Anschlussleitfaden', url: `https://docs.${provider.id}.example/leika-${i % rows.length}` },
      ],
    };
    result.push({ providerId: provider.id, listing });
  }
  return result;
}
