// The criteria catalogue of the coordination office, as reference data under version control. A stored
// version never changes: to change a criterion or a profile, append a new version here (and a new
// profile version that requires it). sync-criteria-catalogue.ts refuses a changed definition that kept
// its version number.
import { contentHash } from '../catalog-schema/canonical-json.ts';
import type { ListingRequirements } from './schema.ts';

export interface CriterionDefinition {
  id: string;
  version: number;
  title: string;
  description: string;
  /** What a provider hands in so that the coordination office can record a check. */
  evidence: string;
  /** How long a PASSED check stays valid unless the check names another date. */
  defaultValidityDays: number;
}

export interface ProfileDefinition {
  id: string;
  version: number;
  title: string;
  description: string;
  criteria: { id: string; version: number }[];
  listingRequirements: ListingRequirements;
}

export const CRITERIA: readonly CriterionDefinition[] = [
  {
    id: 'bsi-c5-type2',
    version: 1,
    title: 'BSI C5 – Testat Typ 2',
    description:
      'Der Cloud-Dienst erfüllt die Basiskriterien des Cloud Computing Compliance Criteria Catalogue (C5:2020) des BSI. Ein Prüfer hat nicht nur die Angemessenheit, sondern über einen Prüfzeitraum von mindestens sechs Monaten auch die Wirksamkeit der Kontrollen bestätigt (Typ 2).',
    evidence:
      'C5-Prüfbericht Typ 2 eines Wirtschaftsprüfers (ISAE 3000), Prüfzeitraum und Prüfgegenstand müssen den angebotenen Dienst abdecken; Stellungnahme zu den korrespondierenden Kontrollen beim Kunden.',
    defaultValidityDays: 365,
  },
  {
    id: 'iso27001-grundschutz',
    version: 1,
    title: 'ISO 27001 auf der Basis von IT-Grundschutz',
    description:
      'Der Betrieb des Dienstes ist vom BSI nach ISO 27001 auf der Basis von IT-Grundschutz zertifiziert. Das Zertifikat gilt drei Jahre; jährliche Überwachungsaudits halten es aufrecht, daher gilt die Prüfung ein Jahr.',
    evidence:
      'BSI-Zertifikat mit Zertifizierungsnummer und Geltungsbereich, der den Dienst umfasst; Bericht des letzten Zertifizierungs- oder Überwachungsaudits.',
    defaultValidityDays: 365,
  },
  {
    id: 'dsgvo-avv',
    version: 1,
    title: 'Auftragsverarbeitungsvertrag nach Art. 28 DSGVO',
    description:
      'Der Anbieter bietet einen Vertrag zur Auftragsverarbeitung nach Art. 28 DSGVO an, mit technischen und organisatorischen Maßnahmen nach Art. 32 DSGVO und einer vollständigen Liste der Unterauftragsverarbeiter.',
    evidence:
      'Muster des Auftragsverarbeitungsvertrags, Anlage der technischen und organisatorischen Maßnahmen, Liste der Unterauftragsverarbeiter mit Sitz und Verarbeitungsort.',
    defaultValidityDays: 730,
  },
  {
    id: 'data-location-eu',
    version: 1,
    title: 'Datenverarbeitung in Deutschland oder der EU',
    description:
      'Alle Daten des Dienstes, auch Sicherungen, Protokolle und Fernwartung, werden ausschließlich in Deutschland oder in einem Mitgliedstaat der EU verarbeitet; es findet keine Übermittlung in Drittländer statt.',
    evidence:
      'Erklärung des Anbieters mit den Standorten der Rechenzentren und Sicherungen, der Orte der Fernwartung und der Unterauftragsverarbeiter; Nachweis, dass keine Drittlandübermittlung stattfindet.',
    defaultValidityDays: 365,
  },
  {
    id: 'open-source-licence',
    version: 1,
    title: 'Open-Source-Lizenz und öffentlicher Quellcode',
    description:
      'Die Software des Dienstes steht unter einer von der OSI anerkannten Open-Source-Lizenz (mit SPDX-Kennung angegeben), und ihr Quellcode ist auf einer öffentlichen Code-Plattform wie openCode verfügbar.',
    evidence:
      'SPDX-Kennung der Lizenz, Adresse des öffentlichen Quellcode-Repositorys, Nachweis, dass die ausgelieferte Version aus diesem Quellcode gebaut wird (Tag oder Commit).',
    defaultValidityDays: 730,
  },
  {
    id: 'oci-container',
    version: 1,
    title: 'OCI-Container, auf Kubernetes betreibbar',
    description:
      'Der Dienst wird als OCI-konforme Container-Images ausgeliefert und lässt sich mit den mitgelieferten Manifesten oder Helm-Charts auf einer Kubernetes-Plattform der Deutschen Verwaltungscloud betreiben.',
    evidence:
      'Image-Referenzen mit Digest, Helm-Chart oder Kubernetes-Manifeste, Protokoll einer Testinstallation auf einer Kubernetes-Referenzplattform.',
    defaultValidityDays: 365,
  },
  {
    id: 'bitv-2',
    version: 1,
    title: 'Barrierefreiheit nach BITV 2.0',
    description:
      'Die Benutzungsoberfläche erfüllt die Barrierefreie-Informationstechnik-Verordnung (BITV 2.0) und damit EN 301 549; eine Erklärung zur Barrierefreiheit ist veröffentlicht.',
    evidence:
      'Prüfbericht eines BITV-Tests (Prüfstelle und Datum), Adresse der veröffentlichten Erklärung zur Barrierefreiheit mit Feedback-Mechanismus.',
    defaultValidityDays: 730,
  },
  {
    id: 'fit-connect-xoev',
    version: 1,
    title: 'Schnittstellen über FIT-Connect oder XÖV',
    description:
      'Der Dienst übermittelt Anträge und Nachrichten über FIT-Connect oder nach einem XÖV-Standard (etwa XBau, XMeld, XSozial) in einer im XRepository veröffentlichten Version.',
    evidence:
      'Registrierung als Sender oder Zustelldienst bei FIT-Connect oder Konformitätsnachweis für den XÖV-Standard mit Versionsangabe; Beispielnachrichten.',
    defaultValidityDays: 730,
  },
  {
    id: 'efa-mindestanforderungen',
    version: 1,
    title: 'EfA-Mindestanforderungen',
    description:
      'Der Onlinedienst erfüllt die vom IT-Planungsrat beschlossenen EfA-Mindestanforderungen: Nachnutzbarkeit durch andere Länder, Anbindung an Nutzerkonten und Postfach, Übergabe an die zuständige Stelle, Kostenverteilung und Betriebsverantwortung geregelt.',
    evidence:
      'Selbsterklärung des entwickelnden Landes zu den EfA-Mindestanforderungen, Nachnutzungsvereinbarung (etwa über den FIT-Store), Betriebskonzept.',
    defaultValidityDays: 365,
  },
];

export const PROFILES: readonly ProfileDefinition[] = [
  {
    id: 'dvs-basis',
    version: 1,
    title: 'Deutsche Verwaltungscloud – Basis',
    description:
      'Cloud-Dienste für normalen Schutzbedarf: geprüfte Informationssicherheit (C5), Auftragsverarbeitung, Datenverarbeitung in Deutschland oder der EU, offene Software und Betrieb in Containern.',
    criteria: [
      { id: 'bsi-c5-type2', version: 1 },
      { id: 'dsgvo-avv', version: 1 },
      { id: 'data-location-eu', version: 1 },
      { id: 'open-source-licence', version: 1 },
      { id: 'oci-container', version: 1 },
    ],
    listingRequirements: {},
  },
  {
    id: 'dvs-hoch',
    version: 1,
    title: 'Deutsche Verwaltungscloud – Schutzbedarf hoch',
    description:
      'Cloud-Dienste für hohen Schutzbedarf: alle Kriterien der Basis und ein ISO-27001-Zertifikat auf der Basis von IT-Grundschutz. Der Dienst muss mindestens hohen Schutzbedarf unterstützen.',
    criteria: [
      { id: 'bsi-c5-type2', version: 1 },
      { id: 'iso27001-grundschutz', version: 1 },
      { id: 'dsgvo-avv', version: 1 },
      { id: 'data-location-eu', version: 1 },
      { id: 'open-source-licence', version: 1 },
      { id: 'oci-container', version: 1 },
    ],
    listingRequirements: { minSchutzbedarf: 'HIGH' },
  },
  {
    id: 'efa',
    version: 1,
    title: 'EfA-Onlinedienst',
    description:
      'Onlinedienste nach dem Prinzip „Einer für Alle“: EfA-Mindestanforderungen, Barrierefreiheit, standardisierte Übergabe an die Fachverfahren, Auftragsverarbeitung und Datenverarbeitung in Deutschland oder der EU.',
    criteria: [
      { id: 'efa-mindestanforderungen', version: 1 },
      { id: 'bitv-2', version: 1 },
      { id: 'fit-connect-xoev', version: 1 },
      { id: 'dsgvo-avv', version: 1 },
      { id: 'data-location-eu', version: 1 },
    ],
    listingRequirements: { efa: true },
  },
];

/** The hash that pins a definition's content to its version number. */
export function definitionHash(definition: CriterionDefinition | ProfileDefinition): string {
  return contentHash(definition);
}

function newest<T extends { id: string; version: number }>(items: readonly T[]): Map<string, T> {
  const byId = new Map<string, T>();
  for (const item of items) {
    const seen = byId.get(item.id);
    if (!seen || item.version > seen.version) byId.set(item.id, item);
  }
  return byId;
}

/** The newest version of every criterion, by id. */
export function currentCriteria(): Map<string, CriterionDefinition> {
  return newest(CRITERIA);
}

/** The newest version of every profile, by id. */
export function currentProfiles(): Map<string, ProfileDefinition> {
  return newest(PROFILES);
}

/**
 * The catalogue's own rules, checked at start: ids and versions unique, every profile names existing
 * criterion versions, and every current profile requires the current version of its criteria (checks
 * are always recorded against the current version, so an older one could never be satisfied).
 */
export function assertConsistentCatalogue(
  criteria: readonly CriterionDefinition[] = CRITERIA,
  profiles: readonly ProfileDefinition[] = PROFILES,
): void {
  const keys = new Set<string>();
  for (const c of criteria) {
    const key = `criterion ${c.id}@${c.version}`;
    if (keys.has(key)) throw new Error(`criteria catalogue: ${key} is defined twice`);
    keys.add(key);
  }
  for (const p of profiles) {
    const key = `profile ${p.id}@${p.version}`;
    if (keys.has(key)) throw new Error(`criteria catalogue: ${key} is defined twice`);
    keys.add(key);
    for (const ref of p.criteria) {
      if (!keys.has(`criterion ${ref.id}@${ref.version}`))
        throw new Error(`criteria catalogue: ${key} requires unknown criterion ${ref.id}@${ref.version}`);
    }
  }
  const current = newest(criteria);
  for (const p of newest(profiles).values()) {
    for (const ref of p.criteria) {
      const latest = current.get(ref.id)!;
      if (latest.version !== ref.version)
        throw new Error(
          `criteria catalogue: profile ${p.id}@${p.version} requires ${ref.id}@${ref.version}, but the current version is ${latest.version}; add a new profile version`,
        );
    }
  }
}
