/**
 * Pushed Authorization Requests (RFC 9126) over real HTTP, with an injected clock: the push
 * authenticated as at the token endpoint, validated as /authorize validates, answered in JSON;
 * the request_uri used once, by its client, within its 60 seconds; a client's requirePar and
 * JWT_OIDC_REQUIRE_PAR; the RFC 8414 metadata equal to discovery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { authorizeUrl, browse, CookieJar, gql, adminUserTokens, pkcePair, startProvider, throughLoginPages, tokenRequest, type TestProvider } from '../support/provider.js';

const clock = new ManualClock();
let provider: TestProvider;
let strict: TestProvider;
let user: { id: string; username: string; password: string };
let rp: { clientId: string; clientSecret?: string; redirectUri: string };
let spa: { clientId: string; clientSecret?: string; redirectUri: string };
beforeAll(async () => {
  provider = await startProvider({}, { clock, captureLogs: true });
  user = await provider.createUser();
  rp = await provider.createClient({ name: 'Confidential', firstParty: true, redirectUris: ['https://rp.example/cb'] });
  spa = await provider.createClient({ name: 'SPA', public: true, firstParty: true, redirectUris: ['http://127.0.0.1:8123/cb'] });
});
afterAll(async () => {
  await provider?.close();
  await strict?.close();
});

type Client = { clientId: string; clientSecret?: string };

/** POST /par as a client does: Basic authentication for a confidential client, client_id alone for a public one. */
function push(p: TestProvider, client: Client | undefined, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  const h: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...headers };
  const body = new URLSearchParams(fields);
  if (client?.clientSecret !== undefined) h.authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;
  else if (client) body.set('client_id', client.clientId);
  return fetch(`${p.issuer}/par`, { method: 'POST', headers: h, body });
}

/** A valid code request of `client`, with PKCE. */
function codeRequest(client: { redirectUri: string }, extra: Record<string, string> = {}): Record<string, string> & { verifier: string } {
  const { verifier, challenge } = pkcePair();
  return { response_type: 'code', redirect_uri: client.redirectUri, scope: 'openid profile', state: `s-${Math.random()}`, nonce: 'n-1', code_challenge: challenge, code_challenge_method: 'S256', verifier, ...extra };
}

async function pushed(p: TestProvider, client: Client & { redirectUri: string }, extra: Record<string, string> = {}): Promise<{ requestUri: string; state: string; verifier: string }> {
  const { verifier, ...fields } = codeRequest(client, extra);
  const res = await push(p, client, fields);
  const body = (await res.json()) as { request_uri: string; expires_in: number };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return { requestUri: body.request_uri, state: fields.state!, verifier };
}

const rows = async (p: TestProvider): Promise<number> => (await p.db.orm.em.fork().getConnection().execute<{ n: number }[]>('select count(*)::int as n from pushed_authorization_requests'))[0]!.n;

/** /authorize with only client_id and request_uri (RFC 9126 §4). */
const authorizeWith = (p: TestProvider, clientId: string, requestUri: string, extra: Record<string, string> = {}) => authorizeUrl(p, { client_id: clientId, request_uri: requestUri, ...extra });

describe('the push (RFC 9126 §2)', () => {
  it('answers 201 with a request_uri URN and expires_in 60, no-store; the code flow then completes with the pushed parameters', async () => {
    const { verifier, ...fields } = codeRequest(rp);
    const res = await push(provider, rp, fields);
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { request_uri: string; expires_in: number };
    expect(Object.keys(body).sort()).toEqual(['expires_in', 'request_uri']);
    expect(body.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/);
    expect(body.expires_in).toBe(60);
    // Only the digest is stored.
    const stored = await provider.db.orm.em.fork().getConnection().execute<{ uri_hash: string; params: Record<string, string> }[]>('select uri_hash, params from pushed_authorization_requests');
    expect(JSON.stringify(stored)).not.toContain(body.request_uri.split(':').pop());

    // Parameters sent beside client_id and request_uri are ignored (§4): the pushed ones count.
    const location = await throughLoginPages(new CookieJar(), authorizeWith(provider, rp.clientId, body.request_uri, { redirect_uri: 'https://evil.example/cb', state: 'other', scope: 'openid admin' }), { username: user.username });
    expect(location.origin + location.pathname).toBe(rp.redirectUri);
    expect(location.searchParams.get('state')).toBe(fields.state);
    const token = await tokenRequest(provider, { grant_type: 'authorization_code', code: location.searchParams.get('code')!, redirect_uri: rp.redirectUri, code_verifier: verifier }, rp);
    const tokens = (await token.json()) as { scope: string; id_token: string };
    expect(token.status).toBe(200);
    expect(tokens.scope).toBe('openid profile');
  });

  it('a public client pushes with its client_id; PKCE is required of it as at /authorize', async () => {
    const { requestUri } = await pushed(provider, spa);
    const location = await throughLoginPages(new CookieJar(), authorizeWith(provider, spa.clientId, requestUri), { username: user.username });
    expect(location.searchParams.get('code')).toBeTruthy();
    const { verifier: _, code_challenge: __, code_challenge_method: ___, ...withoutPkce } = codeRequest(spa);
    const res = await push(provider, spa, withoutPkce);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'code_challenge is required (PKCE, S256) for public clients' });
  });

  it('PAR-04: a confidential client pushing without its secret, or with a wrong one, gets 401 invalid_client; nothing is stored', async () => {
    const before = await rows(provider);
    const { verifier: _, ...fields } = codeRequest(rp);
    for (const res of [await push(provider, { clientId: rp.clientId }, fields), await push(provider, { clientId: rp.clientId, clientSecret: 'wrong' }, fields), await push(provider, undefined, fields)]) {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect((await res.json()).error).toBe('invalid_client');
    }
    expect(await rows(provider)).toBe(before);
    expect(provider.logs.some((l) => l.event === 'par.refused' && l.error === 'invalid_client')).toBe(true);
  });

  it('PAR-06: a pushed redirect_uri that is not registered is invalid_request in JSON, never a redirect; nothing is stored', async () => {
    const before = await rows(provider);
    for (const redirect of ['https://evil.example/cb', `${rp.redirectUri}/`, `${rp.redirectUri}?x=1`]) {
      const { verifier: _, ...fields } = codeRequest(rp, { redirect_uri: redirect });
      const res = await push(provider, rp, fields);
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'redirect_uri is not registered for this client' });
    }
    expect(await rows(provider)).toBe(before);
  });

  it('validates as /authorize does, answering in JSON: response type, scope, duplicates; refuses an unsigned request object and a pushed request_uri', async () => {
    const before = await rows(provider);
    const cases: [Record<string, string>, string][] = [
      [{ response_type: 'bogus' }, 'unsupported_response_type'],
      [{ scope: 'open"id' }, 'invalid_scope'],
      [{ prompt: 'none login' }, 'invalid_request'],
      [{ request: 'eyJhbGciOiJub25lIn0.e30.' }, 'invalid_request_object'],
      [{ request_uri: 'urn:ietf:params:oauth:request_uri:abc' }, 'invalid_request'],
    ];
    for (const [extra, error] of cases) {
      const { verifier: _, ...fields } = codeRequest(rp, extra);
      const res = await push(provider, rp, fields);
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect((await res.json()).error, JSON.stringify(extra)).toBe(error);
    }
    const { verifier: _, ...fields } = codeRequest(rp);
    const twice = new URLSearchParams(fields);
    twice.append('state', 'again');
    const res = await fetch(`${provider.issuer}/par`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${rp.clientId}:${rp.clientSecret}`).toString('base64')}` }, body: twice });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('invalid_request');
    expect(await rows(provider)).toBe(before);
  });

  it('is POST only (405 with Allow), takes form bodies only, and has the token endpoint\'s body limit', async () => {
    const get = await fetch(`${provider.issuer}/par`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const json = await fetch(`${provider.issuer}/par`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: spa.clientId }) });
    expect(json.status).toBe(400);
    expect((await json.json()).error).toBe('invalid_request');
    const huge = await push(provider, spa, { ...codeRequest(spa), state: 'x'.repeat(70_000) });
    expect(huge.status).toBe(413);
  });
});

describe('the request_uri at /authorize (RFC 9126 §4)', () => {
  it('PAR-01: a burst of 12 parallel /authorize with one request_uri: exactly one proceeds, the others get the error page', async () => {
    const { requestUri } = await pushed(provider, rp);
    const url = authorizeWith(provider, rp.clientId, requestUri);
    const answers = await Promise.all(Array.from({ length: 12 }, () => fetch(url, { redirect: 'manual' })));
    const proceeded = answers.filter((r) => r.status === 303);
    expect(proceeded).toHaveLength(1);
    expect(proceeded[0]!.headers.get('location')).toContain('/interaction/');
    for (const r of answers.filter((a) => a.status !== 303)) {
      expect(r.status).toBe(400);
      expect(r.headers.get('location')).toBeNull();
      expect(await r.text()).toContain('request_uri is unknown, expired, already used, or not this client');
    }
    // Used once: after a completed sign-in it is gone too.
    const again = await pushed(provider, rp);
    const done = await throughLoginPages(new CookieJar(), authorizeWith(provider, rp.clientId, again.requestUri), { username: user.username });
    expect(done.searchParams.get('code')).toBeTruthy();
    const replay = await fetch(authorizeWith(provider, rp.clientId, again.requestUri), { redirect: 'manual' });
    expect(replay.status).toBe(400);
  });

  it('PAR-02: the request_uri works 59.999 s after the push and not at 60 s (injected clock)', async () => {
    const early = await pushed(provider, rp);
    const late = await pushed(provider, rp);
    clock.advance(59_999);
    const ok = await fetch(authorizeWith(provider, rp.clientId, early.requestUri), { redirect: 'manual' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toContain('/interaction/');
    clock.advance(1);
    const expired = await fetch(authorizeWith(provider, rp.clientId, late.requestUri), { redirect: 'manual' });
    expect(expired.status).toBe(400);
    expect(expired.headers.get('location')).toBeNull();
  });

  it('PAR-03: another client\'s request_uri is refused (an error page) and not spent; with another client_id nor with none', async () => {
    const other = await provider.createClient({ name: 'Other', firstParty: true, redirectUris: ['https://other.example/cb'] });
    const { requestUri, state } = await pushed(provider, rp);
    for (const url of [authorizeWith(provider, other.clientId, requestUri), authorizeUrl(provider, { request_uri: requestUri }), authorizeWith(provider, 'no-such-client', requestUri)]) {
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status, url).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
    // Still there for its own client.
    const location = await throughLoginPages(new CookieJar(), authorizeWith(provider, rp.clientId, requestUri), { username: user.username });
    expect(location.searchParams.get('state')).toBe(state);
    expect(location.searchParams.get('code')).toBeTruthy();
  });

  it('a request_uri that is no URN of /par is refused as before (request_uri_not_supported at the redirect URI)', async () => {
    const { verifier: _, ...fields } = codeRequest(rp, { request_uri: 'https://rp.example/request.jwt' });
    const res = await fetch(authorizeUrl(provider, { client_id: rp.clientId, ...fields }), { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(new URL(res.headers.get('location')!).searchParams.get('error')).toBe('request_uri_not_supported');
  });
});

describe('requiring pushed requests (RFC 9126 §5, §6)', () => {
  it('PAR-05: a client with requirePar (set over GraphQL) is refused a plain authorization request with invalid_request; pushed, it signs in; cleared, plain works again', async () => {
    const { tokens } = await adminUserTokens(provider);
    const app = await provider.createClient({ name: 'Pushes', firstParty: true, redirectUris: ['https://pushes.example/cb'] });
    const UPDATE = 'mutation($id: ID!, $on: Boolean!) { updateClient(id: $id, input: { requirePar: $on }) { id requirePar } }';
    const on = await gql(provider, UPDATE, { id: app.clientId, on: true }, tokens.access_token);
    expect(on.body.data?.updateClient, on.text).toEqual({ id: app.clientId, requirePar: true });
    expect((await provider.provider!.clients.get(app.clientId))?.requirePar).toBe(true);

    const { verifier: _, ...fields } = codeRequest(app);
    const plain = await browse(new CookieJar(), authorizeUrl(provider, { client_id: app.clientId, ...fields }));
    expect(plain.status).toBe(303);
    const refused = new URL(plain.headers.get('location')!);
    expect(refused.origin + refused.pathname).toBe(app.redirectUri);
    expect(refused.searchParams.get('error')).toBe('invalid_request');
    expect(refused.searchParams.get('error_description')).toMatch(/push/);
    expect(refused.searchParams.get('code')).toBeNull();

    const { requestUri } = await pushed(provider, app);
    const location = await throughLoginPages(new CookieJar(), authorizeWith(provider, app.clientId, requestUri), { username: user.username });
    expect(location.searchParams.get('code')).toBeTruthy();

    const created = await gql(provider, 'mutation { createClient(input: { name: "Made", redirectUris: ["https://made.example/cb"], requirePar: true }) { client { id requirePar } } }', undefined, tokens.access_token);
    expect(created.body.data?.createClient.client.requirePar, created.text).toBe(true);
    const off = await gql(provider, UPDATE, { id: app.clientId, on: false }, tokens.access_token);
    expect(off.body.data?.updateClient.requirePar).toBe(false);
    const again = await browse(new CookieJar(), authorizeUrl(provider, { client_id: app.clientId, ...codeRequest(app), verifier: undefined }));
    expect(again.headers.get('location')).toContain('/interaction/');
  });

  it('PAR-05: JWT_OIDC_REQUIRE_PAR=true refuses every plain authorization request and says so in both metadata documents', async () => {
    strict = await startProvider({ JWT_OIDC_REQUIRE_PAR: 'true' });
    const client = await strict.createClient({ firstParty: true });
    const someone = await strict.createUser();
    const { verifier: _, ...fields } = codeRequest(client);
    const plain = await fetch(authorizeUrl(strict, { client_id: client.clientId, ...fields }), { redirect: 'manual' });
    expect(new URL(plain.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    const { requestUri } = await pushed(strict, client);
    const location = await throughLoginPages(new CookieJar(), authorizeWith(strict, client.clientId, requestUri), { username: someone.username });
    expect(location.searchParams.get('code')).toBeTruthy();
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const doc = await (await fetch(`${strict.issuer}${path}`)).json();
      expect(doc.require_pushed_authorization_requests, path).toBe(true);
    }
  });
});

describe('RFC 8414 authorization server metadata', () => {
  it('is discovery\'s document, member for member and byte for byte, with the PAR endpoint and no request object metadata', async () => {
    const [oidc, oauth] = await Promise.all([fetch(`${provider.issuer}/.well-known/openid-configuration`), fetch(`${provider.issuer}/.well-known/oauth-authorization-server`)]);
    expect(oauth.status).toBe(200);
    expect(oauth.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const [a, b] = [await oidc.text(), await oauth.text()];
    expect(JSON.parse(b)).toEqual(JSON.parse(a));
    expect(b).toBe(a);
    const doc = JSON.parse(b);
    expect(doc).toMatchObject({ issuer: provider.issuer, pushed_authorization_request_endpoint: `${provider.issuer}/par`, require_pushed_authorization_requests: false, request_parameter_supported: true, request_uri_parameter_supported: false });
    // Request objects are signed or MACed, never encrypted (docs/SECURITY.md section AD).
    expect(Object.keys(doc).filter((k) => k.startsWith('request_object'))).toEqual(['request_object_signing_alg_values_supported']);
  });

  it('CORS as discovery and the token endpoint have: exactly the registered origins, on the metadata and on /par', async () => {
    await provider.createClient({ allowedOrigins: ['https://spa.example'] });
    for (const path of ['/.well-known/oauth-authorization-server', '/par']) {
      const ok = await fetch(`${provider.issuer}${path}`, { method: 'OPTIONS', headers: { origin: 'https://spa.example', 'access-control-request-method': path === '/par' ? 'POST' : 'GET' } });
      expect(ok.status, path).toBe(204);
      expect(ok.headers.get('access-control-allow-origin'), path).toBe('https://spa.example');
      const evil = await fetch(`${provider.issuer}${path}`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      expect(evil.headers.get('access-control-allow-origin'), path).toBeNull();
    }
    const got = await fetch(`${provider.issuer}/.well-known/oauth-authorization-server`, { headers: { origin: 'https://spa.example' } });
    expect(got.headers.get('access-control-allow-origin')).toBe('https://spa.example');
  });
});
