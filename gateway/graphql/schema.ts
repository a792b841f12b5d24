import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { typeDefs } from '../../catalog-schema/type-defs.ts';
import type { Resolvers } from './generated/resolvers-types.ts';
import { authResolvers } from './resolvers/auth.ts';
import { catalogResolvers } from './resolvers/catalog.ts';
import { certificationResolvers } from './resolvers/certification.ts';
import { federationResolvers } from './resolvers/federation.ts';
import { subscriptionResolvers } from './resolvers/subscriptions.ts';
import { DateTimeScalar, JsonScalar } from './scalars.ts';

/** The resolvers of every domain; each domain keeps its own module. */
export const domainResolvers: Resolvers[] = [
  catalogResolvers,
  certificationResolvers,
  authResolvers,
  subscriptionResolvers,
  federationResolvers,
];

/** The executable public schema: catalog-schema's SDL with the gateway's resolvers. */
export function createSchema(): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: typeDefs(),
    resolvers: [{ DateTime: DateTimeScalar, JSON: JsonScalar }, ...domainResolvers],
    inheritResolversFromInterfaces: true,
  });
}
