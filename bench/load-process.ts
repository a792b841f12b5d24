// The benchmark's load in a process of its own, started as the gateway starts (the Node.js flags of
// gateway/node-flags.ts, the heap growing factor of gateway/main.ts), so that the harvest runs with
// the settings the gateway would harvest with: with embedded PostgreSQL those differ from Node.js's
// defaults, which the benchmark's own process keeps for its load generator.
//
//   node <gateway flags> --import tsx bench/load-process.ts '<json arguments>'
//
// The database is the one DATABASE_URL or DATA_DIR names (migrated, with the reference data); the
// arguments are LoadProcessArguments. Prints one line per progress step, `progress <listings>`, and
// at the end `result <LoadResult as JSON>`.
import { configFromEnv } from '../gateway/config.ts';
import { createDatabase } from '../gateway/database/create-database.ts';
import { tuneHeapGrowing } from '../gateway/heap-tuning.ts';
import { createWriteModules } from '../gateway/write-modules.ts';
import { loadCatalogue, type LoadProcessArguments } from './load-catalogue.ts';

const args = JSON.parse(process.argv[2] ?? '') as LoadProcessArguments;
const config = configFromEnv({
  ...process.env,
  CERTIFICATE_SIGNING_KEY_FILE: args.signingKeyFile,
  DEMO_DATA: 'false',
});
const heapGrowing = tuneHeapGrowing(config.heapGrowingPercent);
// The flags it was started with, but not the TypeScript loader.
const nodeFlags = process.execArgv.filter((flag, i, all) => flag !== '--import' && all[i - 1] !== '--import');
const handle = await createDatabase(config.database);
try {
  const { hooks } = await createWriteModules(handle.db, config);
  const result = await loadCatalogue(handle.db, args.listings, args.providers, {
    hooks,
    concurrency: args.concurrency,
    progress: (done) => {
      if (done % args.progressEvery === 0) console.log(`progress ${done}`);
    },
  });
  console.log(`result ${JSON.stringify({ ...result, process: { nodeFlags, heapGrowing } })}`);
} finally {
  await handle.close();
}
