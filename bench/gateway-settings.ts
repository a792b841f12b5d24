// What a benchmark report says about the measured gateways' configuration beyond what the benchmark
// sets itself: the gateways inherit the benchmark's environment, so a setting such as
// HEAP_SEMI_SPACE_MB=0 there changes what is measured, and the report has to say so.
import { readFileSync } from 'node:fs';
import { textSetting } from '../gateway/env-settings.ts';
import { START_LINE_PREFIX } from '../gateway/start-line.ts';
import { readmeConfigTable } from '../scripts/readme-config-table.ts';

/** The gateway's configuration variables (README.md, "Configuration"). */
export function gatewayVariables(): string[] {
  return [...readmeConfigTable(readFileSync(new URL('../README.md', import.meta.url), 'utf8')).keys()];
}

/**
 * `NAME=value` for each of `variables` that `env` sets (not blank: a blank value means the default,
 * as the gateway reads it) and the benchmark does not set itself (`overridden`), sorted by name. A
 * secret shows as set, without its value; a URL without its user name and password.
 */
export function settingsFromEnvironment(
  env: Record<string, string | undefined>,
  variables: readonly string[],
  overridden: ReadonlySet<string>,
): string[] {
  const settings: string[] = [];
  for (const name of [...variables].sort()) {
    const value = textSetting(env[name]);
    if (value === undefined || overridden.has(name)) continue;
    settings.push(`${name}=${/SECRET|PASSWORD/.test(name) ? '(set)' : withoutCredentials(value)}`);
  }
  return settings;
}

function withoutCredentials(value: string): string {
  if (!URL.canParse(value)) return value;
  const url = new URL(value);
  if (url.username === '' && url.password === '') return value;
  url.username = '';
  url.password = '';
  return url.toString();
}

/** The line in which the gateway names its mode, its database and its memory settings as it starts. */
export function startLine(output: string): string | null {
  return output.split('\n').find((line) => line.startsWith(START_LINE_PREFIX)) ?? null;
}
