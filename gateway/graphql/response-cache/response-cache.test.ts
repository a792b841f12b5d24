import { describe, expect, it } from 'vitest';
import { ResponseCache, type CachedResponse } from './response-cache.ts';

// The store's own rules, without a server: tickets, changes by table, size bound, expiry.
const entry = (text: string, expiresAt = Date.now() + 60_000, tables = ['service']): CachedResponse => ({
  headers: [['content-type', 'application/json']],
  body: Buffer.from(text),
  expiresAt,
  tables: new Set(tables),
});
const readFrom = (tables: string[], text = 'x') => entry(text, Date.now() + 60_000, tables);

function enabledCache(maxBytes = 1_000_000): ResponseCache {
  const cache = new ResponseCache({ maxBytes });
  cache.watchedTables = new Set(['service', 'organisation', 'harvest_endpoint']);
  cache.setEnabled(true);
  return cache;
}

describe('ResponseCache', () => {
  it('refuses a response read before a change that was announced before it was stored', () => {
    const cache = enabledCache();
    const ticket = cache.ticket()!;
    cache.invalidate(); // the write committed and was announced while the request was reading
    expect(cache.store(ticket, 'k', entry('stale'))).toBe(false);
    expect(cache.get('k')).toBeUndefined();
  });

  it('drops a response stored before the announcement of a change it missed', () => {
    const cache = enabledCache();
    expect(cache.store(cache.ticket()!, 'k', entry('stale'))).toBe(true);
    cache.invalidate();
    expect(cache.get('k')).toBeUndefined();
  });

  it('drops only the answers read from a table that changed', () => {
    const cache = enabledCache();
    const ticket = cache.ticket()!;
    cache.store(ticket, 'search', readFrom(['service', 'organisation']));
    cache.store(ticket, 'endpoints', readFrom(['harvest_endpoint', 'organisation']));
    cache.store(ticket, 'static', readFrom([]));
    cache.invalidateTable('harvest_endpoint');
    expect(cache.get('endpoints')).toBeUndefined();
    expect(cache.get('search')).toBeDefined();
    cache.invalidateTable('organisation');
    expect(cache.get('search')).toBeUndefined();
    expect(cache.get('static')).toBeDefined();
    cache.invalidate();
    expect(cache.get('static')).toBeUndefined();
  });

  it('refuses an answer read before a change to one of its tables, not one read from others', () => {
    const cache = enabledCache();
    const ticket = cache.ticket()!;
    cache.invalidateTable('harvest_endpoint'); // announced while both requests were reading
    expect(cache.store(ticket, 'endpoints', readFrom(['harvest_endpoint']))).toBe(false);
    expect(cache.store(ticket, 'search', readFrom(['service']))).toBe(true);
    const later = cache.ticket()!;
    expect(cache.store(later, 'endpoints', readFrom(['harvest_endpoint']))).toBe(true);
    cache.invalidate();
    expect(cache.store(later, 'search again', readFrom(['service']))).toBe(false);
  });

  it('drops everything for a change to a table whose reads it does not record', () => {
    const cache = enabledCache();
    const ticket = cache.ticket()!;
    cache.store(ticket, 'search', readFrom(['service']));
    cache.invalidateTable('table_of_a_newer_release');
    expect(cache.get('search')).toBeUndefined();
    expect(cache.store(ticket, 'search', readFrom(['service']))).toBe(false);
  });

  it('neither answers nor stores while it is off, and starts empty when it is on again', () => {
    const cache = enabledCache();
    cache.store(cache.ticket()!, 'k', entry('before'));
    const ticket = cache.ticket()!;
    cache.setEnabled(false);
    expect(cache.ticket()).toBeNull();
    expect(cache.get('k')).toBeUndefined();
    expect(cache.store(ticket, 'k', entry('during'))).toBe(false);
    cache.setEnabled(true);
    expect(cache.get('k')).toBeUndefined();
    expect(cache.store(ticket, 'k', entry('old ticket'))).toBe(false);
  });

  it('stays within its size, dropping the least recently used first', () => {
    // Each entry counts its body (99), its key (1) and the fixed overhead (768): 868 bytes.
    const cache = enabledCache(16 * 868);
    const ticket = cache.ticket()!;
    for (const key of ['a', 'b', 'c']) cache.store(ticket, key, entry('x'.repeat(99)));
    cache.get('a'); // a is used again, b is now the oldest
    for (const key of ['d', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q'])
      cache.store(ticket, key, entry('x'.repeat(99)));
    expect(cache.stats().bytes).toBeLessThanOrEqual(16 * 868);
    expect(cache.stats().entries).toBe(16);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    // one response may not take more than a sixteenth
    expect(cache.store(ticket, 'big', entry('x'.repeat(200)))).toBe(false);
  });

  it('counts what an entry holds besides its body, so that many small answers stay within the size', () => {
    // An anonymous caller can make one small answer per id it asks for ({"provider":null}).
    const cache = enabledCache(1_000_000);
    const ticket = cache.ticket()!;
    for (let i = 0; i < 10_000; i++)
      cache.store(ticket, `provider-${i}`, entry('{"data":{"provider":null}}'));
    expect(cache.stats().bytes).toBeLessThanOrEqual(1_000_000);
    expect(cache.stats().entries).toBeLessThan(1_300);
  });

  it('drops an entry when it expires', () => {
    const cache = enabledCache();
    const ticket = cache.ticket()!;
    expect(cache.store(ticket, 'past', entry('x', Date.now() - 1))).toBe(false);
    cache.store(ticket, 'soon', entry('x', Date.now() + 30));
    expect(cache.get('soon')).toBeDefined();
    return new Promise<void>((resolve) =>
      setTimeout(() => {
        expect(cache.get('soon')).toBeUndefined();
        resolve();
      }, 60),
    );
  });
});

describe('response cache metrics', () => {
  it('publishes lookups, invalidations, size and state in /metrics', async () => {
    const { Registry } = await import('prom-client');
    const { registerResponseCacheMetrics } = await import('./response-cache-metrics.ts');
    const registry = new Registry();
    const cache = enabledCache();
    registerResponseCacheMetrics(registry, cache);
    cache.store(cache.ticket()!, 'k', entry('12345'));
    cache.get('k');
    cache.get('other');
    const text = await registry.metrics();
    expect(text).toContain('catalogue_response_cache_lookups_total{result="hit"} 1');
    expect(text).toContain('catalogue_response_cache_lookups_total{result="miss"} 1');
    expect(text).toContain('catalogue_response_cache_bytes 774');
    expect(text).toContain('catalogue_response_cache_enabled 1');
    cache.invalidate();
    expect(await registry.metrics()).toContain('catalogue_response_cache_invalidations_total 2');
  });
});
