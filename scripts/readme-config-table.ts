// The configuration table of README.md ("## Configuration"): every environment variable the gateway
// reads, with its default. test/docs/readme-config.test.ts keeps it equal to what the code reads; the
// benchmark records which of them its environment sets (bench/gateway-settings.ts).

/** variable → default column text, from the table under "## Configuration" of `readme`. */
export function readmeConfigTable(readme: string): Map<string, string> {
  const start = readme.indexOf('## Configuration');
  const end = readme.indexOf('## Operations', start);
  if (start === -1 || end === -1)
    throw new Error('README.md has no "## Configuration" section before "## Operations"');
  const rows = new Map<string, string>();
  for (const line of readme.slice(start, end).split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !cells[1]!.startsWith('`')) continue;
    for (const m of cells[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) rows.set(m[1]!, cells[2]!);
  }
  return rows;
}
