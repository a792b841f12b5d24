// Demo subscriptions (Nachnutzung) in every state, made through the same domain functions as the API:
// each step has its history and its outbox row (the demo providers have no webhook, so the delivery
// worker marks those SKIPPED).
import type { Kysely } from 'kysely';
import type { Database } from '../../gateway/database/database.ts';
import { subscribe } from '../../gateway/subscriptions/subscribe.ts';
import type { LifecycleStep } from '../../gateway/subscriptions/subscription-lifecycle.ts';
import type { SchutzbedarfValue } from '../../gateway/subscriptions/subscription-tables.ts';
import { takeStep } from '../../gateway/subscriptions/take-step.ts';

interface DemoSubscription {
  authority: string;
  serviceId: string;
  planId: string;
  schutzbedarf?: SchutzbedarfValue;
  /** The steps after the request, in order; the actor follows from the step. */
  steps: { step: LifecycleStep; reason?: string }[];
}

/** The state each example ends in is in the comment; the README's demo section lists them too. */
export const DEMO_SUBSCRIPTIONS: readonly DemoSubscription[] = [
  // ACTIVE
  {
    authority: 'stadt-kiel',
    serviceId: 'dataport/wohngeld-digital',
    planId: 'efa-nachnutzung',
    steps: [{ step: 'ACCEPT' }],
  },
  {
    authority: 'stadt-muenchen',
    serviceId: 'dataport/wohngeld-digital',
    planId: 'efa-nachnutzung',
    steps: [{ step: 'ACCEPT' }],
  },
  {
    authority: 'bmi',
    serviceId: 'itzbund/bundesmessenger',
    planId: 'betrieb',
    schutzbedarf: 'HIGH',
    steps: [{ step: 'ACCEPT' }],
  },
  // REQUESTED
  {
    authority: 'stadt-leipzig',
    serviceId: 'itzbund/elterngeld-digital',
    planId: 'efa-nachnutzung',
    steps: [],
  },
  { authority: 'stadt-kiel', serviceId: 'it-nrw/videokonferenz', planId: 'raum', steps: [] },
  // REJECTED
  {
    authority: 'stadt-darmstadt',
    serviceId: 'itzbund/elterngeld-digital',
    planId: 'efa-nachnutzung',
    steps: [
      {
        step: 'REJECT',
        reason:
          'Die Anbindung an das hessische Fachverfahren ist erst ab dem zweiten Quartal möglich; bitte dann erneut beantragen.',
      },
    ],
  },
  // CANCELLED, after it was ACTIVE
  {
    authority: 'stadt-osnabrueck',
    serviceId: 'it-nrw/videokonferenz',
    planId: 'raum',
    steps: [
      { step: 'ACCEPT' },
      {
        step: 'CANCEL',
        reason: 'Die Stadt nutzt ab dem neuen Haushaltsjahr die Videokonferenzlösung des Landes.',
      },
    ],
  },
];

/**
 * Seeds the demo subscriptions into the demo catalogue and its certification data. Does nothing when any
 * subscription exists (a second start reuses the data) or the demo authorities are missing. Returns
 * whether it seeded; a refused demo step (the demo data no longer fit together) fails the start.
 */
export async function seedDemoSubscriptions(db: Kysely<Database>): Promise<boolean> {
  if (await db.selectFrom('service_subscription').select('id').limit(1).executeTakeFirst()) return false;
  const organisations = await db
    .selectFrom('organisation')
    .selectAll()
    .where('id', 'in', [...new Set(DEMO_SUBSCRIPTIONS.map((d) => d.authority))])
    .execute();
  if (organisations.length === 0) return false;
  for (const [index, demo] of DEMO_SUBSCRIPTIONS.entries()) {
    const organisation = organisations.find((o) => o.id === demo.authority);
    if (!organisation) return false;
    const { subscription } = await subscribe(db, {
      organisation,
      subject: `demo:authority@${demo.authority}`,
      serviceId: demo.serviceId,
      planId: demo.planId,
      idempotencyKey: `demo-${index + 1}`,
      schutzbedarf: demo.schutzbedarf ?? null,
    });
    for (const { step, reason } of demo.steps) {
      const actorOrganisation = step === 'CANCEL' ? demo.authority : subscription.provider_id;
      const role = step === 'CANCEL' ? 'authority' : 'provider';
      await takeStep(db, {
        subscriptionId: subscription.id,
        step,
        actor: { subject: `demo:${role}@${actorOrganisation}`, organisationId: actorOrganisation },
        reason: reason ?? null,
      });
    }
  }
  return true;
}
