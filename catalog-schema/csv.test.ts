import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.ts';

describe('parseCsv (RFC 4180)', () => {
  it('keys each record by the header row', () => {
    expect(parseCsv('ozg_id,name\n10001,Wohngeld\n10002,Elterngeld\n')).toEqual([
      { ozg_id: '10001', name: 'Wohngeld' },
      { ozg_id: '10002', name: 'Elterngeld' },
    ]);
  });

  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    const text =
      'key,name\r\n1,"Antrag, schriftlich"\r\n2,"Bescheinigung ""Meldung"""\r\n3,"zwei\nZeilen"\r\n';
    expect(parseCsv(text)).toEqual([
      { key: '1', name: 'Antrag, schriftlich' },
      { key: '2', name: 'Bescheinigung "Meldung"' },
      { key: '3', name: 'zwei\nZeilen' },
    ]);
  });

  it('accepts CRLF and LF, a missing final line break, empty lines and empty fields', () => {
    expect(parseCsv('a,b,c\r\n1,,3\n\n"",x,\r\n4,5,6')).toEqual([
      { a: '1', b: '', c: '3' },
      { a: '', b: 'x', c: '' },
      { a: '4', b: '5', c: '6' },
    ]);
  });

  it('fills missing trailing fields with empty strings and returns nothing for an empty text', () => {
    expect(parseCsv('a,b\n1\n')).toEqual([{ a: '1', b: '' }]);
    expect(parseCsv('')).toEqual([]);
    expect(parseCsv('a,b\n')).toEqual([]);
  });

  it('keeps the text after a closing quote and an unterminated quoted field as they stand', () => {
    expect(parseCsv('a,b\n"ab"c,"open')).toEqual([{ a: 'abc', b: 'open' }]);
  });
});
