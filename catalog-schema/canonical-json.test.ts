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
});
