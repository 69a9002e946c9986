/**
 * docs/SECURITY.md section W, OAuth resource indicators (RFC 8707): rows RI-01 … RI-05, the
 * lifetime of a resource's tokens at its boundary (the injected clock), and bursts. Real HTTP
 * against a provider on loopback with its own database. RI-04 (a token for A refused at B by
 * @jwt-oidc/resource) is in test/e2e/openid-client-resource-indicators.test.ts.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceError } from '../../src/provider/stores/resource-store.js';
import { authorizeUrl, CookieJar, expectNothingPersisted, pkcePair, startProvider, throughLoginPages, tokenRequest, type TestProvider } from '../support/provider.js';

type Client = Awaited<ReturnType<TestProvider['createClient']>>;
type User = Awaited<ReturnType<TestProvider['createUser']>>;
type Json = Record<string, unknown>;

const A = 'https://a.example/api';
const B = 'https://b.example/api';
const C = 'https://c.example/api';
const SHORT = 'https://short.example/api';
const LONG = 'https://long.example/api';

let p: TestProvider;
let rp: Client;
let user: User;
let skew = 0;

beforeAll(async () => {
  p = await startProvider({ JWT_OIDC_API_SCOPES: 'api:read' }, { clock: { now: () => Date.now() + skew } });
  const resources = p.provider!.resources;
  await resources.create({ id: A, scopes: ['a:read', 'shared'] });
  await resources.create({ id: B, scopes: ['b:read', 'shared'] });
  await resources.create({ id: C, scopes: ['c:read'] });
  await resources.create({ id: SHORT, scopes: ['s:read'], accessTokenLifetime: 60 });
  await resources.create({ id: LONG, scopes: ['l:read'], accessTokenLifetime: 3000 });
  rp = await p.createClient({ redirectUris: ['https://rp.example/cb'], grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'] });
  user = await p.createUser();
});
afterAll(() => p?.close());

function authorizeWith(resources: string[], scope: string, challenge: string, state = 'st'): string {
  const url = new URL(authorizeUrl(p, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope, state, code_challenge: challenge, code_challenge_method: 'S256' }));
  for (const r of resources) url.searchParams.append('resource', r);
  return url.toString();
}

/** Logs in with these resources; returns the code, not redeemed, and its verifier. */
async function codeFor(resources: string[], scope: string): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkcePair();
  const location = await throughLoginPages(new CookieJar(), authorizeWith(resources, scope, challenge), { username: user.username, password: user.password, consent: 'allow' });
  const code = location.searchParams.get('code');
  expect(code, location.toString()).toBeTruthy();
  return { code: code!, verifier };
}

/** A token request whose `resource` values are sent as given (repeated). */
async function token(fields: Record<string, string>, resources: string[] = []): Promise<{ status: number; body: Json }> {
  const body = new URLSearchParams(fields);
  for (const r of resources) body.append('resource', r);
  const res = await tokenRequest(p, Object.fromEntries(body), rp);
  if (resources.length > 1) {
    // URLSearchParams → record loses repeats: send the form as is.
    const auth = `Basic ${Buffer.from(`${rp.clientId}:${rp.clientSecret}`).toString('base64')}`;
    const again = await fetch(`${p.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth }, body });
    return { status: again.status, body: (await again.json()) as Json };
  }
  return { status: res.status, body: (await res.json()) as Json };
}

const redeem = (c: { code: string; verifier: string }, resources: string[] = []) => token({ grant_type: 'authorization_code', code: c.code, redirect_uri: rp.redirectUri, code_verifier: c.verifier }, resources);
const refresh = (rt: string, resources: string[] = [], extra: Record<string, string> = {}) => token({ grant_type: 'refresh_token', refresh_token: rt, ...extra }, resources);

async function introspect(t: string): Promise<Json> {
  const res = await fetch(`${p.issuer}/introspect`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${rp.clientId}:${rp.clientSecret}`).toString('base64')}` }, body: new URLSearchParams({ token: t }) });
  return (await res.json()) as Json;
}

describe('W. resource indicators', () => {
  it('RI-01: an unregistered, relative or fragment resource at /authorize is invalid_target at the redirect URI, ∅DB', async () => {
    for (const bad of ['https://unknown.example/api', '/api', 'api', `${A}#frag`, `${A}?q=1`, `${A}/`]) {
      const res = await expectNothingPersisted(p, () => fetch(authorizeWith([A, bad], 'openid a:read', pkcePair().challenge), { redirect: 'manual' }));
      const back = new URL(res.headers.get('location')!);
      expect(`${back.origin}${back.pathname}`, bad).toBe(rp.redirectUri);
      expect(back.searchParams.get('error'), bad).toBe('invalid_target');
      expect(back.searchParams.get('code')).toBeNull();
    }
  });

  it('RI-01: an unregistered resource at /token (client_credentials), and two resources for one token, are invalid_target, ∅DB', async () => {
    const unknown = await expectNothingPersisted(p, () => token({ grant_type: 'client_credentials', scope: 'api:read' }, ['https://unknown.example/api']));
    expect(unknown).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
    const two = await expectNothingPersisted(p, () => token({ grant_type: 'client_credentials' }, [A, B]));
    expect(two).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
  });

  it('RI-02: a code or refresh for a registered resource the grant did not include is invalid_target, and spends nothing', async () => {
    const c = await codeFor([A, B], 'offline_access a:read b:read c:read');
    expect(await redeem(c, [C])).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
    // The code still works (the refusal came before it was spent).
    const first = await redeem(c, [A]);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const rt = first.body.refresh_token as string;
    expect(await refresh(rt, [C])).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
    expect(await refresh(rt, ['https://unknown.example/api'])).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
    // …and so does the refresh token: not rotated by the refusal.
    const next = await refresh(rt, [B]);
    expect(next.status, JSON.stringify(next.body)).toBe(200);
    expect(decodeJwt(next.body.access_token as string)).toMatchObject({ aud: B, scope: 'b:read' });
  });

  it('RI-02: a grant without resources gets no resource token at refresh (only the provider\'s)', async () => {
    const c = await codeFor([], 'openid offline_access api:read');
    const first = await redeem(c);
    expect(decodeJwt(first.body.access_token as string)).toMatchObject({ aud: p.issuer, scope: 'openid offline_access api:read' });
    expect(await refresh(first.body.refresh_token as string, [A])).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
  });

  it('RI-03: no scope escalation: each token only the scopes its resource lists, and a refresh cannot widen them', async () => {
    const c = await codeFor([A, B], 'openid offline_access a:read b:read shared');
    const forA = await redeem(c, [A]);
    const a = decodeJwt(forA.body.access_token as string);
    expect(a.aud).toBe(A);
    expect(String(a.scope).split(' ').sort()).toEqual(['a:read', 'shared']);
    const rt = forA.body.refresh_token as string;
    // Narrowing works; a scope the grant lacks is refused, also one the resource lists.
    const narrowed = await refresh(rt, [B], { scope: 'b:read' });
    expect(decodeJwt(narrowed.body.access_token as string)).toMatchObject({ aud: B, scope: 'b:read' });
    expect(await refresh(narrowed.body.refresh_token as string, [C], { scope: 'c:read' })).toMatchObject({ status: 400 });
    // The provider's own token leaves every scope of the grant's resources out.
    const own = await refresh(narrowed.body.refresh_token as string, [p.issuer]);
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    expect(decodeJwt(own.body.access_token as string)).toMatchObject({ aud: p.issuer, scope: 'openid offline_access' });
  });

  it('RI-03: a resource\'s scope is grantable only with its resource, admin never through one, and registration refuses the provider\'s scopes', async () => {
    // Without the resource, c:read is no scope of this provider: dropped.
    const plain = await redeem(await codeFor([], 'openid c:read'));
    expect(plain.body.scope).toBe('openid');
    // A non-admin asking admin alongside a resource gets the resource's scope only.
    const withAdmin = await redeem(await codeFor([C], 'admin c:read'));
    expect(withAdmin.body).toMatchObject({ scope: 'c:read' });
    expect(decodeJwt(withAdmin.body.access_token as string)).toMatchObject({ aud: C, scope: 'c:read' });
    for (const scope of ['admin', 'openid', 'offline_access']) {
      const e = await p.provider!.resources.create({ id: `https://x.example/${scope}`, scopes: [scope] }).then(() => undefined, (x: unknown) => x);
      expect(e, scope).toBeInstanceOf(ResourceError);
      expect((e as ResourceError).field).toBe('scopes');
    }
    // client_credentials: a resource's scopes only with it, and narrowed to it.
    expect(await token({ grant_type: 'client_credentials', scope: 'c:read' })).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    const cc = await token({ grant_type: 'client_credentials', scope: 'c:read api:read' }, [C]);
    expect(decodeJwt(cc.body.access_token as string)).toMatchObject({ aud: C, scope: 'c:read' });
  });

  it('RI-05: registration refuses fragment, relative, query and non-ASCII identifiers, ∅DB', async () => {
    for (const id of [`${A}#x`, '/relative/api', 'relative', '//host.example/api', `${A}?x=1`, 'https://a.example/ä', 'https://u:p@a.example/', '', 'https://a.example/\u0000']) {
      const e = await expectNothingPersisted(p, () => p.provider!.resources.create({ id, scopes: ['x'] }).then(() => undefined, (x: unknown) => x));
      expect(e, id).toBeInstanceOf(ResourceError);
      expect((e as ResourceError).code).toBe('ERR_RESOURCE_INVALID');
    }
    // Control: a URN is an absolute URI.
    await p.provider!.resources.create({ id: 'urn:example:ok', scopes: [] });
  });

  it('a resource\'s lifetime holds at its boundary (the injected clock): active until exp plus the 5 s tolerance, not after', async () => {
    const cc = await token({ grant_type: 'client_credentials', scope: 's:read' }, [SHORT]);
    const claims = decodeJwt(cc.body.access_token as string);
    expect(claims.exp! - claims.iat!).toBe(60);
    expect(cc.body.expires_in).toBe(60);
    const at = (s: number) => (skew = s * 1000 - Date.now());
    try {
      at(claims.exp! + 4);
      expect(await introspect(cc.body.access_token as string)).toMatchObject({ active: true, aud: SHORT });
      at(claims.exp! + 6);
      expect(await introspect(cc.body.access_token as string)).toEqual({ active: false });
    } finally {
      skew = 0;
    }
    // Longer than the server default (600 s) is the resource's to choose, and verifies as such.
    const long = await token({ grant_type: 'client_credentials', scope: 'l:read' }, [LONG]);
    const l = decodeJwt(long.body.access_token as string);
    expect(l.exp! - l.iat!).toBe(3000);
    try {
      skew = 2000 * 1000;
      expect(await introspect(long.body.access_token as string)).toMatchObject({ active: true, aud: LONG });
    } finally {
      skew = 0;
    }
  });

  it('a burst of refreshes with one token, for both resources of the grant: exactly one wins', async () => {
    const first = await redeem(await codeFor([A, B], 'offline_access a:read b:read'), [A]);
    const rt = first.body.refresh_token as string;
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => refresh(rt, [i % 2 ? A : B])));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status !== 200).every((a) => a.body.error === 'invalid_grant')).toBe(true);
  });

  it('a burst registering one identifier: exactly one is created, the others ERR_RESOURCE_EXISTS', async () => {
    const id = 'https://burst.example/api';
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => p.provider!.resources.create({ id, scopes: ['x'] })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as ResourceError).code).toBe('ERR_RESOURCE_EXISTS');
  });
});
