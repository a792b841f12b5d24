// Every GraphQL operation the README shows (```graphql blocks, the queries of its curl examples, the
// provider node selection and each inline `field(args)`) is valid against the schema it documents.
import { readFileSync } from 'node:fs';
import {
  buildSchema,
  getNamedType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  parse,
  validate,
  type GraphQLSchema,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { createSchema } from '../../gateway/graphql/schema.ts';

const ROOT = new URL('../../', import.meta.url);
const README = readFileSync(new URL('README.md', ROOT), 'utf8');
/** The benchmark's own README (its method, its log of runs): its inline field references are checked too. */
const BENCH_README = readFileSync(new URL('bench/README.md', ROOT), 'utf8');

function fencedBlocks(markdown: string, lang: string): { line: number; text: string }[] {
  const blocks: { line: number; text: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() === '```' + lang) {
      const start = i + 1;
      let j = start;
      while (j < lines.length && lines[j]!.trim() !== '```') j++;
      blocks.push({ line: start + 1, text: lines.slice(start, j).join('\n') });
      i = j;
    }
  }
  return blocks;
}

/** The `query` of every `curl … -d '…'` or `-d "…"` in the README's sh blocks. */
function curlQueries(markdown: string): { line: number; query: string }[] {
  const found: { line: number; query: string }[] = [];
  for (const block of fencedBlocks(markdown, 'sh')) {
    // Payloads in single quotes (JSON as is) and double quotes (shell escapes \" and \$).
    const payloads: string[] = [];
    for (const m of block.text.matchAll(/-d\s+'([^']*)'/g)) payloads.push(m[1]!);
    for (const m of block.text.matchAll(/-d\s+"((?:[^"\\]|\\.)*)"/g))
      payloads.push(m[1]!.replace(/\\([\\"$`])/g, '$1'));
    for (const payload of payloads) {
      const q = /"query"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(payload);
      if (q) found.push({ line: block.line, query: JSON.parse(q[1]!) as string });
    }
  }
  return found;
}

const schema = createSchema();

describe('README GraphQL examples', () => {
  const graphqlBlocks = fencedBlocks(README, 'graphql');
  const curls = curlQueries(README);

  it('finds the examples (guards the extraction itself)', () => {
    expect(graphqlBlocks.length).toBeGreaterThanOrEqual(3);
    expect(curls.length).toBeGreaterThanOrEqual(5);
  });

  for (const block of graphqlBlocks) {
    it(`\`\`\`graphql block at README.md:${block.line} is valid`, () => {
      const errors = validate(schema, parse(block.text)).map((e) => e.message);
      expect(errors).toEqual([]);
    });
  }

  for (const curl of curls) {
    it(`curl query at README.md block line ${curl.line} is valid: ${curl.query.slice(0, 60)}`, () => {
      const errors = validate(schema, parse(curl.query)).map((e) => e.message);
      expect(errors).toEqual([]);
    });
  }

  it('the provider node selection `{ endpoint { unreadable { file reason servingLastReadable } } }` is valid against catalog-schema/provider-endpoint.graphql', () => {
    const providerSchema = buildSchema(
      readFileSync(new URL('catalog-schema/provider-endpoint.graphql', ROOT), 'utf8'),
    );
    const m = /`(\{ endpoint \{ unreadable \{[^`]*)`/.exec(README.replace(/\n\s*/g, ' '));
    expect(m, 'README names the selection').not.toBeNull();
    expect(validate(providerSchema, parse(m![1]!)).map((e) => e.message)).toEqual([]);
  });
});

/**
 * Every `name(arg, arg: value, …)` the README writes in inline code names a field of the schema that
 * takes those arguments (the API summary, the Subscriptions, Certification and Federation sections;
 * and bench/README.md).
 */
describe('README inline field references', () => {
  const fieldsByName = new Map<string, Set<string>[]>();
  function collect(s: GraphQLSchema) {
    for (const type of Object.values(s.getTypeMap())) {
      if (type.name.startsWith('__')) continue;
      if (isObjectType(type) || isInterfaceType(type)) {
        for (const field of Object.values(type.getFields())) {
          const list = fieldsByName.get(field.name) ?? [];
          list.push(new Set(field.args.map((a) => a.name)));
          fieldsByName.set(field.name, list);
        }
      }
      if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!fieldsByName.has(field.name)) fieldsByName.set(field.name, [new Set()]);
          void getNamedType(field.type);
        }
      }
    }
  }
  collect(schema);

  // `services(search, filter, first, after)`, `subscriptionDeliveries(state: [DEAD])`, …
  const references = new Map<string, string[]>();
  for (const m of `${README}\n${BENCH_README}`.matchAll(/`([a-z][A-Za-z]+)\(([^`()]*)\)/g)) {
    const name = m[1]!;
    if (
      !fieldsByName.has(name) &&
      !/^[a-z]+[A-Z]/.test(name) &&
      !['services', 'service', 'organisation', 'organisations', 'provider', 'certificate', 'me'].includes(
        name,
      )
    )
      continue;
    // Argument names: the identifiers at depth 0 before a ':' or ',' or the end.
    const args: string[] = [];
    let depth = 0;
    let current = '';
    for (const ch of m[2]!) {
      if (ch === '{' || ch === '[' || ch === '(') depth++;
      if (ch === '}' || ch === ']' || ch === ')') depth--;
      if (depth === 0 && ch === ',') {
        args.push(current);
        current = '';
      } else current += ch;
    }
    if (current.trim()) args.push(current);
    const names = args.map((a) => a.trim().split(':')[0]!.trim()).filter((a) => /^[A-Za-z_]\w*$/.test(a));
    references.set(`${name}(${m[2]})`, [name, ...names]);
  }

  // Names that are not GraphQL fields (TypeScript functions in the README's prose).
  const NOT_GRAPHQL = new Set([
    'createProviderNode',
    'publishListings',
    'withdrawService_ts',
    'appendAuditEvents',
    'countingDatabase',
  ]);

  for (const [text, [name, ...args]] of references) {
    if (NOT_GRAPHQL.has(name!)) continue;
    it(`\`${text}\` is a field of the schema with those arguments`, () => {
      const candidates = fieldsByName.get(name!);
      expect(candidates, `no field named ${name}`).toBeDefined();
      const fits = candidates!.some((argSet) => args.every((a) => argSet.has(a)));
      expect(
        fits,
        `${name} takes ${candidates!.map((s) => `(${[...s].join(', ')})`).join(' or ')}, README writes (${args.join(', ')})`,
      ).toBe(true);
    });
  }
});
