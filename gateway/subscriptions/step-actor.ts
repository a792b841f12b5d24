/** Who took a subscription step: the signed-in subject and the organisation it acted for. */
export interface StepActor {
  subject: string;
  organisationId: string;
}
