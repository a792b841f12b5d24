import { readdirSync, readFileSync } from 'node:fs';

const GRAPHQL_DIR = new URL('./graphql/', import.meta.url);

/** The public GraphQL SDL: every .graphql file of catalog-schema/graphql/, in name order. */
export function typeDefs(): string[] {
  return readdirSync(GRAPHQL_DIR)
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => readFileSync(new URL(name, GRAPHQL_DIR), 'utf8'));
}
