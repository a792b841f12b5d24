import type { IncomingMessage } from 'node:http';

/**
 * The URL of a request, or null when its target is not one. Node's HTTP parser lets through request
 * targets the URL parser refuses (`GET http://[/graphql`): parsed unguarded in a request handler, such
 * a request threw outside any try and ended the whole process. Every server here answers it with 400.
 */
export function requestUrl(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return null;
  }
}
