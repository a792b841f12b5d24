// `npm run register-organisation -- --id <id> --kind COORDINATOR --name <name> --land DE`: registers an
// organisation directly in the database (DATABASE_URL or DATA_DIR, as the gateway). This is how production
// gets its first coordinator organisation; after that, coordinators use the registerOrganisation mutation.
// `… -- --id <id> --move-to-issuer <url>` binds an existing organisation to another trusted issuer.
import { parseArgs } from 'node:util';
import { moveOrganisationToIssuer, registerOrganisation } from '../gateway/catalog/organisation-registry.ts';
import { configFromEnv } from '../gateway/config.ts';
import { createDatabase } from '../gateway/database/create-database.ts';
import { migrateToLatest } from '../gateway/database/migrate.ts';
import type { OrganisationKind } from '../gateway/database/schema.ts';
import { UserError } from '../gateway/errors.ts';

const KINDS: OrganisationKind[] = ['AUTHORITY', 'PROVIDER', 'COORDINATOR'];
const { values } = parseArgs({
  options: {
    id: { type: 'string' },
    kind: { type: 'string' },
    name: { type: 'string' },
    land: { type: 'string' },
    regionalschluessel: { type: 'string' },
    issuer: { type: 'string' },
    'move-to-issuer': { type: 'string' },
  },
});
const moveTo = values['move-to-issuer'];
const kind = values.kind?.toUpperCase() as OrganisationKind | undefined;
if (
  !values.id ||
  (moveTo === undefined && (!kind || !KINDS.includes(kind) || !values.name || !values.land))
) {
  console.error(
    'usage: npm run register-organisation -- --id <id> --kind AUTHORITY|PROVIDER|COORDINATOR --name <name> --land <DE-XX|DE> [--regionalschluessel <12 digits>] [--issuer <one of OIDC_ISSUER>]',
  );
  console.error('       npm run register-organisation -- --id <id> --move-to-issuer <one of OIDC_ISSUER>');
  process.exit(2);
}

const config = configFromEnv();
const database = await createDatabase(config.database);
try {
  await migrateToLatest(database.db);
  if (moveTo !== undefined) {
    const moved = await moveOrganisationToIssuer(database.db, values.id, moveTo, config.oidc.issuers);
    console.log(`${moved.kind} ${moved.id} now signs in at ${moved.issuer}`);
  } else {
    const organisation = await registerOrganisation(
      database.db,
      {
        id: values.id,
        kind: kind!,
        name: values.name!,
        land: values.land!,
        regionalschluessel: values.regionalschluessel ?? null,
        issuer: values.issuer ?? null,
      },
      // Its members' tokens must come from this issuer: required when OIDC_ISSUER names several.
      config.oidc.issuers,
    );
    console.log(
      `registered ${organisation.kind} ${organisation.id} (${organisation.name}, ${organisation.land}), ${organisation.issuer ? `signing in at ${organisation.issuer}` : 'signing in at any trusted issuer'}`,
    );
  }
} catch (error) {
  if (!(error instanceof UserError)) throw error;
  console.error(`${error.code}: ${error.message}`);
  process.exitCode = 1;
} finally {
  await database.close();
}
