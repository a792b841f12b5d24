import type { Kysely } from 'kysely';
import { characterCount } from '../../catalog-schema/storable-text.ts';
import { referenceData } from '../../catalog-schema/reference-data.ts';
import type { Database } from '../database/database.ts';
import type { NewOrganisation, OrganisationKind, OrganisationRow } from '../database/schema.ts';
import { UserError } from '../errors.ts';

/** Organisation ids: lowercase letters, digits and hyphens, 2 to 63 characters (also in tokens' `org`). */
export const ORGANISATION_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

// The first two digits of an Amtlicher Regionalschlüssel name the Land (Länderschlüssel).
const LAENDERSCHLUESSEL: Record<string, string> = {
  'DE-SH': '01',
  'DE-HH': '02',
  'DE-NI': '03',
  'DE-HB': '04',
  'DE-NW': '05',
  'DE-HE': '06',
  'DE-RP': '07',
  'DE-BW': '08',
  'DE-BY': '09',
  'DE-SL': '10',
  'DE-BE': '11',
  'DE-BB': '12',
  'DE-MV': '13',
  'DE-SN': '14',
  'DE-ST': '15',
  'DE-TH': '16',
};

export interface OrganisationInput {
  id: string;
  kind: OrganisationKind;
  name: string;
  land: string;
  regionalschluessel?: string | null;
  /** The issuer whose tokens act for it (one of OIDC_ISSUER); see registerOrganisation. */
  issuer?: string | null;
}

export interface InputProblem {
  /** JSON pointer of the field, as in listing problems: `/regionalschluessel`. */
  path: string;
  message: string;
}

export interface RegistrationOptions {
  /**
   * Whether an organisation registered without an issuer is bound to the only trusted one. Default
   * true. Demo mode passes false: its only issuer is the development identity provider, whose URL
   * changes with its port (DEV_IDP_PORT), so an organisation bound to it would refuse every token after
   * a restart on another port. Such an organisation is bound to no issuer.
   */
  bindToOnlyIssuer?: boolean;
}

/** Checks an organisation to register; returns the normalised organisation or every problem found. */
export function validateOrganisation(
  input: OrganisationInput,
  trustedIssuers: readonly string[] = [],
  options: RegistrationOptions = {},
): { ok: true; organisation: NewOrganisation } | { ok: false; problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  const bindToOnlyIssuer = options.bindToOnlyIssuer ?? true;
  const issuer =
    input.issuer?.trim() || (bindToOnlyIssuer && trustedIssuers.length === 1 ? trustedIssuers[0]! : null);
  if (issuer !== null && !trustedIssuers.includes(issuer)) {
    problems.push({
      path: '/issuer',
      message: untrustedIssuer(issuer, trustedIssuers),
    });
  } else if (issuer === null && trustedIssuers.length > 1) {
    problems.push({
      path: '/issuer',
      message: `is required: the catalogue trusts several issuers (${trustedIssuers.join(', ')}); name the one its members sign in at`,
    });
  }
  const name = input.name.trim();
  const regionalschluessel = input.regionalschluessel?.trim() || null;
  if (!ORGANISATION_ID_PATTERN.test(input.id)) {
    problems.push({
      path: '/id',
      message: 'must be 2 to 63 lowercase letters, digits or hyphens, starting with a letter or digit',
    });
  }
  // Counted as PostgreSQL's length() in the table's check counts it.
  const nameLength = characterCount(name);
  if (nameLength < 2 || nameLength > 200)
    problems.push({ path: '/name', message: 'must be 2 to 200 characters' });
  const land = referenceData().laender.get(input.land);
  if (!land)
    problems.push({
      path: '/land',
      message: `"${input.land}" is not a Land code (DE-SH, …) or DE for the Bund`,
    });
  if (regionalschluessel !== null) {
    if (input.kind !== 'AUTHORITY') {
      problems.push({
        path: '/regionalschluessel',
        message: 'only authorities have an Amtlicher Regionalschlüssel',
      });
    } else if (!/^\d{12}$/.test(regionalschluessel)) {
      problems.push({
        path: '/regionalschluessel',
        message: 'must be the 12 digits of the Amtlicher Regionalschlüssel',
      });
    } else if (land && land.level === 'BUND') {
      problems.push({
        path: '/regionalschluessel',
        message: 'a federal authority (Land DE) has no Regionalschlüssel',
      });
    } else if (land && LAENDERSCHLUESSEL[land.code] !== regionalschluessel.slice(0, 2)) {
      problems.push({
        path: '/regionalschluessel',
        message: `starts with ${regionalschluessel.slice(0, 2)}, but ${land.name} is ${LAENDERSCHLUESSEL[land.code]}`,
      });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    organisation: { id: input.id, kind: input.kind, name, land: input.land, regionalschluessel, issuer },
  };
}

/**
 * Registers a new organisation: BAD_USER_INPUT with every problem for invalid input, CONFLICT when the
 * id is taken. Registering never changes an existing organisation. Its issuer must be one of
 * `trustedIssuers`; it may be left out when there is one (it is taken, except in demo mode: see
 * RegistrationOptions) or none (a database prepared before the gateway's issuers are known): then
 * the organisation is bound to no issuer.
 */
export async function registerOrganisation(
  db: Kysely<Database>,
  input: OrganisationInput,
  trustedIssuers: readonly string[] = [],
  options: RegistrationOptions = {},
): Promise<OrganisationRow> {
  const validation = validateOrganisation(input, trustedIssuers, options);
  if (!validation.ok) {
    throw new UserError(
      'BAD_USER_INPUT',
      `The organisation is invalid: ${validation.problems.map((p) => `${p.path} ${p.message}`).join('; ')}.`,
      { problems: validation.problems },
    );
  }
  const inserted = await db
    .insertInto('organisation')
    .values(validation.organisation)
    .onConflict((oc) => oc.column('id').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return inserted;
  const existing = await db
    .selectFrom('organisation')
    .select(['kind', 'name'])
    .where('id', '=', input.id)
    .executeTakeFirst();
  throw new UserError(
    'CONFLICT',
    `An organisation "${input.id}" is registered already${existing ? ` (${existing.kind}, ${existing.name})` : ''}.`,
    { organisationId: input.id },
  );
}

/**
 * Binds an organisation to another trusted issuer: when its identity provider moves to a new URL (or
 * its members move to another one), tokens of the old issuer would no longer act for it. An operator's
 * step (`npm run register-organisation -- --id … --move-to-issuer …`), not an API: whoever may call
 * it controls who acts for the organisation. NOT_FOUND for an unknown id, BAD_USER_INPUT for an issuer
 * that is not trusted.
 */
export async function moveOrganisationToIssuer(
  db: Kysely<Database>,
  id: string,
  issuer: string,
  trustedIssuers: readonly string[],
): Promise<OrganisationRow> {
  if (!trustedIssuers.includes(issuer)) {
    const message = untrustedIssuer(issuer, trustedIssuers);
    throw new UserError('BAD_USER_INPUT', `${message}.`, { problems: [{ path: '/issuer', message }] });
  }
  const moved = await db
    .updateTable('organisation')
    .set({ issuer })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!moved) throw new UserError('NOT_FOUND', `There is no organisation "${id}".`, { organisationId: id });
  return moved;
}

/** Every registered organisation, or those of one kind, by name. */
export async function listOrganisations(
  db: Kysely<Database>,
  kind: OrganisationKind | null = null,
): Promise<OrganisationRow[]> {
  let query = db.selectFrom('organisation').selectAll();
  if (kind) query = query.where('kind', '=', kind);
  return query.orderBy('name').orderBy('id').execute();
}

/** Why an issuer cannot be an organisation's: it is not one of OIDC_ISSUER. */
function untrustedIssuer(issuer: string, trustedIssuers: readonly string[]): string {
  return `"${issuer}" is not a trusted issuer; trusted: ${trustedIssuers.join(', ') || 'none (set OIDC_ISSUER)'}`;
}
