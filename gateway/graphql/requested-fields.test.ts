import { makeExecutableSchema } from '@graphql-tools/schema';
import { graphql, parse, type GraphQLResolveInfo } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { describe, expect, it } from 'vitest';
import { selectsField } from './requested-fields.ts';

// The search reads its parts by what the selection asks for (resolvers/catalog.ts): a part that
// `@skip` or `@include` leaves out must not count as asked for, under graphql-js and the compiled path.
let seen: boolean | undefined;
const schema = makeExecutableSchema({
  typeDefs: `
    type Parts { a: Int b: Int }
    type Query { parts: Parts }
  `,
  resolvers: {
    Query: {
      parts: (_parent: unknown, _args: unknown, _context: unknown, info: GraphQLResolveInfo) => {
        seen = selectsField(info, 'a');
        return { a: 1, b: 2 };
      },
    },
  },
});

const CASES: [string, string, Record<string, unknown>, boolean][] = [
  ['a plain field', '{ parts { a } }', {}, true],
  ['another field only', '{ parts { b } }', {}, false],
  ['@skip(if: true)', '{ parts { a @skip(if: true) b } }', {}, false],
  ['@skip(if: false)', '{ parts { a @skip(if: false) } }', {}, true],
  ['@include(if: false)', '{ parts { a @include(if: false) b } }', {}, false],
  [
    '@include through a variable',
    'query Q($on: Boolean!) { parts { a @include(if: $on) b } }',
    { on: false },
    false,
  ],
  [
    '@skip through a variable',
    'query Q($off: Boolean!) { parts { a @skip(if: $off) } }',
    { off: false },
    true,
  ],
  ['a skipped inline fragment', '{ parts { ... @skip(if: true) { a } b } }', {}, false],
  [
    'a named fragment left out',
    'query Q($on: Boolean!) { parts { ...A @include(if: $on) b } } fragment A on Parts { a }',
    { on: false },
    false,
  ],
  ['a named fragment', '{ parts { ...A } } fragment A on Parts { a }', {}, true],
  ['a skipped alias, the field kept', '{ parts { x: a @skip(if: true) a } }', {}, true],
];

describe('selectsField', () => {
  it.each(CASES)('%s (graphql-js)', async (_name, source, variables, expected) => {
    seen = undefined;
    const result = await graphql({ schema, source, variableValues: variables });
    expect(result.errors).toBeUndefined();
    expect(seen).toBe(expected);
  });

  it.each(CASES)('%s (compiled)', async (_name, source, variables, expected) => {
    seen = undefined;
    const compiled = compileQuery(schema, parse(source));
    if (!isCompiledQuery(compiled)) throw new Error(JSON.stringify(compiled));
    const result = await compiled.query(undefined, {}, variables);
    expect(result.errors).toBeUndefined();
    expect(seen).toBe(expected);
  });
});
