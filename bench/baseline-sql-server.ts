// Baseline (a): a bare node:http server that runs exactly the SQL statements the gateway runs for a
// request (recorded by capture.ts), in the same order, through the same driver and database (the
// gateway's own row decoding for `pg`, its wire for PGlite), and returns the rows as JSON. The
// ceiling for an uncached request. Embedded PostgreSQL (PGlite) runs in this process, as it does in
// the gateway's.
//   node --import tsx bench/baseline-sql-server.ts <captured statements file>
// with PORT and DATABASE_URL (PostgreSQL) or DATA_DIR (PGlite).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { SentStatement } from '../gateway/database/statement-counter.ts';

const statementsByBody = new Map<string, SentStatement[]>(
  Object.entries(JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Record<string, SentStatement[]>),
);

type Query = (text: string, parameters: unknown[]) => Promise<{ rows: unknown[] }>;
let query: Query;
let close: () => Promise<void>;
if (process.env.DATABASE_URL) {
  const { postgresPool, pooledRead } = await import('../gateway/database/create-database.ts');
  // The gateway's pool, of its default size (DATABASE_POOL_SIZE, 10), and so its clients
  // (pg-rows.ts): the same driver as the gateway's, so that the ratio measures what the gateway adds,
  // not how it decodes rows or whether it prepares statements.
  const pool = postgresPool({ url: process.env.DATABASE_URL });
  // As the gateway's loaders send their statements (and kysely the others): `query(text, values)` on
  // a client checked out of the pool. (`pool.query` passes a callback, which LeanRowsClient hands to
  // pg's own code: neither its row decoding nor its prepared statements would be measured.)
  const read = pooledRead(pool);
  query = async (text, parameters) => ({ rows: await read(text, parameters) });
  close = () => pool.end();
} else {
  const { PGlite } = await import('@electric-sql/pglite');
  const { pgliteOptions } = await import('../gateway/database/create-database.ts');
  const { PGliteWire } = await import('../gateway/database/pglite-wire.ts');
  // Configured as the gateway's embedded database is, and read through the gateway's driver for it.
  const client = await PGlite.create(process.env.DATA_DIR!, pgliteOptions());
  const wire = new PGliteWire(client);
  query = (text, parameters) => wire.query(text, parameters);
  close = () => client.close();
}

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', async () => {
    const statements = statementsByBody.get(Buffer.concat(chunks).toString('utf8'));
    if (!statements) {
      res.writeHead(404).end('{"error":"unknown request"}');
      return;
    }
    try {
      const results: unknown[][] = [];
      for (const statement of statements)
        results.push((await query(statement.sql, [...statement.parameters])).rows);
      const body = JSON.stringify(results);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    } catch (error) {
      res.writeHead(500).end(JSON.stringify({ error: (error as Error).message }));
    }
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => void close().then(() => process.exit(0))));
