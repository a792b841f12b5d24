import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash } from './canonical-json.ts';

describe('canonicalJson (RFC 8785)', () => {
  it('sorts members by UTF-16 code units and drops whitespace', () => {
    // The ordering example of RFC 8785 section 3.2.3.
    const value = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    const text = canonicalJson(value);
    // (Object.keys of the parsed text would put the integer-like key "1" first, so read the text itself.)
    const order = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'].map((k) =>
      text.indexOf(JSON.stringify(k)),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(text.startsWith('{"\\r":"Carriage Return","1":"One"')).toBe(true);
  });

  it('serialises numbers and strings as ECMAScript does', () => {
    // RFC 8785's own example literal: it cannot be represented exactly, which is the point.
    // eslint-disable-next-line no-loss-of-precision
    expect(canonicalJson({ b: [1e21, 0.000001, -0, 333333333.33333329], a: 'é\n"\u001f' })).toBe(
      '{"a":"é\\n\\"\\u001f","b":[1e+21,0.000001,0,333333333.3333333]}',
    );
  });

  it('gives the same hash whatever the member order', () => {
    expect(contentHash({ x: 1, y: { b: true, a: null } })).toBe(
      contentHash({ y: { a: null, b: true }, x: 1 }),
    );
    expect(contentHash({ x: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses values JSON cannot represent', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/non-finite/);
  });

  it('writes what JSON.stringify writes for the same value with its members inserted in sorted order', () => {
    // Names that are not array indices: JSON.stringify keeps their insertion order, so a copy whose
    // members were inserted sorted is an independent oracle. 500 random documents, fixed seed.
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const names = ['b', 'a', 'ä', 'Z', 'plans', 'x_1', '\u20ac', '\ud83d\ude00', 'é', 'aa', ''];
    const scalars = [null, true, false, 0, -1.5, 1e21, 'Bürger', 'a"b\\c\n', '', '\u001f'];
    const randomValue = (depth: number): unknown => {
      const r = next();
      if (depth > 3 || r < 0.4) return scalars[Math.floor(next() * scalars.length)];
      if (r < 0.6) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(depth + 1));
      const object: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 6); i > 0; i--) {
        object[names[Math.floor(next() * names.length)]!] = next() < 0.1 ? undefined : randomValue(depth + 1);
      }
      return object;
    };
    const sortedCopy = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(sortedCopy);
      if (value === null || typeof value !== 'object') return value;
      const copy: Record<string, unknown> = {};
      for (const name of Object.keys(value).sort())
        copy[name] = sortedCopy((value as Record<string, unknown>)[name]);
      return copy;
    };
    for (let i = 0; i < 500; i++) {
      const value = randomValue(0);
      expect(canonicalJson(value)).toBe(JSON.stringify(sortedCopy(value)));
    }
  });
});
