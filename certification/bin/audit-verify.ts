// npm run audit:verify: walks the audit chain of the catalogue's database (DATABASE_URL, or the
// embedded database in DATA_DIR, as the gateway uses them) and names the first broken link, or the
// first check or certificate that disagrees with its events.
// Exit code 0: intact; 1: broken; 2: the database could not be read.
import { existsSync } from 'node:fs';
import { configFromEnv } from '../../gateway/config.ts';
import { createDatabase } from '../../gateway/database/create-database.ts';
import type { DatabaseHandle } from '../../gateway/database/database.ts';
import { verifyAuditChain } from '../verify-audit-chain.ts';

async function main(): Promise<number> {
  const options = configFromEnv(process.env).database;
  if (options.kind === 'pglite' && options.dataDir && !existsSync(options.dataDir)) {
    console.error(`There is no embedded database in ${options.dataDir}; set DATA_DIR or DATABASE_URL.`);
    return 2;
  }
  let database: DatabaseHandle | undefined;
  try {
    database = await createDatabase(options);
    const report = await verifyAuditChain(database.db);
    if (report.ok) {
      console.log(
        `Audit chain intact: ${report.events} events, head at event ${report.head.sequence} with hash ${report.head.hash}.`,
      );
      return 0;
    }
    const { sequence, row, problem } = report.brokenAt!;
    console.log(`Audit chain BROKEN at ${row ? `${row.table} ${row.id}` : `event ${sequence}`}: ${problem}.`);
    console.log(
      row
        ? `All ${report.events} events link up; the row disagrees with them.`
        : `${report.events} events before it link up.`,
    );
    return 1;
  } finally {
    await database?.close();
  }
}

let exitCode: number;
try {
  exitCode = await main();
} catch (error) {
  console.error(`Cannot verify the audit chain: ${(error as Error).message}`);
  exitCode = 2;
}
process.exit(exitCode);
