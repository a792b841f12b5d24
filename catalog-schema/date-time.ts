// RFC 3339 date-times (the ISO 8601 profile the Internet uses): a full date, a time and an explicit
// offset. `new Date(text)` alone takes much more: "June 30, 2027", "2027", a 30 February (rolled over
// into March), and a time without an offset, read in the time zone of whatever host parses it.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** What an input date-time must be, for messages. */
export const DATE_TIME_EXPECTED =
  'DateTime must be an ISO 8601 date-time with its offset, such as "2027-06-30T12:00:00Z" or "2027-06-30T14:00:00+02:00"';

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The instant an RFC 3339 date-time names, or null when the text is not one (or names no real day). */
export function parseDateTime(text: string): Date | null {
  const match = DATE_TIME.exec(text);
  if (!match) return null;
  const [, y, mo, d, h, mi, s = '0', fraction = '', zulu, sign, oh, om] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (!zulu) {
    const [hours, minutes] = [Number(oh), Number(om)];
    if (hours > 23 || minutes > 59) return null;
    offsetMinutes = (sign === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  const milliseconds = Number(fraction.padEnd(3, '0').slice(0, 3));
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute - offsetMinutes, second, milliseconds);
  return utc;
}
