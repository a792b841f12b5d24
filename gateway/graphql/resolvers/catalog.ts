import type { Listing } from '../../../catalog-schema/generated/listing.ts';
import { characterCount } from '../../../catalog-schema/storable-text.ts';
import { referenceData, type Land } from '../../../catalog-schema/reference-data.ts';
import { validateListing } from '../../../catalog-schema/validate-listing.ts';
import { assertOwnService, requireRole } from '../../auth/policy.ts';
import { listProviders } from '../../catalog/organisations.ts';
import { publishListing, withdrawService } from '../../catalog/publish-listing.ts';
import { searchOzgLeistungen } from '../../catalog/search-ozg-leistungen.ts';
import { searchServices } from '../../catalog/search-services.ts';
import { UserError } from '../../errors.ts';
import type { Resolvers } from '../generated/resolvers-types.ts';
import { selectsField } from '../requested-fields.ts';
import { boundByCertificateExpiry } from './certification.ts';

function land(code: string | null): Land | null {
  if (code === null) return null;
  return referenceData().laender.get(code) ?? { code, name: code, level: 'LAND' };
}

function doc(service: { document: unknown }): Listing {
  return service.document as Listing;
}

export const catalogResolvers: Resolvers = {
  Query: {
    services: async (_parent, args, context, info) => {
      // Which services are certified changes with the clock: a cached answer lasts until the next expiry.
      if (args.filter?.certified != null) await boundByCertificateExpiry(context);
      return searchServices(context.db, args, {
        wantFacets: selectsField(info, 'facets'),
        wantPage: selectsField(info, 'edges') || selectsField(info, 'pageInfo'),
        wantTotal: selectsField(info, 'totalCount'),
      });
    },
    service: (_parent, { id }, context) => context.loaders.service.load(id),
    providers: (_parent, _args, context) => listProviders(context.db),
    provider: async (_parent, { id }, context) => {
      const organisation = await context.loaders.organisation.load(id);
      return organisation?.kind === 'PROVIDER' ? organisation : null;
    },
    ozgLeistungen: (_parent, args, context) => searchOzgLeistungen(context.db, args),
    ozgLeistung: (_parent, { id }) => referenceData().ozgLeistungen.get(id) ?? null,
    themenfelder: () =>
      [...referenceData().themenfelder.values()].sort((a, b) => a.name.localeCompare(b.name, 'de')),
    lebenslagen: () =>
      [...referenceData().lebenslagen.values()].sort((a, b) => a.name.localeCompare(b.name, 'de')),
    laender: () => [...referenceData().laender.values()],
  },

  Mutation: {
    publishService: async (_parent, args, context) => {
      const actor = await requireRole(context, 'provider', 'publishService');
      const validation = validateListing(args.listing);
      if (!validation.ok) {
        throw new UserError(
          'BAD_USER_INPUT',
          `The listing is invalid: ${validation.problems.map((p) => `${p.path} ${p.message}`).join('; ')}.`,
          { problems: validation.problems },
        );
      }
      const result = await publishListing(
        context.db,
        {
          providerId: actor.organisation.id,
          listing: validation.listing,
          source: 'PUSH',
          actor: { subject: actor.principal.subject, organisationId: actor.organisation.id },
        },
        context.hooks,
      );
      context.loaders.service.clear(result.service.id).prime(result.service.id, result.service);
      return { service: result.service, changed: result.outcome !== 'UNCHANGED' };
    },
    withdrawService: async (_parent, { id, reason }, context) => {
      const actor = await requireRole(context, 'provider', 'withdrawService');
      // Shown with the listing to everyone who reads it: a reason, not a document.
      if (reason != null && characterCount(reason) > 2000) {
        throw new UserError('BAD_USER_INPUT', 'The reason is at most 2000 characters long.', {
          argument: 'reason',
        });
      }
      const service = await context.loaders.service.load(id);
      if (!service) throw new UserError('NOT_FOUND', `There is no service ${id}.`, { serviceId: id });
      assertOwnService(actor, service, 'withdrawService');
      const withdrawn = await withdrawService(
        context.db,
        {
          serviceId: id,
          reason: reason ?? null,
          source: 'PUSH',
          actor: { subject: actor.principal.subject, organisationId: actor.organisation.id },
        },
        context.hooks,
      );
      context.loaders.service.clear(id).prime(id, withdrawn);
      return withdrawn;
    },
  },

  ServiceConnection: {
    edges: async (search) => (await search.page()).edges,
    pageInfo: async (search) => {
      const page = await search.page();
      return {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: search.hasPreviousPage,
        startCursor: page.edges[0]?.cursor ?? null,
        endCursor: page.edges.at(-1)?.cursor ?? null,
      };
    },
    totalCount: (search) => search.totalCount(),
    facets: (search) => search.facets(),
    searchCorrections: (search) => search.corrections,
  },

  Organisation: {
    land: (organisation) => land(organisation.land),
    serviceCount: (organisation, _args, context) => context.loaders.activeServiceCount.load(organisation.id),
  },

  OzgLeistung: {
    services: (leistung, { first }, context) => {
      if (!Number.isInteger(first) || first < 1 || first > 100) {
        throw new UserError('BAD_USER_INPUT', `\`first\` must be between 1 and 100; it was ${first}.`, {
          argument: 'first',
        });
      }
      return context.loaders.activeServicesByOzgId.load({ ozgId: leistung.id, first });
    },
  },

  Service: {
    localId: (service) => service.local_id,
    provider: async (service, _args, context) => {
      const provider = await context.loaders.organisation.load(service.provider_id);
      if (!provider) throw new Error(`service ${service.id} has no provider row`);
      return provider;
    },
    keywords: (service) => doc(service).keywords ?? [],
    ozgLeistungen: (service) =>
      service.ozg_ids.flatMap((id) => {
        const leistung = referenceData().ozgLeistungen.get(id);
        return leistung ? [leistung] : [];
      }),
    leikaKeys: (service) => service.leika_keys,
    themenfelder: (service) =>
      service.themenfelder.flatMap((id) => {
        const themenfeld = referenceData().themenfelder.get(id);
        return themenfeld ? [themenfeld] : [];
      }),
    lebenslagen: (service) =>
      service.lebenslagen.flatMap((id) => {
        const lebenslage = referenceData().lebenslagen.get(id);
        return lebenslage ? [lebenslage] : [];
      }),
    developingLand: (service) => land(service.developing_land),
    availableIn: (service) => service.available_in.map((code) => land(code) as Land),
    operatingModel: (service) => service.operating_model as 'SAAS' | 'CONTAINER' | 'HYBRID',
    hostingLocation: (service) => service.hosting_location as 'DE' | 'EU',
    schutzbedarf: (service) => service.schutzbedarf as 'NORMAL' | 'HIGH' | 'VERY_HIGH',
    interfaces: (service) => doc(service).interfaces ?? [],
    licence: (service) => doc(service).licence ?? null,
    accessibility: (service) => doc(service).accessibility ?? null,
    plans: (service) => doc(service).plans,
    contact: (service) => doc(service).contact,
    documentation: (service) => doc(service).documentation ?? [],
    provenance: (service) => ({
      source: service.source,
      endpoint: service.source_endpoint,
      fetchedAt: service.fetched_at,
    }),
    contentHash: (service) => service.content_hash,
    publishedAt: (service) => service.published_at,
    updatedAt: (service) => service.updated_at,
    withdrawnAt: (service) => service.withdrawn_at,
    withdrawnReason: (service) => service.withdrawn_reason,
  },
};
