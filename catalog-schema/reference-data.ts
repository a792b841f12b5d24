import { readFileSync } from 'node:fs';
import { parseCsv } from './csv.ts';

export type LandLevel = 'BUND' | 'LAND';

export interface Land {
  /** ISO 3166-2 code (`DE-SH`), or `DE` for the Bund. */
  code: string;
  name: string;
  level: LandLevel;
}

export interface Themenfeld {
  id: string;
  name: string;
}

export interface Lebenslage {
  id: string;
  name: string;
}

export interface OzgLeistung {
  /** The OZG-ID, 10000–10601. */
  id: string;
  name: string;
  lebenslage: Lebenslage;
  themenfeld: Themenfeld;
}

export interface LeikaLeistung {
  /** The 14-digit LeiKa key. */
  key: string;
  name: string;
  /** The OZG-Leistung it belongs to; null for the LeiKa-Leistungen the OZG catalogue assigns none. */
  ozgId: string | null;
}

/** The reference data every listing is checked against; read once from catalog-schema/reference/. */
export interface ReferenceData {
  laender: ReadonlyMap<string, Land>;
  themenfelder: ReadonlyMap<string, Themenfeld>;
  lebenslagen: ReadonlyMap<string, Lebenslage>;
  ozgLeistungen: ReadonlyMap<string, OzgLeistung>;
  leikaLeistungen: ReadonlyMap<string, LeikaLeistung>;
}

const UMLAUTS: Record<string, string> = { ä: 'ae', ö: 'oe', ü: 'ue', ß: 'ss' };

/** Derives a stable id from a German name: `Bauen & Wohnen` → `bauen-wohnen`. */
export function slugify(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[äöüß]/g, (c) => UMLAUTS[c] ?? c)
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function absent(value: string | undefined): boolean {
  return value === undefined || value.trim() === '' || value.trim() === 'NULL';
}

function readReference(name: string): string {
  return readFileSync(new URL(`./reference/${name}`, import.meta.url), 'utf8');
}

let cached: ReferenceData | undefined;

/** Returns the reference data, reading the files on first use. */
export function referenceData(): ReferenceData {
  cached ??= loadReferenceData();
  return cached;
}

function loadReferenceData(): ReferenceData {
  const laender = new Map<string, Land>();
  for (const land of JSON.parse(readReference('laender.json')) as Land[]) laender.set(land.code, land);

  const themenfelder = new Map<string, Themenfeld>();
  const lebenslagen = new Map<string, Lebenslage>();
  const ozgLeistungen = new Map<string, OzgLeistung>();
  for (const row of parseCsv(readReference('ozg-leistungen.csv'))) {
    const themenfeldName = (row.themenfeld ?? '').trim();
    const lebenslageName = (row.lebenslage ?? '').trim();
    const id = (row.ozg_id ?? '').trim();
    if (!/^1[0-9]{4}$/.test(id) || absent(row.ozg_leistung) || !themenfeldName || !lebenslageName) continue;
    const themenfeld = themenfelder.get(slugify(themenfeldName)) ?? {
      id: slugify(themenfeldName),
      name: themenfeldName,
    };
    themenfelder.set(themenfeld.id, themenfeld);
    const lebenslage = lebenslagen.get(slugify(lebenslageName)) ?? {
      id: slugify(lebenslageName),
      name: lebenslageName,
    };
    lebenslagen.set(lebenslage.id, lebenslage);
    ozgLeistungen.set(id, { id, name: (row.ozg_leistung ?? '').trim(), lebenslage, themenfeld });
  }

  const leikaLeistungen = new Map<string, LeikaLeistung>();
  for (const row of parseCsv(readReference('leika-leistungen.csv'))) {
    const key = (row.leika_key ?? '').trim();
    const ozgId = (row.ozg_id ?? '').trim();
    // Rows without a real 14-digit key ("nicht im LeiKa", upstream test rows) cannot be referenced.
    // A key is a LeiKa-Leistung whether or not the OZG catalogue assigns it an OZG-Leistung.
    if (!/^[0-9]{14}$/.test(key)) continue;
    leikaLeistungen.set(key, {
      key,
      name: (row.name ?? '').trim(),
      ozgId: ozgLeistungen.has(ozgId) ? ozgId : null,
    });
  }

  return { laender, themenfelder, lebenslagen, ozgLeistungen, leikaLeistungen };
}

/** Reads every row of the LeiKa table, including those without a LeiKa key (for demo and benchmark data). */
export function leikaRows(): { key: string | null; name: string; ozgId: string }[] {
  return parseCsv(readReference('leika-leistungen.csv')).map((row) => ({
    key: /^[0-9]{14}$/.test((row.leika_key ?? '').trim()) ? (row.leika_key ?? '').trim() : null,
    name: (row.name ?? '').trim(),
    ozgId: (row.ozg_id ?? '').trim(),
  }));
}
