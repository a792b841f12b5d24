import { describe, expect, it } from 'vitest';
import { parseDateTime } from './date-time.ts';

describe('parseDateTime', () => {
  it.each([
    ['2027-06-30T12:00:00Z', '2027-06-30T12:00:00.000Z'],
    ['2027-06-30T12:00Z', '2027-06-30T12:00:00.000Z'],
    ['2027-06-30t12:00:00z', '2027-06-30T12:00:00.000Z'],
    ['2027-06-30T14:00:00+02:00', '2027-06-30T12:00:00.000Z'],
    ['2027-06-30T00:30:00-01:30', '2027-06-30T02:00:00.000Z'],
    ['2027-06-30T12:00:00.5Z', '2027-06-30T12:00:00.500Z'],
    ['2027-06-30T12:00:00.123456789Z', '2027-06-30T12:00:00.123Z'],
    ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['0099-01-01T00:00:00Z', '0099-01-01T00:00:00.000Z'],
    ['2026-12-31T23:59:59-00:30', '2027-01-01T00:29:59.000Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(parseDateTime(text)?.toISOString()).toBe(iso);
  });

  it.each([
    ['a time without an offset (read in the host time zone by new Date)', '2027-06-30T12:00:00'],
    ['a date alone', '2027-06-30'],
    ['30 February', '2027-02-30T00:00:00Z'],
    ['29 February of a common year', '2027-02-29T00:00:00Z'],
    ['month 13', '2027-13-01T00:00:00Z'],
    ['hour 24', '2027-06-30T24:00:00Z'],
    ['second 60', '2027-06-30T12:00:60Z'],
    ['an offset of 24 hours', '2027-06-30T12:00:00+24:00'],
    ['year 0', '0000-06-30T12:00:00Z'],
    ['free text', 'June 30, 2027'],
    ['a bare year', '2027'],
    ['a space for the T', '2027-06-30 12:00:00Z'],
    ['trailing text', '2027-06-30T12:00:00Z trailing'],
    ['nothing', ''],
  ])('refuses %s', (_what, text) => {
    expect(parseDateTime(text)).toBeNull();
  });
});
