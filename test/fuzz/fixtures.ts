/**
 * A provider for fuzzing: real users and clients (confidential, public, another confidential,
 * machine-to-machine), a way to mint fresh codes and tokens cheaply (a login session made in
 * process, so no password hashing per case), the provider's real signing keys (to re-sign
 * mutated tokens), and the redirect policy of a request (the URIs of the clients it names).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { SignatureAlg } from '../../src/config/definitions.js';
import type { ProviderContext } from '../../src/provider/context.js';
import { authorizeUrl, pkcePair, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';
import type { Policy } from './support/checker.js';
import { DbWatch } from './support/database.js';
import type { FuzzRequest } from './support/http.js';
import type { SigningKey } from './support/jwt.js';
import { NO_THROTTLE } from './support/settings.js';

export interface FixtureClient {
  id: string;
  secret?: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
}

export type ClientName = 'conf' | 'pub' | 'other' | 'm2m';
export const SCOPE = 'openid profile email offline_access';

export interface FuzzProvider {
  p: TestProvider;
  ctx: ProviderContext;
  db: DbWatch;
  alice: { id: string; username: string; password: string };
  clients: Record<ClientName, FixtureClient>;
  /** Every client id, secret, URI (the pool of plausible values). */
  ids: string[];
  secrets: string[];
  uris: string[];
  /** A fresh login session of alice: the Cookie header value. */
  sessionCookie(userId?: string): Promise<string>;
  /** A fresh authorization code of a client (PKCE S256, first redirect URI). */
  mintCode(client?: ClientName, params?: Record<string, string>, cookie?: string): Promise<{ code: string; verifier: string; redirectUri: string }>;
  /** A fresh token set (code redeemed): access, refresh and ID token; of alice unless a session cookie is given. */
  mintTokens(client?: ClientName, params?: Record<string, string>, cookie?: string): Promise<{ access_token: string; refresh_token: string; id_token: string }>;
  /** A client_credentials access token (m2m, admin scope). */
  machineToken(scope?: string): Promise<string>;
  /** The provider's keys that sign now. */
  signingKeys(): SigningKey[];
  /** Where a response to this request may send the browser. */
  policyFor(req: FuzzRequest | string): Policy;
  close(): Promise<void>;
}

/** The registered resource (RFC 8707) that token exchanges may target. */
export const FUZZ_RESOURCE = 'https://api.fuzz.example/';

export async function startFuzzProvider(env: Record<string, string> = {}): Promise<FuzzProvider> {
  const p = await startProvider({ ...NO_THROTTLE, JWT_OIDC_API_SCOPES: 'api:read,api:write', ...env });
  const ctx = p.provider!;
  const alice = await p.createUser({ username: 'alice', givenName: 'Alice', emailVerified: true });
  await ctx.resources.create({ id: FUZZ_RESOURCE, scopes: ['api:read', 'res:read'] });
  const all = ['code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token'];
  const defs: Record<ClientName, Parameters<TestProvider['createClient']>[0]> = {
    conf: {
      id: 'fuzz-conf',
      redirectUris: ['https://rp.example/cb', 'https://rp.example/cb?x=1', 'http://127.0.0.1:9/cb', 'com.example.app:/cb'],
      postLogoutRedirectUris: ['https://rp.example/bye', 'https://rp.example/bye?y=2'],
      grantTypes: ['authorization_code', 'refresh_token', 'implicit', 'client_credentials'],
      responseTypes: all,
      allowedOrigins: ['https://rp.example'],
      firstParty: true,
      audiences: ['fuzz-other'],
    },
    pub: { id: 'fuzz-pub', public: true, redirectUris: ['http://localhost:5173/callback'], postLogoutRedirectUris: ['http://localhost:5173/'], allowedOrigins: ['http://localhost:5173'] },
    other: { id: 'fuzz-other', redirectUris: ['https://other.example/cb'], postLogoutRedirectUris: ['https://other.example/bye'], firstParty: true, grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'] },
    // Also a token-exchange client (RFC 8693), for the one registered resource.
    m2m: { id: 'fuzz-m2m', redirectUris: [], grantTypes: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'], admin: true, tokenExchange: { audiences: [FUZZ_RESOURCE], widen: true } },
  };
  const clients = {} as Record<ClientName, FixtureClient>;
  for (const [name, def] of Object.entries(defs) as [ClientName, NonNullable<(typeof defs)[ClientName]>][]) {
    const created = await p.createClient({ name: `Fuzz ${name}`, ...def });
    clients[name] = { id: created.clientId, secret: created.clientSecret, redirectUris: def.redirectUris ?? [], postLogoutRedirectUris: def.postLogoutRedirectUris ?? [] };
  }
  await ctx.consents.grant(alice.id, clients.pub.id, SCOPE.split(' '));
  const db = await DbWatch.open(p.databaseUrl);

  let mintingSession: string | undefined;
  const sessionCookie = async (userId = alice.id) => {
    const { cookieValue } = await ctx.sessions.create(userId, 3_600_000);
    return `${ctx.cookies.session}=${encodeURIComponent(cookieValue)}`;
  };

  async function mintCode(name: ClientName = 'conf', params: Record<string, string> = {}, cookie?: string) {
    const c = clients[name];
    const { verifier, challenge } = pkcePair();
    const redirectUri = c.redirectUris[0]!;
    const url = authorizeUrl(p, { client_id: c.id, redirect_uri: redirectUri, response_type: 'code', scope: SCOPE, state: 'st', nonce: 'n-0S6', code_challenge: challenge, code_challenge_method: 'S256', ...params });
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!cookie) mintingSession ??= await sessionCookie();
      const res = await fetch(url, { headers: { cookie: cookie ?? mintingSession! }, redirect: 'manual' });
      const location = res.headers.get('location') ?? '';
      const code = location.startsWith(redirectUri) ? new URL(location).searchParams.get('code') : null;
      if (code) return { code, verifier, redirectUri };
      if (cookie) throw new Error(`no code for ${name}: ${res.status} ${location}`);
      mintingSession = undefined; // ended meanwhile: a new one
    }
    throw new Error(`no code for ${name}`);
  }

  async function mintTokens(name: ClientName = 'conf', params: Record<string, string> = {}, cookie?: string) {
    const { code, verifier, redirectUri } = await mintCode(name, params, cookie);
    const c = clients[name];
    const res = await tokenRequest(p, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }, { clientId: c.id, clientSecret: c.secret });
    const body = (await res.json()) as { access_token: string; refresh_token: string; id_token: string };
    if (res.status !== 200) throw new Error(`token request failed: ${JSON.stringify(body)}`);
    return body;
  }

  async function machineToken(scope = 'admin') {
    const c = clients.m2m;
    const res = await tokenRequest(p, { grant_type: 'client_credentials', scope }, { clientId: c.id, clientSecret: c.secret });
    const body = (await res.json()) as { access_token: string };
    if (res.status !== 200) throw new Error(`client_credentials failed: ${JSON.stringify(body)}`);
    return body.access_token;
  }

  const ids = Object.values(clients).map((c) => c.id);
  const secrets = Object.values(clients).flatMap((c) => (c.secret ? [c.secret] : []));
  const uris = Object.values(clients).flatMap((c) => [...c.redirectUris, ...c.postLogoutRedirectUris]);
  const own = new URL(p.issuer).origin;

  return {
    p,
    ctx,
    db,
    alice,
    clients,
    ids,
    secrets,
    uris,
    sessionCookie,
    mintCode,
    mintTokens,
    machineToken,
    signingKeys: () => providerSigningKeys(ctx),
    policyFor(req) {
      const blob = typeof req === 'string' ? req : requestBlob(req);
      const named = Object.values(clients).filter((c) => blob.includes(c.id));
      return { own: [own], targets: named.flatMap((c) => [...c.redirectUris, ...c.postLogoutRedirectUris]) };
    },
    async close() {
      await db.close();
      await p.close();
    },
  };
}

/** `fn`'s result, made again once it is older than `ttlMs` (tokens outlive no long fuzz run). */
export function cached<T>(fn: () => Promise<T>, ttlMs = 240_000): () => Promise<T> {
  let value: Promise<T> | undefined;
  let at = 0;
  return () => {
    if (!value || Date.now() - at > ttlMs) {
      at = Date.now();
      value = fn().catch((e: unknown) => {
        value = undefined;
        throw e;
      });
    }
    return value;
  };
}

/** The keys a KeyManager signs with now (read from its private state: a test-only look inside). */
export function providerSigningKeys(ctx: Pick<ProviderContext, 'keys'>): SigningKey[] {
  const loaded = (ctx.keys as unknown as { keys: { kid: string; alg: SignatureAlg; signingKey?: KeyObject }[] }).keys;
  return loaded
    .filter((k) => k.signingKey)
    .map((k) => ({ kid: k.kid, alg: k.alg, key: k.signingKey!, publicPem: createPublicKey(k.signingKey!).export({ type: 'spki', format: 'pem' }).toString() }));
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s.replace(/%([0-9a-f]{2})/gi, (m, h: string) => {
      const c = parseInt(h, 16);
      return c < 0x80 ? String.fromCharCode(c) : m;
    });
  }
}

/** Everything a request says, decoded: URL, headers, body, Basic credentials and JWT payloads. */
export function requestBlob(req: FuzzRequest): string {
  const body = req.body === undefined ? '' : typeof req.body === 'string' ? req.body : Buffer.from(req.body).toString('utf8');
  let text = [safeDecode(req.url), JSON.stringify(req.headers ?? {}), safeDecode(body), body].join('\n');
  for (const m of text.matchAll(/Basic ([A-Za-z0-9+/=]+)/gi)) text += `\n${safeDecode(Buffer.from(m[1]!, 'base64').toString('utf8'))}`;
  // JWT payloads: runs of base64url characters and dots, split (no backtracking on long runs).
  for (const m of text.matchAll(/[A-Za-z0-9_.-]+/g)) {
    const parts = m[0].split('.');
    for (let i = 1; i + 1 < parts.length; i++) if (parts[i]!.length >= 2) text += `\n${Buffer.from(parts[i]!, 'base64url').toString('utf8')}`;
  }
  return text;
}
