/** The coordinator acting: the signed-in subject and the coordination office's organisation id. */
export interface CertificationActor {
  subject: string;
  organisation: string;
}
