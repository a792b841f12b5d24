// Runs every request of every scenario once through the real gateway, in this process and one at a
// time, and records the SQL statements each one sends. Baseline (a) replays exactly these statements.
import { configFromEnv } from '../gateway/config.ts';
import { createServer } from '../gateway/create-server.ts';
import type { DatabaseHandle } from '../gateway/database/database.ts';
import { observeStatements, type SentStatement } from '../gateway/database/statement-counter.ts';
import { SEARCH_QUERY, type Scenario } from './scenarios.ts';

export interface CapturedRequest {
  statements: SentStatement[];
  /** The gateway's response body. */
  response: string;
  sqlStatements: number;
}

export interface Capture {
  /** By request body. */
  requests: Record<string, CapturedRequest>;
  /** SQL statements of the search scenario's query at first = 1, 20 and 100. */
  statementsByPageSize: Record<number, number>;
}

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  const parsed = JSON.parse(text) as { errors?: unknown[]; extensions?: { sqlStatements?: number } };
  if (response.status !== 200 || parsed.errors) {
    throw new Error(
      `the gateway refused a benchmark request (${response.status}): ${text.slice(0, 500)}\n${body}`,
    );
  }
  return { text, sqlStatements: parsed.extensions?.sqlStatements ?? -1 };
}

/**
 * Captures the statements of each scenario request; the database must hold the benchmark catalogue.
 * The gateway here signs with the measured gateways' key (`signingKeyFile`), so that it does not put
 * a key of its own into the database.
 */
export async function captureStatements(
  database: DatabaseHandle,
  scenarios: Scenario[],
  signingKeyFile: string,
): Promise<Capture> {
  const config = configFromEnv({
    CERTIFICATE_SIGNING_KEY_FILE: signingKeyFile,
    DEMO_DATA: 'false',
    EXPOSE_SQL_STATEMENT_COUNT: 'true',
    RESPONSE_CACHE_MAX_BYTES: '0',
    HARVEST_POLL_INTERVAL_MS: '0',
  });
  const server = await createServer(config, { database });
  const url = await server.listen(0, '127.0.0.1');
  const requests: Record<string, CapturedRequest> = {};
  let current: SentStatement[] = [];
  const stop = observeStatements((statement) =>
    current.push({ sql: statement.sql, parameters: JSON.parse(JSON.stringify(statement.parameters)) }),
  );
  try {
    for (const scenario of scenarios) {
      for (const request of scenario.requests) {
        if (requests[request.body]) continue;
        current = [];
        const { text, sqlStatements } = await post(url, request.body, request.headers);
        requests[request.body] = { statements: current, response: text, sqlStatements };
      }
    }
    const statementsByPageSize: Record<number, number> = {};
    current = [];
    for (const first of [1, 20, 100]) {
      const query = SEARCH_QUERY.replace('first: 20', `first: ${first}`);
      const body = JSON.stringify({ query, variables: { search: 'Antrag', filter: { efa: true } } });
      statementsByPageSize[first] = (await post(url, body)).sqlStatements;
    }
    return { requests, statementsByPageSize };
  } finally {
    stop();
    await server.close();
  }
}
