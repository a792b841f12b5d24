import { requireOrganisationAccess, requireRole, signsInFor } from '../../auth/policy.ts';
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
      const organisation = await registerOrganisation(
        context.db,
        input,
        context.trustedIssuers,
        context.organisationRegistration,
      );
      context.loaders.organisation.clear(organisation.id).prime(organisation.id, organisation);
      return organisation;
    },
  },

  Principal: {
    roles: (principal) => principal.roles.map((role) => role.toUpperCase() as Uppercase<typeof role>),
    // Only an organisation the caller's issuer vouches for is theirs (auth/policy.ts).
    organisation: async (principal, _args, context) => {
      if (!principal.organisationId) return null;
      const organisation = await context.loaders.organisation.load(principal.organisationId);
      return organisation && signsInFor(principal, organisation) ? organisation : null;
    },
  },
};
