// One gateway replica for test/federation/replicas.test.ts: the real server, configured from the
// environment (DATABASE_URL, HARVEST_*), with its harvest scheduler running. Prints "READY <owner>".
import { configFromEnv } from '../../gateway/config.ts';
import { createServer } from '../../gateway/create-server.ts';

const server = await createServer(configFromEnv());
await server.listen(0, '127.0.0.1');
console.log(`READY ${server.harvester.owner}`);

process.on('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
