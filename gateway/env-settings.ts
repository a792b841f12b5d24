// Reading one setting from the environment: unset, empty or blank means the default; anything else
// must be valid, or the gateway does not start and the error names the variable.

/** Whether a setting was left out: unset, empty or only spaces (`PORT=" "` is not port 0). */
export function unset(value: string | undefined): value is undefined {
  return value === undefined || value.trim() === '';
}

/**
 * A text setting: its value without surrounding spaces, or undefined when it is unset, empty or only
 * spaces (then the setting's default applies, as for every other setting).
 */
export function textSetting(value: string | undefined): string | undefined {
  return unset(value) ? undefined : value.trim();
}

/** A comma-separated list setting: its items without surrounding spaces, empty items left out. */
export function listSetting(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

const INTEGER = /^\s*-?[0-9]+\s*$/;
const DECIMAL = /^\s*-?[0-9]+(\.[0-9]+)?\s*$/;

/**
 * A number from `min` to `max` in decimal digits: a whole one unless `what` says otherwise. `Number`
 * alone read " " as 0 and "0x1F90" as 8080.
 */
export function numberSetting(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
  { whole = true, what = whole ? 'an integer' : 'a number' }: { whole?: boolean; what?: string } = {},
): number {
  if (unset(value)) return fallback;
  const n = Number(value);
  if (!(whole ? INTEGER : DECIMAL).test(value) || n < min || n > max)
    throw new Error(`${name} must be ${what} from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

/** A whole number from `min` to `max`. */
export function integerSetting(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  return numberSetting(name, value, fallback, min, max);
}

/** true/false (also 1/0, yes/no, on/off, in any case). */
export function booleanSetting(name: string, value: string | undefined, fallback: boolean): boolean {
  if (unset(value)) return fallback;
  if (/^\s*(1|true|yes|on)\s*$/i.test(value)) return true;
  if (/^\s*(0|false|no|off)\s*$/i.test(value)) return false;
  throw new Error(`${name} must be true or false, got ${JSON.stringify(value)}`);
}
