// What the resolvers receive as parents (codegen "mappers"): our own rows and reference objects.
import type { Land, Lebenslage, OzgLeistung, Themenfeld } from '../../catalog-schema/reference-data.ts';
import type { OrganisationRow, ServiceRow } from '../database/schema.ts';
import type { ServiceSearch } from '../catalog/search-services.ts';

export type ServiceModel = ServiceRow;
export type OrganisationModel = OrganisationRow;
export type OzgLeistungModel = OzgLeistung;
export type ThemenfeldModel = Themenfeld;
export type LebenslageModel = Lebenslage;
export type LandModel = Land;
export type ServiceConnectionModel = ServiceSearch;
