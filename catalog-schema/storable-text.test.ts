import { describe, expect, it } from 'vitest';
import { characterCount } from './storable-text.ts';

describe('characterCount', () => {
  it('counts code points as PostgreSQL length() does: a surrogate pair once, a lone surrogate once', () => {
    const cases = [
      '',
      'Wohngeld',
      'Straße',
      '😀',
      'a😀b😀',
      '\uD83D', // a high surrogate alone
      '\uDE00x', // a low surrogate alone
      'x\uD83D', // a high surrogate at the end
      '\uDE00\uD83D', // low before high: two lone surrogates, not a pair
      '😀'.repeat(1000) + 'e\u0301',
    ];
    for (const text of cases) expect(characterCount(text), JSON.stringify(text)).toBe([...text].length);
  });

  it('counts a text of a million characters', () => {
    const text = `{ a } #${'x'.repeat(1024 * 1024 - 16)}😀`;
    expect(characterCount(text)).toBe(text.length - 1);
  });
});
