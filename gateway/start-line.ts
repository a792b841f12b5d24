// The line the gateway prints as it starts: its mode, its database and the memory settings it
// applied. The benchmark finds it in a gateway's output and quotes it in its report
// (bench/gateway-settings.ts).

export const START_LINE_PREFIX = 'Verwaltungscloud Catalogue starting';

/** `heap`: the memory settings applied, `; `-separated, or empty. */
export function formatStartLine(mode: string, where: string, heap: string): string {
  return `${START_LINE_PREFIX} in ${mode} mode on ${where}${heap ? `; ${heap}` : ''}.`;
}
