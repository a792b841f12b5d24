import { describe, expect, it } from 'vitest';
import { titleSortKey } from './title-sort-key.ts';

describe('titleSortKey', () => {
  it.each([
    ['Ärztliche Bescheinigung', 'arztliche bescheinigung'],
    ['Öffentliche Ausschreibung', 'offentliche ausschreibung'],
    ['Übergangsgeld', 'ubergangsgeld'],
    ['Zweitwohnungsteuer', 'zweitwohnungsteuer'],
    ['eAkte Kommunal', 'eakte kommunal'],
    ['Straßenreinigung', 'strassenreinigung'],
    ['GROẞHANDEL', 'grosshandel'],
    ['Crème Brûlée', 'creme brulee'],
    ['Čapek Łódź Øresund Æbleskiver Œuvre', 'capek lodz oresund aebleskiver oeuvre'],
    ['İstanbul', 'istanbul'],
    ['ﬁnanzamt Ａb', 'finanzamt ab'],
    ['Bürgerportal 2', 'burgerportal 2'],
  ])('keys %j as %j', (title, key) => {
    expect(titleSortKey(title)).toBe(key);
  });

  it('keys composed and decomposed spellings alike', () => {
    const composed = 'Übergangsgeld für Ärzte';
    expect(titleSortKey(composed.normalize('NFD'))).toBe(titleSortKey(composed));
  });

  it('returns composed text', () => {
    // Hangul falls apart into jamo under NFKD and has no marks to drop: it is composed again.
    expect(titleSortKey('한국 행정')).toBe('한국 행정');
  });

  it('sorts German titles in dictionary order when keys are compared in byte order', () => {
    const titles = [
      'Zweitwohnungsteuer',
      'Ärztliche Bescheinigung',
      'Bauantrag digital',
      'eAkte Kommunal',
      'Öffentliche Ausschreibung',
      'Anwohnerparkausweis',
      'Übergangsgeld',
      'Ummeldung',
      'Straßenverkehr',
      'Strasse der Einheit',
    ];
    const bytes = (s: string) => Buffer.from(titleSortKey(s), 'utf8');
    expect([...titles].sort((a, b) => Buffer.compare(bytes(a), bytes(b)))).toEqual([
      'Anwohnerparkausweis',
      'Ärztliche Bescheinigung',
      'Bauantrag digital',
      'eAkte Kommunal',
      'Öffentliche Ausschreibung',
      'Strasse der Einheit',
      'Straßenverkehr',
      'Übergangsgeld',
      'Ummeldung',
      'Zweitwohnungsteuer',
    ]);
  });
});
