import type { OperationNode } from 'kysely';

// Nodes that hold bind parameters, not SQL: a search word that happens to be a table's name is not a read.
const VALUE_KINDS = new Set(['ValueNode', 'ValueListNode', 'PrimitiveValueListNode']);
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_$]*/g;

/**
 * Adds to `into` every name in `tables` that the statement `node` mentions anywhere in its SQL: as a
 * table, in a raw `sql` fragment, as any identifier. It errs on the side of too many (an alias or a
 * column that is spelled like a table counts too), never too few, as long as a statement names every
 * table it reads: true for this schema, which has no views and no functions that read tables.
 */
export function addTablesNamed(node: OperationNode, tables: ReadonlySet<string>, into: Set<string>): void {
  visit(node, tables, into);
}

/** As `addTablesNamed`, for a statement's whole SQL text (its parameters are not part of it). */
export function addTablesNamedInText(text: string, tables: ReadonlySet<string>, into: Set<string>): void {
  visit(text, tables, into);
}

// The words of each SQL text seen: the texts are the code's own (fragments, identifiers), few and
// repeated with every request, so each is split once. Bounded all the same.
const wordsOf = new Map<string, readonly string[]>();
const MAX_REMEMBERED_TEXTS = 10_000;

function words(text: string): readonly string[] {
  let found = wordsOf.get(text);
  if (!found) {
    // Unquoted identifiers fold to lower case in PostgreSQL (`FROM Service` reads `service`).
    found = [...new Set(Array.from(text.matchAll(IDENTIFIER), (m) => m[0].toLowerCase()))];
    if (wordsOf.size >= MAX_REMEMBERED_TEXTS) wordsOf.clear();
    wordsOf.set(text, found);
  }
  return found;
}

function visit(value: unknown, tables: ReadonlySet<string>, into: Set<string>): void {
  if (typeof value === 'string') {
    for (const word of words(value)) if (tables.has(word)) into.add(word);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) visit(item, tables, into);
    return;
  }
  const kind = (value as { kind?: unknown }).kind;
  if (typeof kind === 'string' && VALUE_KINDS.has(kind)) return;
  for (const [key, child] of Object.entries(value)) {
    if (key !== 'kind') visit(child, tables, into);
  }
}
