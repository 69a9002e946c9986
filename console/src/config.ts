/**
 * What the server tells the console about where it runs: a meta tag it puts into index.html
 * (src/http/console.ts), since the page's CSP allows no inline script.
 */
export interface ConsoleConfig {
  /** The provider's issuer, without a trailing slash. */
  issuer: string;
  /** The GraphQL endpoint (HTTP; the WebSocket URL is derived from it). */
  graphql: string;
  clientId: string;
  /** The path the console is served under, e.g. `/admin` or `/auth/admin`. */
  base: string;
  productName: string;
}

export function readConfig(doc: Document = document): ConsoleConfig {
  const content = doc.querySelector<HTMLMetaElement>('meta[name="jwt-oidc-console"]')?.content;
  if (!content) throw new Error('This page was not served by jwt-oidc: its configuration is missing.');
  const parsed = JSON.parse(content) as Partial<ConsoleConfig>;
  for (const key of ['issuer', 'graphql', 'clientId', 'base', 'productName'] as const) {
    if (typeof parsed[key] !== 'string') throw new Error(`The console's configuration lacks ${key}.`);
  }
  return parsed as ConsoleConfig;
}

/** `wss://host/graphql` for `https://host/graphql` (RFC 6455 §3). */
export function webSocketUrl(graphql: string): string {
  const url = new URL(graphql);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}
