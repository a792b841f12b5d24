import { describe, expect, it } from 'vitest';
import { configFromEnv } from './config.ts';
import { listSetting } from './env-settings.ts';

describe('numeric settings', () => {
  it('take a blank value (only spaces) as unset: the default, not 0', () => {
    // Number(' ') is 0: a random port, the delivery worker and the harvest scheduler switched off,
    // the response cache off and every withdrawal held, all without a word.
    const blank = configFromEnv({
      PORT: ' ',
      SUBSCRIPTION_DELIVERY_INTERVAL_MS: '  ',
      HARVEST_POLL_INTERVAL_MS: '\t',
      RESPONSE_CACHE_MAX_BYTES: ' ',
      HARVEST_MAX_WITHDRAW_SHARE: ' ',
      GRAPHQL_FIELD_SUGGESTIONS: ' ',
    });
    const defaults = configFromEnv({});
    expect(blank.port).toBe(defaults.port);
    expect(blank.subscriptions.deliveryIntervalMs).toBe(defaults.subscriptions.deliveryIntervalMs);
    expect(blank.harvest.pollIntervalMs).toBe(defaults.harvest.pollIntervalMs);
    expect(blank.graphql.responseCacheMaxBytes).toBe(defaults.graphql.responseCacheMaxBytes);
    expect(blank.harvest.maxWithdrawShare).toBe(defaults.harvest.maxWithdrawShare);
    expect(blank.graphql.fieldSuggestions).toBe(defaults.graphql.fieldSuggestions);
  });

  it('take a blank text setting as unset too: embedded PostgreSQL, its default buffers, every default name', () => {
    // PGLITE_SHARED_BUFFERS_MB of only spaces gave shared_buffers = 0 and embedded PostgreSQL did not
    // start; HOST, DATA_DIR, DATABASE_URL, the audience and the issuers were taken as "  ".
    const blank = configFromEnv({
      DATABASE_URL: '  ',
      DATA_DIR: ' ',
      PGLITE_SHARED_BUFFERS_MB: '  ',
      HOST: ' ',
      OIDC_AUDIENCE: ' ',
      CERTIFICATE_ISSUER: ' ',
      CERTIFICATE_SIGNING_KEY_FILE: ' ',
      HARVEST_CLIENT_ID: ' ',
      HARVEST_TOKEN_ISSUER: ' ',
      HARVEST_TOKEN_SCOPE: ' ',
    });
    const defaults = configFromEnv({});
    expect(blank.database).toEqual(defaults.database);
    expect(blank.host).toBe(defaults.host);
    expect(blank.oidc.audience).toBe(defaults.oidc.audience);
    expect(blank.certificateIssuer).toBe(defaults.certificateIssuer);
    expect(blank.certificateSigningKey).toEqual(defaults.certificateSigningKey);
    expect(blank.harvest.client).toBeNull();
  });

  it('trim text settings and keep a harvest client secret as given', () => {
    const config = configFromEnv({
      HOST: ' 127.0.0.1 ',
      OIDC_AUDIENCE: ' katalog ',
      HARVEST_CLIENT_ID: ' harvester ',
      HARVEST_CLIENT_SECRET: ' geheim ',
      HARVEST_TOKEN_ISSUER: ' https://idp.example.org/realms/bund ',
    });
    expect(config.host).toBe('127.0.0.1');
    expect(config.oidc.audience).toBe('katalog');
    expect(config.harvest.client).toMatchObject({
      clientId: 'harvester',
      clientSecret: ' geheim ',
      issuer: 'https://idp.example.org/realms/bund',
    });
  });

  it('are decimal digits: hexadecimal, exponents and fractions where a whole number is asked are refused', () => {
    expect(() => configFromEnv({ PORT: '0x1F90' })).toThrow(
      'PORT must be an integer from 0 to 65535, got "0x1F90"',
    );
    expect(() => configFromEnv({ HARVEST_RETRIES: '1e1' })).toThrow(/HARVEST_RETRIES must be an integer/);
    expect(() => configFromEnv({ SUBSCRIPTION_RETRY_BASE_MS: '1.5' })).toThrow(
      'SUBSCRIPTION_RETRY_BASE_MS must be a whole number of milliseconds from 1 to 604800000, got "1.5"',
    );
    expect(() => configFromEnv({ HARVEST_MAX_WITHDRAW_SHARE: '.5' })).toThrow(
      /HARVEST_MAX_WITHDRAW_SHARE must be a number from 0 to 1/,
    );
    expect(configFromEnv({ HARVEST_MAX_WITHDRAW_SHARE: '0.5' }).harvest.maxWithdrawShare).toBe(0.5);
    expect(configFromEnv({ PORT: ' 8080 ' }).port).toBe(8080);
  });
});

describe('list settings', () => {
  it('splits at commas, trims the items and leaves out empty ones', () => {
    expect(listSetting(undefined)).toEqual([]);
    expect(listSetting(' , ')).toEqual([]);
    expect(listSetting(' 10.0.0.0/8 ,,192.168.0.0/16 ')).toEqual(['10.0.0.0/8', '192.168.0.0/16']);
    expect(listSetting('repeated search, detail')).toEqual(['repeated search', 'detail']);
  });
});
