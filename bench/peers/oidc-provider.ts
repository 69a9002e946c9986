/**
 * The peer of our provider: oidc-provider 9 (a certified OpenID Provider) with its in-memory
 * adapter, issuing RFC 9068 JWT access tokens to a `client_credentials` client.
 *
 * How oidc-provider picks the algorithm of a JWT access token: the resource server's
 * `jwt.sign.alg` (from `getResourceServerInfo`), else the client's `id_token_signed_response_alg`
 * default; the key is then the provider's own (`jwks` below) selected by that alg. So the provider
 * holds one EC key of the benchmarked alg (plus the RS256 key OIDC requires for ID tokens), and
 * the resource server asks for that alg.
 *
 * Env: ALG (ES256 | ES512), CLIENT_ID, CLIENT_SECRET, AUDIENCE. Prints `{"url": …}` when ready.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

type ProviderClass = new (issuer: string, config: object) => { callback(): (req: unknown, res: unknown) => void };

const alg = process.env.ALG === 'ES512' ? 'ES512' : 'ES256';
const clientId = process.env.CLIENT_ID ?? 'bench';
const clientSecret = process.env.CLIENT_SECRET ?? 'bench-secret-bench-secret-bench-secret';
const audience = process.env.AUDIENCE ?? 'https://api.bench.example';

// Untyped ESM: imported through a variable so the type checker does not look for declarations.
const specifier = 'oidc-provider';
const { default: Provider } = (await import(specifier)) as { default: ProviderClass };

function privateJwk(kind: 'ec' | 'rsa', alg: string): Record<string, unknown> {
  const { privateKey } = kind === 'ec' ? generateKeyPairSync('ec', { namedCurve: alg === 'ES512' ? 'P-521' : 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...(privateKey.export({ format: 'jwk' }) as object), kid: randomUUID(), alg, use: 'sig' };
}

const server = createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as { port: number };
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  // RS256 first: OIDC requires it for ID tokens; the EC key signs the access tokens.
  jwks: { keys: [privateJwk('rsa', 'RS256'), privateJwk('ec', alg)] },
  cookies: { keys: ['bench-cookie-key-0123456789'] },
  ttl: { ClientCredentials: 3600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope: 'api', audience, accessTokenFormat: 'jwt', jwt: { sign: { alg } } }),
    },
  },
});
server.on('request', provider.callback());
process.on('SIGTERM', () => server.close(() => process.exit(0)));
console.log(JSON.stringify({ url: issuer }));
