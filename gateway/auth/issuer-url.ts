/**
 * Checks the URL of an OpenID Connect issuer taken from the environment (`setting` names the
 * variable in the error). An issuer must be https, except on loopback (the development identity
 * provider and tests): its keys decide who may sign in, and the harvester sends its client secret to
 * its token endpoint. Throws a message that names the setting and the value.
 */
export function checkIssuerUrl(setting: string, issuer: string): void {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new Error(`${setting}: ${JSON.stringify(issuer)} is not a URL`);
  }
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error(`${setting}: ${issuer} must use https (http only on loopback)`);
  }
  if (url.search || url.hash) throw new Error(`${setting}: ${issuer} must not have a query or fragment`);
}
