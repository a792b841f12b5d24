// npm run audit:verify: walks the audit chain of the catalogue's database (DATABASE_URL, or the
// embedded database in DATA_DIR, as the gateway uses them) and names the first broken link.
// Exit code 0: intact; 1: broken; 2: the database could not be read.
import { existsSync } from 'node:fs';
import { configFromEnv } from '../../gateway/config.ts';
import { createDatabase } from '../../gateway/database/create-database.ts';
import { verifyAuditChain } from '../verify-audit-chain.ts';

const options = configFromEnv(process.env).database;
if (options.kind === 'pglite' && options.dataDir && !existsSync(options.dataDir)) {
  console.error(`There is no embedded database in ${options.dataDir}; set DATA_DIR or DATABASE_URL.`);
  process.exit(2);
}

let exitCode = 2;
const database = await createDatabase(options);
try {
  const report = await verifyAuditChain(database.db);
  if (report.ok) {
    console.log(
      `Audit chain intact: ${report.events} events, head at event ${report.head.sequence} with hash ${report.head.hash}.`,
    );
    exitCode = 0;
  } else {
    console.log(`Audit chain BROKEN at event ${report.brokenAt!.sequence}: ${report.brokenAt!.problem}.`);
    console.log(`${report.events} events before it link up.`);
    exitCode = 1;
  }
} catch (error) {
  console.error(`Cannot verify the audit chain: ${(error as Error).message}`);
} finally {
  await database.close();
}
process.exit(exitCode);
