// The demo catalogue: real public IT service providers and authorities, with listings invented for
// demonstration (the offerings, prices and contacts are not those providers' real ones). The
// OZG-Leistungen the listings reference are real (catalog-schema/reference/ozg-leistungen.csv).
import type { Listing } from '../../catalog-schema/generated/listing.ts';
import type { NewOrganisation } from '../../gateway/database/schema.ts';

export const DEMO_ORGANISATIONS: NewOrganisation[] = [
  {
    id: 'koordinierungsstelle',
    kind: 'COORDINATOR',
    name: 'Koordinierungsstelle Deutsche Verwaltungscloud',
    land: 'DE',
    regionalschluessel: null,
  },
  { id: 'dataport', kind: 'PROVIDER', name: 'Dataport AöR', land: 'DE-SH', regionalschluessel: null },
  {
    id: 'akdb',
    kind: 'PROVIDER',
    name: 'AKDB – Anstalt für Kommunale Datenverarbeitung in Bayern',
    land: 'DE-BY',
    regionalschluessel: null,
  },
  { id: 'komm-one', kind: 'PROVIDER', name: 'Komm.ONE', land: 'DE-BW', regionalschluessel: null },
  { id: 'itebo', kind: 'PROVIDER', name: 'ITEBO GmbH', land: 'DE-NI', regionalschluessel: null },
  { id: 'ekom21', kind: 'PROVIDER', name: 'ekom21 – KGRZ Hessen', land: 'DE-HE', regionalschluessel: null },
  { id: 'it-nrw', kind: 'PROVIDER', name: 'IT.NRW', land: 'DE-NW', regionalschluessel: null },
  {
    id: 'itzbund',
    kind: 'PROVIDER',
    name: 'ITZBund – Informationstechnikzentrum Bund',
    land: 'DE',
    regionalschluessel: null,
  },
  // These two keep their listings on their own provider node (services/provider-node/demo/), which
  // the gateway harvests in demo mode.
  {
    id: 'kdo',
    kind: 'PROVIDER',
    name: 'KDO – Kommunale Datenverarbeitung Oldenburg',
    land: 'DE-NI',
    regionalschluessel: null,
  },
  {
    id: 'regio-it',
    kind: 'PROVIDER',
    name: 'regio iT gesellschaft für informationstechnologie mbh',
    land: 'DE-NW',
    regionalschluessel: null,
  },
  {
    id: 'stadt-kiel',
    kind: 'AUTHORITY',
    name: 'Landeshauptstadt Kiel',
    land: 'DE-SH',
    regionalschluessel: '010020000000',
  },
  {
    id: 'stadt-muenchen',
    kind: 'AUTHORITY',
    name: 'Landeshauptstadt München',
    land: 'DE-BY',
    regionalschluessel: '091620000000',
  },
  {
    id: 'stadt-osnabrueck',
    kind: 'AUTHORITY',
    name: 'Stadt Osnabrück',
    land: 'DE-NI',
    regionalschluessel: '034040000000',
  },
  {
    id: 'stadt-darmstadt',
    kind: 'AUTHORITY',
    name: 'Wissenschaftsstadt Darmstadt',
    land: 'DE-HE',
    regionalschluessel: '064110000000',
  },
  {
    id: 'stadt-leipzig',
    kind: 'AUTHORITY',
    name: 'Stadt Leipzig',
    land: 'DE-SN',
    regionalschluessel: '147130000000',
  },
  {
    id: 'bmi',
    kind: 'AUTHORITY',
    name: 'Bundesministerium des Innern',
    land: 'DE',
    regionalschluessel: null,
  },
];

const ALL_LAENDER: Listing['availableIn'] = [
  'DE-BW',
  'DE-BY',
  'DE-BE',
  'DE-BB',
  'DE-HB',
  'DE-HH',
  'DE-HE',
  'DE-MV',
  'DE-NI',
  'DE-NW',
  'DE-RP',
  'DE-SL',
  'DE-SN',
  'DE-ST',
  'DE-SH',
  'DE-TH',
];
const NORD: Listing['availableIn'] = ['DE-SH', 'DE-HH', 'DE-HB', 'DE-ST', 'DE-MV', 'DE-NI'];

const CONTACTS: Record<string, Listing['contact']> = {
  dataport: {
    name: 'Dataport Vertrieb Kommunen',
    email: 'vertrieb@dataport.example',
    phone: '+49 431 3295 0',
  },
  akdb: { name: 'AKDB Kundenservice', email: 'kundenservice@akdb.example', phone: '+49 89 5903 0' },
  'komm-one': { name: 'Komm.ONE Kundenbetreuung', email: 'kunden@komm.one.example' },
  itebo: { name: 'ITEBO Vertrieb', email: 'vertrieb@itebo.example', phone: '+49 541 9631 0' },
  ekom21: { name: 'ekom21 Kundenmanagement', email: 'kundenmanagement@ekom21.example' },
  'it-nrw': { name: 'IT.NRW Servicedesk', email: 'servicedesk@it.nrw.example' },
  itzbund: { name: 'ITZBund Produktmanagement', email: 'produkte@itzbund.example' },
};

interface Offer {
  provider: string;
  id: string;
  title: string;
  summary: string;
  description: string;
  keywords?: string[];
  ozgIds?: string[];
  themenfelder?: string[];
  efaLand?: Listing['developingLand'];
  availableIn?: Listing['availableIn'];
  operatingModel?: Listing['operatingModel'];
  hostingLocation?: Listing['hostingLocation'];
  schutzbedarf?: Listing['schutzbedarf'];
  interfaces?: Listing['interfaces'];
  licence?: Listing['licence'];
  plans?: Listing['plans'];
}

const FIT_CONNECT: NonNullable<Listing['interfaces']>[number] = {
  kind: 'FIT_CONNECT',
  name: 'FIT-Connect',
  version: '1.0',
};
const XOEV = (name: string, version: string): NonNullable<Listing['interfaces']>[number] => ({
  kind: 'XOEV',
  name,
  version,
});

const EFA_PLANS: Listing['plans'] = [
  {
    id: 'efa-nachnutzung',
    name: 'EfA-Nachnutzung',
    pricingModel: 'EFA_COST_SHARE',
    terms: 'Kostenbeteiligung nach Königsteiner Schlüssel über die FIT-Store-Vereinbarung.',
  },
];
const PER_CASE = (price: number): Listing['plans'] => [
  {
    id: 'standard',
    name: 'Standard',
    pricingModel: 'PER_CASE',
    priceEur: price,
    terms: 'Abrechnung je abgeschlossenem Antrag, monatlich.',
  },
  {
    id: 'pauschal',
    name: 'Jahrespauschale',
    pricingModel: 'FLAT',
    priceEur: price * 900,
    terms: 'Unbegrenzte Fallzahl, Laufzeit zwölf Monate.',
  },
];
const PER_INHABITANT = (price: number): Listing['plans'] => [
  {
    id: 'einwohner',
    name: 'Nach Einwohnerzahl',
    pricingModel: 'PER_INHABITANT',
    priceEur: price,
    terms: 'Jährlich je Einwohnerin und Einwohner der Kommune.',
  },
];

const OFFERS: Offer[] = [
  // Wohngeld
  {
    provider: 'dataport',
    id: 'wohngeld-digital',
    title: 'Wohngeld Digital',
    summary:
      'Wohngeld online beantragen: Mietzuschuss und Lastenzuschuss als EfA-Onlinedienst mit Übergabe an das Fachverfahren.',
    description:
      'Bürgerinnen und Bürger stellen Anträge auf Wohngeld (Mietzuschuss oder Lastenzuschuss) vollständig digital. Der Onlinedienst prüft Angaben zu Haushalt, Einkommen und Miete, nimmt Nachweise entgegen und übermittelt den Antrag über FIT-Connect an die zuständige Wohngeldbehörde. Weiterleitungsanträge und Änderungsmitteilungen sind enthalten.',
    keywords: ['Mietzuschuss', 'Lastenzuschuss', 'Wohngeldantrag'],
    ozgIds: ['10092'],
    efaLand: 'DE-SH',
    availableIn: ALL_LAENDER,
    interfaces: [FIT_CONNECT, XOEV('XSozial', '2.1')],
    plans: EFA_PLANS,
    schutzbedarf: 'HIGH',
  },
  {
    provider: 'akdb',
    id: 'wohngeld-fachverfahren',
    title: 'OK.WOHNGELD – Fachverfahren Wohngeld',
    summary: 'Fachverfahren für Wohngeldbehörden: Bearbeitung, Berechnung und Bescheid von Wohngeldanträgen.',
    description:
      'Das Fachverfahren unterstützt Wohngeldstellen bei der Bearbeitung von Wohngeldanträgen: Berechnung nach dem Wohngeldgesetz, Bescheiderstellung, Datenabgleich und Statistik. Anträge aus Onlinediensten werden über FIT-Connect empfangen.',
    keywords: ['Wohngeldstelle', 'WoGG'],
    ozgIds: ['10092'],
    availableIn: ['DE-BY', 'DE-BW', 'DE-TH', 'DE-SN'],
    operatingModel: 'HYBRID',
    interfaces: [FIT_CONNECT],
    plans: PER_INHABITANT(0.12),
    schutzbedarf: 'HIGH',
  },
  {
    provider: 'ekom21',
    id: 'wohngeld-antragsassistent',
    title: 'Antragsassistent Wohngeld Hessen',
    summary: 'Geführter Online-Antrag für Wohngeld mit Vorprüfung der Anspruchsvoraussetzungen.',
    description:
      'Der Antragsassistent führt Antragstellende Schritt für Schritt durch den Wohngeldantrag, berechnet eine unverbindliche Vorschau des Anspruchs und übergibt die Daten an das kommunale Fachverfahren.',
    keywords: ['Wohngeldrechner'],
    ozgIds: ['10092'],
    availableIn: ['DE-HE'],
    plans: PER_CASE(4.5),
  },
  // Elterngeld
  {
    provider: 'itzbund',
    id: 'elterngeld-digital',
    title: 'ElterngeldDigital',
    summary: 'Elterngeld und ElterngeldPlus online beantragen, mit Partnerschaftsbonus und Nachweis-Upload.',
    description:
      'ElterngeldDigital ermöglicht Eltern, Anträge auf Elterngeld, ElterngeldPlus und Partnerschaftsbonus online zu stellen. Der Dienst führt durch die Planung der Bezugsmonate und übermittelt den Antrag an die zuständige Elterngeldstelle des Landes.',
    keywords: ['ElterngeldPlus', 'Partnerschaftsbonus', 'Elternzeit'],
    ozgIds: ['10000'],
    efaLand: 'DE',
    availableIn: ALL_LAENDER,
    interfaces: [FIT_CONNECT],
    plans: EFA_PLANS,
    schutzbedarf: 'HIGH',
  },
  {
    provider: 'komm-one',
    id: 'elterngeldstelle',
    title: 'Fachverfahren Elterngeldstelle',
    summary: 'Bearbeitung von Elterngeldanträgen in Landes- und Kommunalbehörden.',
    description:
      'Das Fachverfahren berechnet Elterngeld nach dem BEEG, verwaltet Bezugszeiträume und erzeugt Bescheide. Anträge aus ElterngeldDigital werden automatisch übernommen.',
    keywords: ['BEEG'],
    ozgIds: ['10000'],
    availableIn: ['DE-BW'],
    operatingModel: 'SAAS',
    plans: PER_CASE(6),
  },
  // Bauantrag
  {
    provider: 'komm-one',
    id: 'digitaler-bauantrag',
    title: 'Digitaler Bauantrag',
    summary: 'Bauanträge und Bauvoranfragen online einreichen, mit digitaler Beteiligung der Fachbehörden.',
    description:
      'Bauherrinnen, Bauherren und Entwurfsverfassende reichen Bauanträge, Bauvoranfragen und Bauanzeigen digital bei der unteren Baurechtsbehörde ein. Pläne und Nachweise werden hochgeladen; die Beteiligung der Träger öffentlicher Belange erfolgt im Verfahren. Datenaustausch nach XBau.',
    keywords: ['Baugenehmigung', 'Bauvoranfrage', 'Baurechtsbehörde'],
    ozgIds: ['10519'],
    efaLand: 'DE-MV',
    availableIn: ALL_LAENDER,
    interfaces: [FIT_CONNECT, XOEV('XBau', '2.3')],
    plans: EFA_PLANS,
    schutzbedarf: 'HIGH',
  },
  {
    provider: 'akdb',
    id: 'bauportal',
    title: 'OK.BAU Bauportal',
    summary: 'Bauantragsverfahren für bayerische Bauaufsichtsbehörden mit Online-Einreichung.',
    description:
      'Das Bauportal verbindet Online-Bauantrag und Fachverfahren der Bauaufsicht: Eingang, Vollständigkeitsprüfung, Beteiligung, Genehmigung. Unterstützt XBau und die digitale Bauakte.',
    keywords: ['Bauaufsicht', 'Bauakte'],
    ozgIds: ['10519', '10518'],
    availableIn: ['DE-BY'],
    operatingModel: 'HYBRID',
    interfaces: [XOEV('XBau', '2.3')],
    plans: PER_INHABITANT(0.2),
  },
  {
    provider: 'itebo',
    id: 'bauantrag-online',
    title: 'Bauantrag online Niedersachsen',
    summary: 'Online-Einreichung von Bauanträgen für Landkreise und Städte in Niedersachsen.',
    description:
      'Formularassistent für Bauanträge mit Anbindung an die Bauaufsichtssoftware der Kommune. Einreichung mit Servicekonto, Statusabfrage für Antragstellende.',
    keywords: ['Baugenehmigung'],
    ozgIds: ['10519'],
    availableIn: ['DE-NI'],
    plans: PER_CASE(12),
  },
  // Gewerbe
  {
    provider: 'ekom21',
    id: 'gewerbe-service',
    title: 'Gewerbe-Service: Gewerbeanmeldung, -ummeldung, -abmeldung',
    summary: 'Gewerbeanzeigen online erstatten, mit Weiterleitung an Finanzamt, Kammern und Register.',
    description:
      'Unternehmen zeigen die Anmeldung, Ummeldung und Abmeldung eines Gewerbes online an. Die Gewerbeanzeige wird geprüft, im Gewerberegister erfasst und an die empfangsberechtigten Stellen weitergeleitet. Datenaustausch nach XGewerbeanzeige.',
    keywords: ['Gewerbeanmeldung', 'Gewerbeanzeige', 'Gewerbeabmeldung'],
    ozgIds: ['10294', '10564'],
    efaLand: 'DE-HE',
    availableIn: ALL_LAENDER,
    interfaces: [FIT_CONNECT, XOEV('XGewerbeanzeige', '2.0')],
    plans: EFA_PLANS,
  },
  {
    provider: 'dataport',
    id: 'gewerbeanmeldung-nord',
    title: 'Gewerbeanmeldung Nord',
    summary: 'Gewerbeanmeldung für Kommunen in Norddeutschland, mit Anbindung an das Gewerberegister.',
    description:
      'Onlinedienst für Gewerbeanmeldungen mit Zahlung der Gebühr über ePayBL und Übergabe an das kommunale Gewerberegister.',
    keywords: ['Gewerbeanzeige', 'Gewerbeschein'],
    ozgIds: ['10294'],
    availableIn: NORD,
    plans: PER_CASE(3),
  },
  {
    provider: 'akdb',
    id: 'gewerberegister',
    title: 'OK.GEWERBE Gewerberegister',
    summary: 'Fachverfahren Gewerberegister für Gewerbeämter, mit Auskünften aus dem Register.',
    description:
      'Führung des Gewerberegisters, Bearbeitung von Gewerbeanzeigen, Auskünfte aus dem Gewerberegister und Datenübermittlung an Statistik und Kammern.',
    keywords: ['Gewerbeamt', 'Gewerberegisterauszug'],
    ozgIds: ['10294', '10564'],
    availableIn: ['DE-BY'],
    operatingModel: 'CONTAINER',
    interfaces: [XOEV('XGewerbeanzeige', '2.0')],
    plans: PER_INHABITANT(0.05),
  },
  // Hundehaltung
  {
    provider: 'itebo',
    id: 'hundesteuer-anmeldung',
    title: 'Hundeanmeldung und Hundesteuer',
    summary: 'Hunde online zur Hundesteuer anmelden und abmelden, Hundesteuermarke bestellen.',
    description:
      'Halterinnen und Halter melden ihren Hund an oder ab, beantragen Ermäßigungen und erhalten die Steuermarke. Die Daten gehen direkt in das Steuerverfahren der Kommune.',
    keywords: ['Hundesteuer', 'Hundemarke', 'Hund anmelden'],
    ozgIds: ['10160'],
    availableIn: ['DE-NI', 'DE-HB'],
    plans: PER_CASE(1.5),
  },
  {
    provider: 'komm-one',
    id: 'hundehaltung',
    title: 'Hundehaltung online',
    summary: 'Anzeige der Hundehaltung, Erlaubnis für Listenhunde und Hundesteuer in einem Onlinedienst.',
    description:
      'Der Onlinedienst bündelt die Anzeige der Hundehaltung, Anträge auf Erlaubnis zur Haltung gefährlicher Hunde (Listenhunde) und die Anmeldung zur Hundesteuer.',
    keywords: ['Hundesteuer', 'Listenhund', 'Kampfhund'],
    ozgIds: ['10160'],
    efaLand: 'DE-BW',
    availableIn: ALL_LAENDER,
    plans: EFA_PLANS,
  },
  // Meldewesen
  {
    provider: 'akdb',
    id: 'meldebescheinigung',
    title: 'Meldebescheinigung online',
    summary:
      'Einfache und erweiterte Meldebescheinigungen online beantragen, mit Online-Ausweis und Bezahlung.',
    description:
      'Einwohnerinnen und Einwohner beantragen Meldebescheinigungen mit dem Online-Ausweis, bezahlen online und erhalten das Dokument elektronisch signiert. Anbindung an das Melderegister über XMeld.',
    keywords: ['Meldebestätigung', 'Melderegister', 'Wohnsitzbescheinigung'],
    ozgIds: ['10559'],
    efaLand: 'DE-BY',
    availableIn: ALL_LAENDER,
    interfaces: [XOEV('XMeld', '3.0')],
    plans: EFA_PLANS,
    schutzbedarf: 'HIGH',
  },
  {
    provider: 'dataport',
    id: 'melderegisterauskunft',
    title: 'Melderegisterauskunft',
    summary: 'Einfache Melderegisterauskünfte für Bürger und Unternehmen, automatisiert und online.',
    description:
      'Auskünfte aus dem Melderegister werden online beantragt und automatisiert beantwortet, mit Prüfung von Auskunftssperren.',
    keywords: ['Meldeauskunft', 'Registerauskunft'],
    ozgIds: ['10559', '10111'],
    availableIn: NORD,
    interfaces: [XOEV('XMeld', '3.0')],
    plans: PER_CASE(0.8),
    schutzbedarf: 'HIGH',
  },
  {
    provider: 'it-nrw',
    id: 'wohnsitzanmeldung',
    title: 'Digitale Wohnsitzanmeldung',
    summary: 'Wohnsitz online anmelden, ummelden und abmelden, mit elektronischer Wohnungsgeberbestätigung.',
    description:
      'Umziehende melden ihren neuen Wohnsitz online an; die Wohnungsgeberbestätigung wird digital eingeholt und die Anschrift im Personalausweis aktualisiert.',
    keywords: ['Ummeldung', 'Umzug', 'Wohnungsgeberbestätigung'],
    ozgIds: ['10124'],
    efaLand: 'DE-HH',
    availableIn: ALL_LAENDER,
    interfaces: [XOEV('XMeld', '3.0')],
    plans: EFA_PLANS,
    schutzbedarf: 'HIGH',
  },
  // More OZG services
  {
    provider: 'it-nrw',
    id: 'kfz-zulassung',
    title: 'i-Kfz: Internetbasierte Fahrzeugzulassung',
    summary: 'Fahrzeuge online zulassen, umschreiben und außer Betrieb setzen.',
    description:
      'Die internetbasierte Fahrzeugzulassung erlaubt Neuzulassung, Umschreibung, Wiederzulassung und Außerbetriebsetzung ohne Behördengang. Kennzeichen-Reservierung und Gebührenzahlung online.',
    keywords: ['Zulassungsstelle', 'Kennzeichen', 'Abmeldung'],
    ozgIds: ['10439', '10436'],
    availableIn: ALL_LAENDER,
    plans: PER_CASE(2.2),
    schutzbedarf: 'HIGH',
  },
  {
    provider: 'ekom21',
    id: 'bewohnerparkausweis',
    title: 'Bewohnerparkausweis online',
    summary: 'Bewohnerparkausweise online beantragen und verlängern.',
    description:
      'Bewohnerinnen und Bewohner beantragen Parkausweise für ihr Quartier online, mit Prüfung der Meldeadresse und des Fahrzeugs.',
    keywords: ['Anwohnerparken', 'Parkausweis'],
    ozgIds: ['10173'],
    availableIn: ['DE-HE', 'DE-RP'],
    plans: PER_CASE(1),
  },
  {
    provider: 'dataport',
    id: 'kindergeld-familienkasse',
    title: 'Geburt und Familie: Kombiantrag',
    summary: 'Geburtsanzeige, Kindergeld und Elterngeld in einem Antrag nach der Geburt.',
    description:
      'Eltern erledigen nach der Geburt die Namensbestimmung, die Geburtsurkunde sowie Anträge auf Kindergeld und Elterngeld in einem Schritt. Die Daten gehen an Standesamt, Familienkasse und Elterngeldstelle.',
    keywords: ['Geburtsurkunde', 'Kinderbonus'],
    ozgIds: ['10003', '10005', '10000'],
    efaLand: 'DE-HB',
    availableIn: ALL_LAENDER,
    interfaces: [FIT_CONNECT, XOEV('XPersonenstand', '1.8')],
    plans: EFA_PLANS,
    schutzbedarf: 'HIGH',
  },
  {
    provider: 'komm-one',
    id: 'briefwahl',
    title: 'Wahlschein und Briefwahl online',
    summary: 'Wahlscheine und Briefwahlunterlagen online beantragen.',
    description:
      'Wahlberechtigte beantragen Wahlschein und Briefwahlunterlagen online; das Wahlamt verarbeitet die Anträge im Wählerverzeichnis.',
    keywords: ['Briefwahlantrag', 'Wahlamt'],
    ozgIds: ['10145'],
    availableIn: ['DE-BW', 'DE-RP'],
    plans: PER_INHABITANT(0.02),
  },
  {
    provider: 'itebo',
    id: 'personalausweis-termin',
    title: 'Personalausweis und Reisepass: Antrag und Terminbuchung',
    summary: 'Personalausweis und Reisepass vorbereiten, Termin buchen, Abholbereitschaft verfolgen.',
    description:
      'Antragstellende erfassen ihre Daten vorab, buchen einen Termin im Bürgerbüro und werden über die Abholbereitschaft informiert.',
    keywords: ['Ausweis', 'Bürgerbüro', 'Terminvergabe'],
    ozgIds: ['10119', '10177'],
    availableIn: ['DE-NI'],
    plans: PER_CASE(0.5),
  },
  {
    provider: 'akdb',
    id: 'bafoeg-digital',
    title: 'BAföG Digital',
    summary: 'Ausbildungsförderung (BAföG) online beantragen, mit Upload der Nachweise.',
    description:
      'Studierende und Schülerinnen und Schüler beantragen BAföG online. Das Amt für Ausbildungsförderung erhält die Anträge strukturiert.',
    keywords: ['Ausbildungsförderung', 'Studienförderung'],
    ozgIds: ['10056'],
    efaLand: 'DE-ST',
    availableIn: ALL_LAENDER,
    plans: EFA_PLANS,
  },
  {
    provider: 'it-nrw',
    id: 'unterhaltsvorschuss',
    title: 'Unterhaltsvorschuss online',
    summary: 'Unterhaltsvorschuss für Alleinerziehende online beantragen.',
    description:
      'Alleinerziehende beantragen Unterhaltsvorschuss für ihre Kinder online; das Jugendamt erhält den Antrag mit allen Nachweisen.',
    keywords: ['Alleinerziehende', 'Jugendamt'],
    ozgIds: ['10035'],
    efaLand: 'DE-NW',
    availableIn: ALL_LAENDER,
    plans: EFA_PLANS,
    schutzbedarf: 'HIGH',
  },
  {
    provider: 'ekom21',
    id: 'sterbefall',
    title: 'Sterbefallanzeige und Sterbeurkunde',
    summary: 'Sterbefälle digital beim Standesamt anzeigen und Sterbeurkunden bestellen.',
    description:
      'Bestattungsunternehmen und Angehörige zeigen Sterbefälle digital an und bestellen Sterbeurkunden; das Standesamt beurkundet im Fachverfahren.',
    keywords: ['Standesamt', 'Bestattung'],
    ozgIds: ['10235', '10237'],
    availableIn: ['DE-HE'],
    interfaces: [XOEV('XPersonenstand', '1.8')],
    plans: PER_CASE(2),
  },
  {
    provider: 'dataport',
    id: 'grundsteuer',
    title: 'Grundsteuer-Service für Kommunen',
    summary: 'Grundsteuerbescheide erstellen und Messbescheide der Finanzverwaltung übernehmen.',
    description:
      'Kommunen übernehmen Grundsteuermessbescheide elektronisch, setzen Hebesätze und versenden Grundsteuerbescheide.',
    keywords: ['Hebesatz', 'Grundsteuerreform'],
    ozgIds: ['10117'],
    availableIn: NORD,
    operatingModel: 'SAAS',
    plans: PER_INHABITANT(0.04),
  },
  {
    provider: 'itzbund',
    id: 'einbuergerung',
    title: 'Einbürgerung digital',
    summary: 'Einbürgerung online beantragen, Einbürgerungstest und Nachweise digital einreichen.',
    description:
      'Antragstellende reichen den Antrag auf Einbürgerung mit Nachweisen online ein; die Einbürgerungsbehörde bearbeitet ihn medienbruchfrei.',
    keywords: ['Staatsangehörigkeit', 'Einbürgerungstest'],
    ozgIds: ['10257', '10258'],
    efaLand: 'DE',
    availableIn: ALL_LAENDER,
    plans: EFA_PLANS,
    schutzbedarf: 'HIGH',
  },
  {
    provider: 'komm-one',
    id: 'fundsachen',
    title: 'Fundbüro online',
    summary: 'Verlorene Gegenstände online suchen und Fundsachen melden.',
    description:
      'Fundbüros veröffentlichen Fundsachen, Verlierende suchen online und melden Verlust. Abgleich und Benachrichtigung automatisch.',
    keywords: ['Fundbüro', 'Verlustmeldung'],
    ozgIds: ['10244'],
    availableIn: ['DE-BW', 'DE-BY', 'DE-HE'],
    plans: PER_INHABITANT(0.01),
  },
  {
    provider: 'itebo',
    id: 'baumfaellgenehmigung',
    title: 'Baumfällgenehmigung online',
    summary: 'Genehmigungen zum Fällen von Bäumen nach der Baumschutzsatzung online beantragen.',
    description:
      'Grundstückseigentümer beantragen das Fällen geschützter Bäume, laden Fotos hoch und erhalten den Bescheid elektronisch.',
    keywords: ['Baumschutzsatzung', 'Fällgenehmigung'],
    ozgIds: ['10112'],
    availableIn: ['DE-NI', 'DE-HB', 'DE-HH'],
    plans: PER_CASE(2),
  },
  {
    provider: 'ekom21',
    id: 'kita-platz',
    title: 'Kita-Platz-Vormerkung',
    summary: 'Betreuungsplätze in Kindertagesstätten online vormerken und vergeben.',
    description:
      'Eltern merken Kita-Plätze online vor; Träger und Jugendamt vergeben die Plätze transparent nach den Kriterien der Kommune.',
    keywords: ['Kita', 'Kindertagesstätte', 'Betreuungsplatz'],
    themenfelder: ['familie-kind'],
    availableIn: ['DE-HE'],
    plans: PER_INHABITANT(0.03),
  },
  // Cloud workplace and infrastructure services
  {
    provider: 'dataport',
    id: 'phoenix-web-office',
    title: 'dPhoenixSuite Web-Office',
    summary:
      'Souveräner Arbeitsplatz im Browser: Textverarbeitung, Tabellen, Präsentationen und Dateiablage.',
    description:
      'Das Web-Office bietet gemeinsame Bearbeitung von Dokumenten, Tabellen und Präsentationen im Browser, Dateiablage mit Freigaben, E-Mail und Kalender. Betrieb in deutschen Rechenzentren, quelloffene Komponenten.',
    keywords: ['Office', 'Textverarbeitung', 'Kollaboration', 'Dateiablage', 'openDesk'],
    themenfelder: ['querschnitt'],
    availableIn: ALL_LAENDER,
    operatingModel: 'SAAS',
    schutzbedarf: 'HIGH',
    licence: { spdx: 'AGPL-3.0-or-later', sourceRepository: 'https://gitlab.opencode.de/dataport/phoenix' },
    plans: [
      {
        id: 'arbeitsplatz',
        name: 'Arbeitsplatz',
        pricingModel: 'FLAT',
        priceEur: 14,
        terms: 'Je Nutzerkonto und Monat.',
      },
      {
        id: 'arbeitsplatz-plus',
        name: 'Arbeitsplatz Plus',
        pricingModel: 'FLAT',
        priceEur: 19,
        terms: 'Je Nutzerkonto und Monat, mit Videokonferenz.',
      },
    ],
  },
  {
    provider: 'itzbund',
    id: 'bundesmessenger',
    title: 'BundesMessenger',
    summary: 'Sicherer Messenger für die öffentliche Verwaltung auf Basis des Matrix-Protokolls.',
    description:
      'Ende-zu-Ende-verschlüsselter Messenger für Chats, Gruppen und Dateien, föderiert über Matrix mit anderen Verwaltungen. Apps für Desktop und Mobilgeräte.',
    keywords: ['Messenger', 'Chat', 'Matrix', 'Kommunikation'],
    themenfelder: ['querschnitt'],
    availableIn: [...ALL_LAENDER, 'DE'],
    operatingModel: 'CONTAINER',
    schutzbedarf: 'HIGH',
    interfaces: [{ kind: 'API', name: 'Matrix Client-Server API', version: '1.9' }],
    licence: { spdx: 'Apache-2.0', sourceRepository: 'https://gitlab.opencode.de/bwi/bundesmessenger' },
    plans: [
      {
        id: 'betrieb',
        name: 'Betrieb durch ITZBund',
        pricingModel: 'FLAT',
        priceEur: 3,
        terms: 'Je Nutzerkonto und Monat.',
      },
    ],
  },
  {
    provider: 'komm-one',
    id: 'moodle-lernplattform',
    title: 'Lernplattform für Schulen und Verwaltung',
    summary: 'Moodle-basierte Lernplattform für Schulen, Fortbildung und E-Learning in der Verwaltung.',
    description:
      'Die Lernplattform stellt Kurse, Aufgaben, Tests und Videokonferenzen bereit. Schulen und Verwaltungsakademien erhalten eigene Mandanten, Anbindung an Identitätsdienste der Länder.',
    keywords: ['Moodle', 'E-Learning', 'Schule', 'Fortbildung', 'Lernplattform'],
    ozgIds: ['10065'],
    themenfelder: ['bildung'],
    availableIn: ['DE-BW', 'DE-BY', 'DE-HE', 'DE-RP'],
    operatingModel: 'SAAS',
    licence: { spdx: 'GPL-3.0-or-later', sourceRepository: 'https://github.com/moodle/moodle' },
    plans: [
      {
        id: 'schule',
        name: 'Schulmandant',
        pricingModel: 'FLAT',
        priceEur: 600,
        terms: 'Je Schule und Jahr.',
      },
    ],
  },
  {
    provider: 'it-nrw',
    id: 'videokonferenz',
    title: 'Videokonferenzdienst Verwaltung',
    summary: 'Videokonferenzen und Webinare für Behörden, datenschutzkonform in Deutschland betrieben.',
    description:
      'Videokonferenzdienst auf Basis quelloffener Software für Besprechungen, Bürgersprechstunden und Webinare bis 500 Teilnehmende. Einwahl per Telefon möglich.',
    keywords: ['Videokonferenz', 'Webinar', 'Jitsi'],
    themenfelder: ['querschnitt'],
    availableIn: ALL_LAENDER,
    operatingModel: 'SAAS',
    licence: { spdx: 'Apache-2.0', sourceRepository: 'https://github.com/jitsi/jitsi-meet' },
    plans: [
      {
        id: 'raum',
        name: 'Konferenzraum',
        pricingModel: 'FLAT',
        priceEur: 45,
        terms: 'Je dauerhaftem Raum und Monat.',
      },
    ],
  },
  {
    provider: 'ekom21',
    id: 'e-akte',
    title: 'E-Akte als Service',
    summary: 'Elektronische Aktenführung und Vorgangsbearbeitung als Cloud-Dienst.',
    description:
      'Die E-Akte bildet Schriftgutverwaltung, Vorgangsbearbeitung und Aussonderung an Archive ab, nach dem Organisationskonzept elektronische Verwaltungsarbeit. Schnittstellen nach XDOMEA.',
    keywords: ['E-Akte', 'DMS', 'Vorgangsbearbeitung', 'XDOMEA'],
    themenfelder: ['querschnitt'],
    availableIn: ['DE-HE', 'DE-TH'],
    operatingModel: 'SAAS',
    schutzbedarf: 'HIGH',
    interfaces: [XOEV('XDOMEA', '3.0')],
    plans: [
      {
        id: 'arbeitsplatz',
        name: 'Je Arbeitsplatz',
        pricingModel: 'FLAT',
        priceEur: 9,
        terms: 'Je Nutzerkonto und Monat.',
      },
    ],
  },
  {
    provider: 'akdb',
    id: 'buergerservice-portal',
    title: 'BürgerService-Portal',
    summary: 'Kommunales Serviceportal mit Onlinediensten, Postfach und Bezahlfunktion.',
    description:
      'Das Portal bündelt die Onlinedienste einer Kommune mit BayernID-Anmeldung, Postfach und ePayment. Anbindung an den Portalverbund.',
    keywords: ['Serviceportal', 'Bürgerportal', 'Postfach', 'ePayment'],
    themenfelder: ['querschnitt'],
    availableIn: ['DE-BY', 'DE-SN'],
    operatingModel: 'SAAS',
    plans: PER_INHABITANT(0.15),
  },
  {
    provider: 'dataport',
    id: 'kubernetes-plattform',
    title: 'dataport.cloud Container-Plattform',
    summary: 'Kubernetes-Plattform zum Betrieb containerisierter Fachverfahren in deutschen Rechenzentren.',
    description:
      'Mandantenfähige Kubernetes-Plattform mit Registry, Monitoring, Backup und Netzanbindung an das Verwaltungsnetz. Geeignet für OCI-Container und Helm-Charts der Deutschen Verwaltungscloud.',
    keywords: ['Kubernetes', 'Container', 'Cloud', 'Plattform', 'OCI'],
    themenfelder: ['querschnitt'],
    availableIn: NORD,
    operatingModel: 'CONTAINER',
    schutzbedarf: 'VERY_HIGH',
    plans: [
      {
        id: 'namespace',
        name: 'Namespace',
        pricingModel: 'FLAT',
        priceEur: 350,
        terms: 'Je Namespace und Monat, inklusive 8 vCPU.',
      },
    ],
  },
  {
    provider: 'itzbund',
    id: 'bundescloud-speicher',
    title: 'Bundescloud Dateiablage',
    summary: 'Sichere Dateiablage und Dateiaustausch für Bundes- und Landesbehörden.',
    description:
      'Dateiablage mit Freigaben über Behördengrenzen, Versionierung und Verschlüsselung, betrieben in Rechenzentren des Bundes.',
    keywords: ['Dateiaustausch', 'Cloudspeicher', 'Nextcloud'],
    themenfelder: ['querschnitt'],
    availableIn: ['DE', 'DE-BE', 'DE-BB'],
    operatingModel: 'SAAS',
    schutzbedarf: 'VERY_HIGH',
    licence: { spdx: 'AGPL-3.0-or-later', sourceRepository: 'https://github.com/nextcloud/server' },
    plans: [
      {
        id: 'terabyte',
        name: 'Je Terabyte',
        pricingModel: 'FLAT',
        priceEur: 40,
        terms: 'Je Terabyte und Monat.',
      },
    ],
  },
  {
    provider: 'itebo',
    id: 'ratsinformationssystem',
    title: 'Ratsinformationssystem',
    summary: 'Sitzungsdienst und Ratsinformation für Gemeinderäte, Kreistage und Ausschüsse.',
    description:
      'Sitzungsvorbereitung, Vorlagen, Beschlüsse und Protokolle, mit Bürgerinformation und App für Mandatsträger.',
    keywords: ['Sitzungsdienst', 'Gemeinderat', 'Kreistag'],
    themenfelder: ['engagement-hobby'],
    availableIn: ['DE-NI', 'DE-NW'],
    operatingModel: 'SAAS',
    plans: PER_INHABITANT(0.03),
  },
  {
    provider: 'it-nrw',
    id: 'service-konto',
    title: 'Servicekonto.NRW',
    summary: 'Nutzerkonto für Bürgerinnen, Bürger und Unternehmen, mit Online-Ausweis und ELSTER-Zertifikat.',
    description:
      'Zentrales Nutzerkonto für die Onlinedienste von Land und Kommunen mit Anmeldung per Online-Ausweis, ELSTER oder Benutzername. Anbindung über OpenID Connect und SAML.',
    keywords: ['Nutzerkonto', 'Login', 'OpenID Connect', 'eID'],
    themenfelder: ['querschnitt'],
    availableIn: ['DE-NW'],
    operatingModel: 'SAAS',
    schutzbedarf: 'HIGH',
    interfaces: [{ kind: 'API', name: 'OpenID Connect', version: '1.0' }],
    plans: [
      {
        id: 'kommune',
        name: 'Anschluss Kommune',
        pricingModel: 'FLAT',
        priceEur: 0,
        terms: 'Für Kommunen in Nordrhein-Westfalen kostenfrei.',
      },
    ],
  },
  {
    provider: 'komm-one',
    id: 'formularserver',
    title: 'Formularserver und Antragsmanagement',
    summary: 'Formulare und Online-Anträge ohne Programmierung erstellen und an Fachverfahren übergeben.',
    description:
      'Baukasten für Online-Anträge mit Logik, Bezahlung und Übergabe über FIT-Connect oder XÖV-Nachrichten. Vorlagen für häufige Leistungen.',
    keywords: ['Formulare', 'Antragsmanagement', 'Low-Code'],
    themenfelder: ['querschnitt'],
    availableIn: ['DE-BW'],
    operatingModel: 'SAAS',
    interfaces: [FIT_CONNECT],
    plans: PER_INHABITANT(0.06),
  },
  {
    provider: 'ekom21',
    id: 'epayment',
    title: 'ePayment für Onlinedienste',
    summary: 'Online bezahlen mit Kreditkarte, PayPal und giropay in kommunalen Onlinediensten.',
    description:
      'Zahlungsverkehrsplattform für Gebühren aus Onlinediensten, mit Anbindung an das kommunale Finanzverfahren.',
    keywords: ['Bezahlen', 'Gebühren', 'ePayBL', 'Zahlungsverkehr'],
    themenfelder: ['querschnitt'],
    availableIn: ['DE-HE', 'DE-RP', 'DE-SL'],
    operatingModel: 'SAAS',
    plans: PER_CASE(0.25),
  },
];

/** The demo listings, grouped by provider id. */
export function demoListings(): { providerId: string; listing: Listing }[] {
  return OFFERS.map((offer) => {
    const listing: Listing = {
      id: offer.id,
      version: '1.0.0',
      title: offer.title,
      summary: offer.summary,
      description: offer.description,
      ...(offer.keywords ? { keywords: offer.keywords } : {}),
      ...(offer.ozgIds ? { ozgIds: offer.ozgIds } : {}),
      ...(offer.themenfelder ? { themenfelder: offer.themenfelder } : {}),
      efa: offer.efaLand !== undefined,
      ...(offer.efaLand ? { developingLand: offer.efaLand } : {}),
      availableIn: offer.availableIn ?? ALL_LAENDER,
      operatingModel: offer.operatingModel ?? 'SAAS',
      hostingLocation: offer.hostingLocation ?? 'DE',
      schutzbedarf: offer.schutzbedarf ?? 'NORMAL',
      ...(offer.interfaces ? { interfaces: offer.interfaces } : {}),
      ...(offer.licence ? { licence: offer.licence } : {}),
      accessibility: {
        conformance: 'PARTIAL',
        statementUrl: `https://${offer.provider}.example/barrierefreiheit/${offer.id}`,
      },
      plans: offer.plans ?? PER_CASE(2),
      contact: CONTACTS[offer.provider] ?? { name: offer.provider, email: `info@${offer.provider}.example` },
      documentation: [
        { title: 'Produktbeschreibung', url: `https://${offer.provider}.example/produkte/${offer.id}` },
      ],
    };
    return { providerId: offer.provider, listing };
  });
}
