import {
  base64url,
  CompactSign,
  compactVerify,
  type CryptoKey,
  type JWTVerifyGetKey,
  type KeyObject,
} from 'jose';

/**
 * The HTTP header that carries a notification's signature: a compact JWS with a detached payload
 * (RFC 7515, appendix F) over the exact bytes of the request body: `<protected header>..<signature>`.
 */
export const NOTIFICATION_SIGNATURE_HEADER = 'x-catalogue-signature';

/** The JWS `typ` of a notification signature; keeps a certificate or token from passing for one. */
export const NOTIFICATION_SIGNATURE_TYP = 'vc-subscription-notification+jws';

/** The algorithms a notification may be signed with (the catalogue's keys are ES256 or EdDSA). */
export const NOTIFICATION_ALGORITHMS = ['ES256', 'EdDSA'] as const;

/** Signs a notification body for the catalogue; returns the header value. */
export async function signNotification(
  body: string | Uint8Array,
  key: CryptoKey | KeyObject | Uint8Array,
  header: { alg: (typeof NOTIFICATION_ALGORITHMS)[number]; kid: string },
): Promise<string> {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const jws = await new CompactSign(bytes)
    .setProtectedHeader({ alg: header.alg, kid: header.kid, typ: NOTIFICATION_SIGNATURE_TYP })
    .sign(key);
  const [protectedHeader, , signature] = jws.split('.');
  return `${protectedHeader}..${signature}`;
}

/** Why a notification signature was refused; `code` is stable. */
export class NotificationSignatureError extends Error {
  constructor(
    readonly code: 'SIGNATURE_MISSING' | 'SIGNATURE_MALFORMED' | 'SIGNATURE_INVALID',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NotificationSignatureError';
  }
}

/**
 * Verifies a notification's detached JWS against the catalogue's key set (for example jose's
 * createRemoteJWKSet on the catalogue's /.well-known/jwks.json). Throws NotificationSignatureError.
 */
export async function verifyNotificationSignature(
  body: string | Uint8Array,
  signatureHeader: string | undefined,
  keySet: JWTVerifyGetKey,
): Promise<{ kid: string | undefined; alg: string }> {
  if (!signatureHeader) {
    throw new NotificationSignatureError(
      'SIGNATURE_MISSING',
      `the ${NOTIFICATION_SIGNATURE_HEADER} header is missing`,
    );
  }
  const parts = signatureHeader.trim().split('.');
  if (parts.length !== 3 || parts[1] !== '' || !parts[0] || !parts[2]) {
    throw new NotificationSignatureError(
      'SIGNATURE_MALFORMED',
      `the ${NOTIFICATION_SIGNATURE_HEADER} header must be a detached compact JWS "<header>..<signature>"`,
    );
  }
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  try {
    const { protectedHeader } = await compactVerify(
      `${parts[0]}.${base64url.encode(bytes)}.${parts[2]}`,
      keySet,
      { algorithms: [...NOTIFICATION_ALGORITHMS] },
    );
    if (protectedHeader.typ !== NOTIFICATION_SIGNATURE_TYP) {
      throw new NotificationSignatureError(
        'SIGNATURE_INVALID',
        `the signature's typ is ${JSON.stringify(protectedHeader.typ)}, not ${NOTIFICATION_SIGNATURE_TYP}`,
      );
    }
    return { kid: protectedHeader.kid, alg: protectedHeader.alg };
  } catch (error) {
    if (error instanceof NotificationSignatureError) throw error;
    throw new NotificationSignatureError(
      'SIGNATURE_INVALID',
      `the signature does not verify with the catalogue's keys: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
