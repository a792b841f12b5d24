import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findUnstorable } from './storable-text.ts';
import { MAX_PROBLEMS, validateListing } from './validate-listing.ts';
import { makeListing } from '../test/helpers/listings.ts';

function problemsOf(document: unknown) {
  const result = validateListing(document);
  if (result.ok) throw new Error('expected the listing to be invalid');
  return result.problems;
}

describe('validateListing', () => {
  it.each(readdirSync(new URL('./examples/', import.meta.url)).filter((f) => f.endsWith('.json')))(
    'accepts the example document %s',
    (file) => {
      const document = JSON.parse(readFileSync(new URL(`./examples/${file}`, import.meta.url), 'utf8'));
      expect(validateListing(document)).toMatchObject({ ok: true });
    },
  );

  it('names the path of every missing required field', () => {
    const { title: _t, contact: _c, ...rest } = makeListing({ id: 'dienst' });
    expect(problemsOf(rest)).toEqual(
      expect.arrayContaining([
        { path: '/title', message: 'is required' },
        { path: '/contact', message: 'is required' },
      ]),
    );
  });

  it('names nested paths and the allowed values of an enum', () => {
    const listing = makeListing({ id: 'dienst' });
    const problems = problemsOf({ ...listing, plans: [{ ...listing.plans[0], pricingModel: 'FREE' }] });
    expect(problems).toEqual([
      {
        path: '/plans/0/pricingModel',
        message: 'must be one of FLAT, PER_CASE, PER_INHABITANT, EFA_COST_SHARE',
      },
    ]);
  });

  it('names an unknown field by its JSON Pointer, "/" and "~" escaped (RFC 6901)', () => {
    const result = validateListing({ ...makeListing({ id: 'zeiger' }), 'preis/eur': 10, 'a~b': 1 });
    expect(result).toEqual({
      ok: false,
      problems: [
        { path: '/preis~1eur', message: 'is not a known field' },
        { path: '/a~0b', message: 'is not a known field' },
      ],
    });
  });

  it('names an unknown field holding U+0000 or half a surrogate pair escaped, so the problem can be stored', () => {
    const problems = problemsOf({ ...makeListing({ id: 'zeiger' }), 'x\u0000y': 1, 'h\ud800/': 2 });
    expect(problems).toEqual([
      { path: '/x\\u0000y', message: 'is not a known field' },
      { path: '/h\\ud800~1', message: 'is not a known field' },
    ]);
    expect(findUnstorable(problems, '')).toBeNull();
  });

  it('refuses more than 17 Länder in availableIn, and answers a long list without comparing every pair', () => {
    const every = ['DE', 'DE-BW', 'DE-BY', 'DE-BE', 'DE-BB', 'DE-HB', 'DE-HH', 'DE-HE', 'DE-MV', 'DE-NI'];
    const more = ['DE-NW', 'DE-RP', 'DE-SL', 'DE-SN', 'DE-ST', 'DE-SH', 'DE-TH'];
    expect(
      validateListing({ ...makeListing({ id: 'alle' }), availableIn: [...every, ...more] }),
    ).toMatchObject({
      ok: true,
    });
    expect(
      problemsOf({ ...makeListing({ id: 'alle' }), availableIn: [...every, ...more, 'DE'] }),
    ).toContainEqual({ path: '/availableIn', message: 'must NOT have more than 17 items' });
    // 40,000 entries (230 kB): the items were untyped, so Ajv compared every pair for uniqueness
    // (2 s here, about a minute at the 1 MiB body limit, the event loop blocked all along).
    const long = { ...makeListing({ id: 'lang' }), availableIn: Array.from({ length: 40_000 }, (_, i) => i) };
    const problems = problemsOf(long);
    expect(problems).toContainEqual({
      path: '/availableIn',
      message: 'must NOT have more than 17 items',
    });
    // The first hundred problems are named, the others counted (it answered with 80,000 of them).
    expect(problems).toHaveLength(MAX_PROBLEMS + 1);
    expect(problems[MAX_PROBLEMS]).toEqual({ path: '/', message: 'and 79901 more problems' });
  });

  it('accepts every LeiKa key of the reference table, also those the OZG catalogue assigns no OZG-Leistung', () => {
    // 99089022000000 "Angriffe durch Tiere": in the LeiKa, without an OZG-ID (one of 16 such keys).
    const listing = { ...makeListing({ id: 'tiere' }), leikaKeys: ['99089022000000', '99012001000000'] };
    expect(validateListing(listing)).toMatchObject({ ok: true });
  });

  it('counts text lengths in characters, as JSON Schema does: an emoji is one, not two UTF-16 units', () => {
    const listing = makeListing({ id: 'laenge' });
    // minLength 3 and maxLength 200 for the title; the UTF-16 length alone would decide both wrongly.
    expect(validateListing({ ...listing, title: '😀'.repeat(200) })).toMatchObject({ ok: true });
    expect(validateListing({ ...listing, title: '😀😀😀' })).toMatchObject({ ok: true });
    expect(problemsOf({ ...listing, title: '😀'.repeat(201) })).toEqual([
      { path: '/title', message: 'must NOT have more than 200 characters' },
    ]);
    expect(problemsOf({ ...listing, title: '😀😀' })).toEqual([
      { path: '/title', message: 'must NOT have fewer than 3 characters' },
    ]);
    expect(problemsOf({ ...listing, title: 'ab' })).toEqual([
      { path: '/title', message: 'must NOT have fewer than 3 characters' },
    ]);
    // Mixed: 199 characters in 398 units plus one of one unit is 200; one more is too many.
    expect(validateListing({ ...listing, title: `${'😀'.repeat(199)}a` })).toMatchObject({ ok: true });
    expect(problemsOf({ ...listing, title: `${'😀'.repeat(199)}ab` })).toEqual([
      { path: '/title', message: 'must NOT have more than 200 characters' },
    ]);
    expect(problemsOf({ ...listing, description: 'x'.repeat(20_001) })).toEqual([
      { path: '/description', message: 'must NOT have more than 20000 characters' },
    ]);
    // In Ajv's order: the length before the pattern.
    const url = `http://example.org/${'a'.repeat(2000)}`;
    expect(problemsOf({ ...listing, documentation: [{ title: 'Handbuch', url }] })).toEqual([
      { path: '/documentation/0/url', message: 'must NOT have more than 2000 characters' },
      { path: '/documentation/0/url', message: 'must match the pattern ^https://' },
    ]);
  });

  it('rejects unknown fields with their path', () => {
    expect(problemsOf({ ...makeListing({ id: 'dienst' }), price: 3 })).toEqual([
      { path: '/price', message: 'is not a known field' },
    ]);
  });

  it('rejects a wrong type, a bad e-mail address and a non-https link', () => {
    const listing = makeListing({ id: 'dienst' });
    const problems = problemsOf({
      ...listing,
      efa: 'yes',
      contact: { name: 'Team', email: 'not-an-address' },
      documentation: [{ title: 'Handbuch', url: 'http://example.org/handbuch' }],
    });
    expect(problems.map((p) => p.path).sort()).toEqual(['/contact/email', '/documentation/0/url', '/efa']);
    expect(problems.find((p) => p.path === '/efa')?.message).toBe('must be boolean');
  });

  it('requires the developing Land of an EfA service', () => {
    expect(problemsOf(makeListing({ id: 'dienst', efa: true }))).toEqual([
      { path: '/developingLand', message: 'is required' },
    ]);
  });

  it('rejects an unknown OZG-ID, LeiKa key, Themenfeld and Lebenslage', () => {
    const problems = problemsOf(
      makeListing({
        id: 'dienst',
        ozgIds: ['10092', '19999'],
        leikaKeys: ['99999999999999'],
        themenfelder: ['raumfahrt'],
        lebenslagen: ['mondlandung'],
      }),
    );
    expect(problems).toEqual([
      { path: '/ozgIds/1', message: 'unknown OZG-ID 19999' },
      { path: '/leikaKeys/0', message: 'unknown LeiKa key 99999999999999' },
      { path: '/themenfelder/0', message: 'unknown Themenfeld raumfahrt' },
      { path: '/lebenslagen/0', message: 'unknown Lebenslage mondlandung' },
    ]);
  });

  it('rejects duplicate plan ids', () => {
    const plan = { id: 'standard', name: 'Standard', pricingModel: 'FLAT' as const };
    expect(problemsOf(makeListing({ id: 'dienst', plans: [plan, { ...plan, name: 'Zweiter' }] }))).toEqual([
      { path: '/plans/1/id', message: 'duplicate plan id standard' },
    ]);
  });

  it('rejects a document that is not an object', () => {
    expect(problemsOf([1, 2])).toEqual([{ path: '/', message: 'must be object' }]);
  });
});
