/**
 * oidc-provider 9, a certified OpenID Provider, run in the test process on loopback as a second
 * issuer: it gives a client_credentials client RFC 9068 JWT access tokens for one resource server
 * (a resource indicator, RFC 8707), or opaque ones (`accessTokenFormat: 'opaque'`) that the
 * resource server introspects (RFC 7662) as client `orders-api`. The packages must trust its
 * tokens as they trust ours.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';

/** Where oidc-provider's tokens are for (a resource indicator, RFC 8707), unless told otherwise. */
export const OP_RESOURCE = 'https://api.example';

export interface ReferenceOp {
  issuer: string;
  /** A client_credentials access token of client `m2m` for the resource, with `scope`. */
  token(scope?: string): Promise<string>;
  /** The client a resource server introspects as (RFC 7662). */
  introspector: { clientId: string; clientSecret: string };
  /** Revokes a token of `m2m` (RFC 7009). */
  revoke(token: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * oidc-provider (untyped ESM) issuing JWT access tokens for `resource` to a client_credentials
 * client; `scope` is what that resource server accepts (space-separated).
 */
export async function startOidcProvider(options: { resource?: string; scope?: string; accessTokenFormat?: 'jwt' | 'opaque' } = {}): Promise<ReferenceOp> {
  const resource = options.resource ?? OP_RESOURCE;
  type OidcProvider = { callback(): (req: unknown, res: unknown) => void };
  // The specifier is a variable: oidc-provider ships no types.
  const name = 'oidc-provider';
  const { default: Provider } = (await import(name)) as { default: new (issuer: string, config: object) => OidcProvider };
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kid = randomUUID();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const secret = randomBytes(32).toString('base64url');
  const introspector = { clientId: 'orders-api', clientSecret: randomBytes(32).toString('base64url') };
  const provider = new Provider(issuer, {
    ttl: { ClientCredentials: 600 },
    clients: [
      { client_id: 'm2m', client_secret: secret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] },
      { client_id: introspector.clientId, client_secret: introspector.clientSecret, grant_types: [], redirect_uris: [], response_types: [] },
    ],
    jwks: { keys: [{ ...(privateKey.export({ format: 'jwk' }) as JWK), kid, alg: 'RS256', use: 'sig' }] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // The resource server may introspect; a client may revoke only its own tokens.
      introspection: { enabled: true, allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => client.clientId === introspector.clientId || token.clientId === client.clientId },
      revocation: { enabled: true, allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => token.clientId === client.clientId },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        getResourceServerInfo: () => ({ scope: options.scope ?? 'read', accessTokenFormat: options.accessTokenFormat ?? 'jwt', audience: resource }),
      },
    },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    async token(scope = 'read') {
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`m2m:${secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }),
      });
      const body = (await res.json()) as { access_token?: string };
      if (res.status !== 200 || !body.access_token) throw new Error(`oidc-provider token request failed: ${res.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    introspector,
    async revoke(token) {
      const res = await fetch(`${issuer}/token/revocation`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`m2m:${secret}`).toString('base64')}` },
        body: new URLSearchParams({ token }),
      });
      if (res.status !== 200) throw new Error(`oidc-provider revocation failed: ${res.status} ${await res.text()}`);
    },
    async close() {
      if (!server.listening) return;
      const closed = new Promise((r) => server.close(r));
      server.closeAllConnections();
      await closed;
    },
  };
}
