import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NOTIFICATION_SIGNATURE_HEADER,
  verifyNotificationSignature,
} from '../../catalog-schema/notification-signature.ts';
import { syncReferenceData } from '../../gateway/catalog/sync-reference-data.ts';
import { createDatabase } from '../../gateway/database/create-database.ts';
import { migrateToLatest } from '../../gateway/database/migrate.ts';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.ts';
import { seedSubscriptionWorld, SUBSCRIBE } from '../helpers/subscription-fixtures.ts';
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from '../helpers/test-database.ts';

// A gateway process (gateway/main.ts) commits a subscription step and is killed with SIGKILL before
// its delivery worker sends it; a new process on the same database delivers it. Nothing is lost.
const children: ChildProcess[] = [];
let dataDir: string | undefined;
let testDatabase: TestDatabase | undefined;
let databaseEnv: Record<string, string>;
let webhook: Server;
let webhookUrl: string;
const received: { body: Buffer; signature: string }[] = [];
let onReceived: (() => void) | null = null;

beforeAll(async () => {
  webhook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        body: Buffer.concat(chunks),
        signature: String(req.headers[NOTIFICATION_SIGNATURE_HEADER]),
      });
      res.writeHead(200).end();
      onReceived?.();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;

  // The organisations, the certified service and the signing key, written before any gateway runs.
  if (TEST_DIALECT === 'postgres') {
    testDatabase = await createTestDatabase();
    await seedSubscriptionWorld(testDatabase.db);
    databaseEnv = { DATABASE_URL: testDatabase.url! };
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'vc-restart-'));
    const database = await createDatabase({ kind: 'pglite', dataDir });
    await migrateToLatest(database.db);
    await syncReferenceData(database.db);
    await seedSubscriptionWorld(database.db);
    await database.close();
    databaseEnv = { DATA_DIR: dataDir };
  }
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await new Promise((resolve) => webhook?.close(resolve));
  await testDatabase?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function startGateway(deliveryIntervalMs: number): Promise<GatewayProcess> {
  const gateway = await startGatewayProcess({
    env: {
      PATH: process.env.PATH,
      ...databaseEnv,
      PORT: '0',
      HOST: '127.0.0.1',
      DEMO_DATA: 'false',
      SUBSCRIPTION_DELIVERY_INTERVAL_MS: String(deliveryIntervalMs),
      SUBSCRIPTION_CERTIFICATION_CHECK_INTERVAL_MS: '0',
      OUTBOUND_ALLOWED_ADDRESSES: '127.0.0.0/8',
    },
  });
  children.push(gateway.child);
  return gateway;
}

async function graphql(url: string, query: string, variables: Record<string, unknown>, as: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-dev-principal': as },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: { message: string }[] };
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe(`a gateway process killed between commit and delivery (${TEST_DIALECT})`, () => {
  it('delivers the committed step after the restart', async () => {
    // The worker runs first one interval (an hour) after start: the step below is committed and not sent.
    const first = await startGateway(3_600_000);
    const set = await graphql(
      first.url,
      `
        mutation ($url: String) {
          setSubscriptionWebhook(url: $url) {
            url
          }
        }
      `,
      { url: webhookUrl },
      'provider@anbieter',
    );
    expect(set.errors).toBeUndefined();
    const subscribed = await graphql(
      first.url,
      SUBSCRIBE,
      { serviceId: 'anbieter/fachverfahren', planId: 'standard', key: 'before-the-crash' },
      'authority@stadt-kiel',
    );
    expect(subscribed.errors).toBeUndefined();
    const subscriptionId = subscribed.data.subscribe.id as string;
    await killed(first.child);
    expect(received).toHaveLength(0);

    const arrived = new Promise<void>((resolve) => (onReceived = resolve));
    const second = await startGateway(200);
    await arrived;
    const notification = received[0]!;
    expect(JSON.parse(notification.body.toString('utf8'))).toMatchObject({
      type: 'subscription.requested',
      subscription: { id: subscriptionId, state: 'REQUESTED' },
    });
    const keys = createRemoteJWKSet(new URL(`${second.url}/.well-known/jwks.json`));
    await expect(
      verifyNotificationSignature(notification.body, notification.signature, keys),
    ).resolves.toBeTruthy();

    // Delivered means recorded: once the second process has shut down (its worker finishes the run it
    // is in), the outbox row says DELIVERED, after one attempt.
    await second.stop();
    const database = testDatabase ?? (await createDatabase({ kind: 'pglite', dataDir: dataDir! }));
    try {
      const rows = await database.db
        .selectFrom('subscription_outbox')
        .select(['state', 'attempts', 'subscription_id'])
        .execute();
      expect(rows).toEqual([{ state: 'DELIVERED', attempts: 1, subscription_id: subscriptionId }]);
    } finally {
      if (!testDatabase) await database.close();
    }
    expect(received).toHaveLength(1);
  });
});
