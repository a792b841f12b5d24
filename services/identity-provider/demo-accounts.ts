import type { Role } from '../../gateway/auth/principal.ts';
import type { OrganisationKind } from '../../gateway/database/schema.ts';
import { DEMO_ORGANISATIONS } from '../demo/demo-catalogue.ts';

/** A person who signs in at the development identity provider (authorization code with PKCE). */
export interface DemoAccount {
  /** The account id, also the token's `sub`: `<role>@<organisation>`, like the development header. */
  id: string;
  name: string;
  roles: Role[];
  organisationId: string | null;
}

/** A provider's machine that pushes listings with the client credentials grant. */
export interface DemoMachineClient {
  /** `machine@<organisation>`; also the token's `sub`. */
  clientId: string;
  /** Development only: fixed, printed and documented. Never a real secret. */
  clientSecret: string;
  roles: Role[];
  organisationId: string;
}

const ROLE_OF_KIND: Record<OrganisationKind, Role> = {
  AUTHORITY: 'authority',
  PROVIDER: 'provider',
  COORDINATOR: 'coordinator',
};

/** One account per demo organisation, in the role its kind implies: every role, every organisation. */
export function demoAccounts(): DemoAccount[] {
  return DEMO_ORGANISATIONS.map((organisation) => {
    const role = ROLE_OF_KIND[organisation.kind];
    return {
      id: `${role}@${organisation.id}`,
      name: `${role} (${organisation.name})`,
      roles: [role],
      organisationId: organisation.id,
    };
  });
}

/** One client credentials client per demo provider. */
export function demoMachineClients(): DemoMachineClient[] {
  return DEMO_ORGANISATIONS.filter((o) => o.kind === 'PROVIDER').map((organisation) => ({
    clientId: `machine@${organisation.id}`,
    clientSecret: `development-secret-${organisation.id}`,
    roles: ['provider'],
    organisationId: organisation.id,
  }));
}
