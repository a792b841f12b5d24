import { requireOrganisationAccess, requireRole } from '../../auth/policy.ts';
import { listOrganisations, registerOrganisation } from '../../catalog/organisation-registry.ts';
import type { Resolvers } from '../generated/resolvers-types.ts';
import { preventResponseCaching } from '../response-cache/request-cacheability.ts';

export const authResolvers: Resolvers = {
  Query: {
    me: (_parent, _args, context) => {
      // The answer names the signed-in person: never replay it to another member of the organisation.
      preventResponseCaching(context, 'me names the signed-in person');
      return context.principal;
    },
    organisation: async (_parent, { id }, context) => {
      const organisation = await context.loaders.organisation.load(id);
      // Providers are part of the public catalogue; every other organisation is private to its members.
      if (organisation?.kind === 'PROVIDER') return organisation;
      await requireOrganisationAccess(context, id, 'organisation');
      return organisation;
    },
    organisations: async (_parent, { kind }, context) => {
      await requireRole(context, 'coordinator', 'organisations');
      return listOrganisations(context.db, kind ?? null);
    },
  },

  Mutation: {
    registerOrganisation: async (_parent, { input }, context) => {
      await requireRole(context, 'coordinator', 'registerOrganisation');
      const organisation = await registerOrganisation(context.db, input);
      context.loaders.organisation.clear(organisation.id).prime(organisation.id, organisation);
      return organisation;
    },
  },

  Principal: {
    roles: (principal) => principal.roles.map((role) => role.toUpperCase() as Uppercase<typeof role>),
    organisation: (principal, _args, context) =>
      principal.organisationId ? context.loaders.organisation.load(principal.organisationId) : null,
  },
};
