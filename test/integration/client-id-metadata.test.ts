/**
 * OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document) against real
 * providers and a real HTTPS server on loopback whose certificate a test CA signed: openid-client
 * signs a user in with the document's URL as its client_id (code flow, PKCE; the consent page
 * names the host); the fetch's refusals (loopback without the setting, link-local and private
 * addresses, too large, too slow, redirects, http); the document's checks (client_id, redirect
 * URIs, secrets); one fetch for a burst, HTTP caching on the injected clock, failures remembered;
 * the setting off and the hosts allow-list (docs/SECURITY.md section Y).
 */
import * as oc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { FailureThrottle } from '../../src/util/failure-throttle.js';
import { CLIENT_ID_METADATA } from '../../src/provider/registration/client-id-metadata.js';
import { clientIdUrlProblem } from '../../src/provider/registration/client-id-metadata.js';
import { DocumentServer } from '../support/https-documents.js';
import { ClientService } from '../../src/clients/client-service.js';
import { authorizationServerMetadataPath } from '../../src/provider/discovery.js';
import { authorizeUrl, browse, CookieJar, formOf, gql, pkcePair, postForm, signInFields, startProvider, throughLoginPages, tokenRequest, tokensFor, type TestProvider } from '../support/provider.js';

const clock = new ManualClock();
const docs = new DocumentServer();
/** Loopback allowed (development), the test CA trusted, test host names resolving as set below. */
let dev: TestProvider;
/** Default settings: loopback refused. */
let strict: TestProvider;
let off: TestProvider;
/** Only app.cimd.test. */
let listed: TestProvider;

/** Where the test host names resolve. */
const ADDRESSES: Record<string, string> = { 'app.cimd.test': '127.0.0.1', 'other.cimd.test': '127.0.0.1', 'metadata.cimd.test': '169.254.169.254', 'private.cimd.test': '10.0.0.7' };
const lookup = async (host: string) => {
  const address = ADDRESSES[host];
  if (!address) throw new Error(`no address for ${host}`);
  return [{ address, family: 4 }];
};

const REDIRECT = 'https://mcp-client.example/callback';

beforeAll(async () => {
  await docs.start();
  [dev, strict, off, listed] = await Promise.all([
    // Every document here comes from one address: its budget of new clients (CM-18) is tested apart.
    startProvider({ JWT_OIDC_CLIENT_ID_METADATA_ALLOW_LOOPBACK: 'true', JWT_OIDC_REGISTRATION_RATE_LIMIT: '1000' }, { clock, captureLogs: true }),
    startProvider({}, { captureLogs: true }),
    startProvider({ JWT_OIDC_CLIENT_ID_METADATA: 'off', JWT_OIDC_CLIENT_ID_METADATA_ALLOW_LOOPBACK: 'true' }),
    startProvider({ JWT_OIDC_CLIENT_ID_METADATA_HOSTS: 'app.cimd.test', JWT_OIDC_CLIENT_ID_METADATA_ALLOW_LOOPBACK: 'true', JWT_OIDC_REGISTRATION_RATE_LIMIT: '1000' }),
  ]);
  for (const p of [dev, strict, off, listed]) Object.assign(p.provider!.clientDocuments.options, { testCa: docs.ca, lookup });
});
afterAll(async () => {
  await Promise.all([dev, strict, off, listed].map((p) => p?.close()));
  await docs.close();
});

let n = 0;
/** A fresh document path (nothing cached for it on any instance) and its URL on `host`. */
function fresh(host = 'app.cimd.test'): { path: string; url: string } {
  const path = `/clients/${++n}.json`;
  return { path, url: docs.url(path, host) };
}

/** A valid document for `url`, with `extra` members. */
function documentFor(url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { client_id: url, client_name: 'MCP Inspector', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', ...extra };
}

/** GET /authorize for `clientId` with PKCE: the answer (not followed). */
function authorize(p: TestProvider, clientId: string, redirectUri = REDIRECT, jar = new CookieJar()): Promise<Response> {
  const { challenge } = pkcePair();
  return browse(jar, authorizeUrl(p, { client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile', state: 's', code_challenge: challenge, code_challenge_method: 'S256' }));
}

/** The answer is the sign-in page's redirect: the client was accepted. */
function accepted(res: Response): boolean {
  return [302, 303].includes(res.status) && (res.headers.get('location') ?? '').includes('/interaction/');
}

/** The audit reasons of the refusals of `url` so far. */
function reasons(p: TestProvider, url: string): unknown[] {
  return p.logs.filter((l) => l.event === 'client_metadata.refused' && l.client === url).map((l) => l.reason);
}

describe('a client known by its metadata document signs a user in', () => {
  it('CM-01 openid-client: code flow with PKCE, the URL as client_id; the consent page names the host; userinfo after the cache went stale', async () => {
    const { path, url } = fresh();
    docs.serve(path, documentFor(url, { client_uri: 'https://mcp-client.example/', first_party: true, admin: true, require_mfa: true }), { 'cache-control': 'max-age=60' });
    const user = await dev.createUser();
    const config = await oc.discovery(new URL(dev.issuer), url, undefined, oc.None(), { execute: [oc.allowInsecureRequests] });
    expect(config.serverMetadata().client_id_metadata_document_supported).toBe(true);
    const verifier = oc.randomPKCECodeVerifier();
    const state = oc.randomState();
    const authUrl = oc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid profile', code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });

    // Through the pages by hand, to read the consent page.
    const jar = new CookieJar();
    let res = await browse(jar, authUrl.toString());
    expect(accepted(res), String(res.status)).toBe(true);
    let page = new URL(res.headers.get('location')!, dev.issuer).toString();
    let html = await (await browse(jar, page)).text();
    const login = formOf(html);
    res = await postForm(jar, new URL(login.action, page).toString(), signInFields(html, login.csrf, user.username));
    page = new URL(res.headers.get('location')!, page).toString();
    res = await browse(jar, page);
    html = await res.text();
    expect(res.status).toBe(200);
    // The host, prominently: in the heading, beside the name the document gave.
    expect(html).toMatch(/<h1>MCP Inspector at <span class="client-host">app\.cimd\.test:\d+<\/span> wants to access your account<\/h1>/);
    const consent = formOf(html);
    res = await postForm(jar, new URL(consent.action, page).toString(), { csrf: consent.csrf, decision: 'allow' });
    const callback = new URL(res.headers.get('location')!);
    expect(callback.origin + callback.pathname).toBe(REDIRECT);

    const tokens = await oc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: true });
    expect(tokens.claims()).toMatchObject({ iss: dev.issuer, sub: user.id, aud: url });
    expect(docs.hits.get(path)).toBe(1);

    // The document said first_party, admin, require_mfa: none of them is read.
    const known = (await dev.provider!.clients.get(url))!;
    expect(known).toMatchObject({ isPublic: true, firstParty: false, admin: false, requireMfa: false, requirePar: false, redirectUris: [REDIRECT] });

    // Stale cache, dead document server: the access token issued meanwhile still verifies (the row answers).
    docs.on(path, (_q, r) => r.writeHead(500).end());
    clock.advance(120_000);
    const info = await fetch(`${dev.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(info.status).toBe(200);
    // A new authorization is a first contact: the document is fetched again, and now refused.
    expect(accepted(await authorize(dev, url))).toBe(false);
    expect(reasons(dev, url)).toEqual(['status']);
  });

  it('CM-02 consent is asked every time, even after the user allowed it once', async () => {
    const { path, url } = fresh();
    docs.serve(path, documentFor(url));
    const user = await dev.createUser();
    for (let round = 0; round < 2; round++) {
      const jar = new CookieJar();
      let res = await authorize(dev, url, REDIRECT, jar);
      let page = new URL(res.headers.get('location')!, dev.issuer).toString();
      let html = await (await browse(jar, page)).text();
      if (round === 0) {
        const login = formOf(html);
        res = await postForm(jar, new URL(login.action, page).toString(), signInFields(html, login.csrf, user.username));
        page = new URL(res.headers.get('location')!, page).toString();
        html = await (await browse(jar, page)).text();
        const consent = formOf(html);
        expect(html).toContain('app.cimd.test');
        await postForm(jar, new URL(consent.action, page).toString(), { csrf: consent.csrf, decision: 'allow' });
      } else {
        // A new browser: sign in again, and the consent page comes again.
        const login = formOf(html);
        res = await postForm(jar, new URL(login.action, page).toString(), signInFields(html, login.csrf, user.username));
        page = new URL(res.headers.get('location')!, page).toString();
        res = await browse(jar, page);
        expect(res.status).toBe(200);
        expect(await res.text()).toContain('wants to access your account');
      }
    }
  });
});

describe('after the first contact', () => {
  it('CM-17 PAR, a refresh after the cache went stale, the account page\'s apps; an administrator may delete the client, not change it', async () => {
    const { path, url } = fresh();
    docs.serve(path, documentFor(url), { 'cache-control': 'max-age=60' });
    const user = await dev.createUser();
    const { verifier, challenge } = pkcePair();
    const pushed = await fetch(`${dev.issuer}/par`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: url, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid profile offline_access', state: 'p', code_challenge: challenge, code_challenge_method: 'S256' }) });
    expect(pushed.status).toBe(201);
    const { request_uri } = (await pushed.json()) as { request_uri: string };
    const location = await throughLoginPages(new CookieJar(), authorizeUrl(dev, { client_id: url, request_uri }), { username: user.username });
    const issued = await tokenRequest(dev, { grant_type: 'authorization_code', code: location.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier }, { clientId: url });
    expect(issued.status).toBe(200);
    const tokens = (await issued.json()) as { access_token: string; refresh_token: string };
    expect(docs.hits.get(path)).toBe(1);

    // A refresh is a contact: the stale document is fetched again.
    clock.advance(61_000);
    expect((await tokenRequest(dev, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, { clientId: url })).status).toBe(200);
    expect(docs.hits.get(path)).toBe(2);

    // The account page names it by its document's name.
    const account = await dev.createClient({ name: 'Account', firstParty: true, redirectUris: ['https://account.example/cb'] });
    const page = await tokensFor(dev, account, user, 'openid profile');
    const apps = await gql(dev, '{ me { connectedApps { clientId clientName activeGrants } } }', undefined, page.access_token);
    expect(apps.body.errors, apps.text).toBeUndefined();
    expect(apps.body.data.me.connectedApps).toContainEqual({ clientId: url, clientName: 'MCP Inspector', activeGrants: 1 });

    const clients = new ClientService(dev.db.orm.em, () => dev.provider!.clients.changed());
    await expect(clients.update(url, { firstParty: true })).rejects.toMatchObject({ code: 'ERR_CLIENT_MANAGED' });
    await expect(clients.rotateSecret(url)).rejects.toMatchObject({ code: 'ERR_CLIENT_MANAGED' });
    await clients.delete(url);
    expect(await dev.provider!.clients.get(url)).toBeUndefined();
    expect((await fetch(`${dev.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
    // Its next contact fetches the document again (the cached copy went with the row).
    expect(accepted(await authorize(dev, url))).toBe(true);
    expect(docs.hits.get(path)).toBe(3);
  });
});

describe('what is never fetched, or refused when fetched', () => {
  it('CM-03 loopback without JWT_OIDC_CLIENT_ID_METADATA_ALLOW_LOOPBACK: refused before connecting', async () => {
    const { path, url } = fresh('127.0.0.1');
    docs.serve(path, documentFor(url));
    expect(accepted(await authorize(strict, url))).toBe(false);
    expect(docs.hits.get(path)).toBeUndefined();
    expect(reasons(strict, url)).toEqual(['address']);
    // The same document with the setting: accepted (https on loopback works).
    expect(accepted(await authorize(dev, url))).toBe(true);
  });

  it('CM-04 link-local (169.254.169.254) and private (10.x) addresses: refused, with the setting too', async () => {
    for (const host of ['metadata.cimd.test', 'private.cimd.test', '169.254.169.254', '10.0.0.7']) {
      const url = `https://${host}/client.json`;
      expect(accepted(await authorize(dev, url)), host).toBe(false);
      expect(reasons(dev, url), host).toEqual(['address']);
    }
  });

  it('CM-05 http: not a document URL, an unknown client; no fetch', async () => {
    const path = `/clients/http-${++n}.json`;
    const url = `http://127.0.0.1:${docs.port}${path}`;
    docs.serve(path, documentFor(url));
    const res = await authorize(dev, url);
    expect(res.status).toBe(400);
    expect(docs.hits.get(path)).toBeUndefined();
  });

  it('CM-06 a document larger than 5 KB, or too slow: refused', async () => {
    const big = fresh();
    docs.serve(big.path, documentFor(big.url, { client_name: 'x'.repeat(6000) }));
    expect(accepted(await authorize(dev, big.url))).toBe(false);
    expect(reasons(dev, big.url)).toEqual(['too-large']);

    const slow = fresh();
    docs.on(slow.path, (_q, r) => {
      r.writeHead(200, { 'content-type': 'application/json' });
      r.write('{"client_id": '); // and never more
    });
    const options = dev.provider!.clientDocuments.options;
    options.timeoutMs = 300;
    try {
      const started = Date.now();
      expect(accepted(await authorize(dev, slow.url))).toBe(false);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      options.timeoutMs = undefined;
    }
    expect(reasons(dev, slow.url)).toEqual(['timeout']);
  });

  it('CM-07 a redirect (3xx) is not followed', async () => {
    const target = fresh();
    const moved = fresh();
    docs.serve(target.path, documentFor(moved.url));
    docs.on(moved.path, (_q, r) => r.writeHead(302, { location: target.url }).end());
    expect(accepted(await authorize(dev, moved.url))).toBe(false);
    expect(docs.hits.get(target.path)).toBeUndefined();
    expect(reasons(dev, moved.url)).toEqual(['status']);
  });

  it('CM-08 the document\'s client_id must be its URL exactly', async () => {
    const { path, url } = fresh();
    docs.serve(path, documentFor(url, { client_id: `${url}/` }));
    expect(accepted(await authorize(dev, url))).toBe(false);
    expect(reasons(dev, url)).toEqual(['client_id']);
  });

  it('CM-09 a redirect_uri not in the document: an error page, no redirect', async () => {
    const { path, url } = fresh();
    docs.serve(path, documentFor(url));
    const res = await authorize(dev, url, 'https://attacker.example/callback');
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    // The exact one is accepted (and the document was fetched once).
    expect(accepted(await authorize(dev, url))).toBe(true);
    expect(docs.hits.get(path)).toBe(1);
  });

  it('CM-10 javascript:, wildcard and fragment redirect URIs, and confidential methods in the document: refused by the client rules', async () => {
    const bad: [Record<string, unknown>, string, RegExp][] = [
      [{ redirect_uris: ['javascript:alert(1)'] }, 'metadata', /redirect_uris.*javascript: scheme/],
      [{ redirect_uris: ['https://*.example/cb'] }, 'metadata', /redirect_uris.*wildcards/],
      [{ redirect_uris: ['https://mcp-client.example/cb#x'] }, 'metadata', /redirect_uris.*fragment/],
      [{ redirect_uris: [] }, 'metadata', /redirect_uris: required/],
      [{ token_endpoint_auth_method: 'client_secret_basic' }, 'metadata', /only none/],
      [{ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://mcp-client.example/jwks' }, 'metadata', /only none/],
      [{ client_secret: 'shared' }, 'secret', /client_secret/],
      [{ grant_types: ['client_credentials'], response_types: [] }, 'metadata', /client_credentials/],
    ];
    for (const [extra, reason, detail] of bad) {
      const { path, url } = fresh();
      docs.serve(path, documentFor(url, extra));
      expect(accepted(await authorize(dev, url)), JSON.stringify(extra)).toBe(false);
      expect(reasons(dev, url), JSON.stringify(extra)).toEqual([reason]);
      const logged = dev.logs.find((l) => l.event === 'client_metadata.refused' && l.client === url);
      expect(String(logged?.detail), JSON.stringify(extra)).toMatch(detail);
      // No secret is written to the log.
      expect(JSON.stringify(logged)).not.toContain('shared');
    }
  });

  it('CM-11 client_id URLs with a query, fragment, credentials, dot segments or no path are refused without a fetch', () => {
    for (const id of ['https://app.example/c.json?x=1', 'https://app.example/c.json#f', 'https://u:p@app.example/c.json', 'https://app.example/a/../c.json', 'https://app.example/a/%2e%2e/c.json', 'https://app.example/', 'https://app.example', 'https://APP.example/c.json', `https://app.example/${'x'.repeat(120)}`]) {
      expect(clientIdUrlProblem(id), id).toBeDefined();
    }
    expect(clientIdUrlProblem('https://app.example/oauth/client.json')).toBeUndefined();
  });
});

describe('fetches: coalesced, cached, remembered when failing', () => {
  it('CM-12 a burst of 10 parallel /authorize for an uncached URL: one fetch', async () => {
    const { path, url } = fresh();
    docs.on(path, (_q, r) => {
      // Slow enough that every request of the burst finds the fetch under way.
      setTimeout(() => r.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(documentFor(url))), 200);
    });
    const answers = await Promise.all(Array.from({ length: 10 }, () => authorize(dev, url)));
    expect(answers.every(accepted)).toBe(true);
    expect(docs.hits.get(path)).toBe(1);
  });

  it('CM-13 Cache-Control max-age is honoured (injected clock), within the 1-minute floor', async () => {
    const { path, url } = fresh();
    docs.serve(path, documentFor(url), { 'cache-control': 'public, max-age=300' });
    expect(accepted(await authorize(dev, url))).toBe(true);
    clock.advance(299_000);
    expect(accepted(await authorize(dev, url))).toBe(true);
    expect(docs.hits.get(path)).toBe(1);
    clock.advance(2_000);
    expect(accepted(await authorize(dev, url))).toBe(true);
    expect(docs.hits.get(path)).toBe(2);

    // no-store: kept for the floor, a minute, not fetched on every request.
    const again = fresh();
    docs.serve(again.path, documentFor(again.url), { 'cache-control': 'no-store' });
    await authorize(dev, again.url);
    clock.advance(59_000);
    await authorize(dev, again.url);
    expect(docs.hits.get(again.path)).toBe(1);
    clock.advance(2_000);
    await authorize(dev, again.url);
    expect(docs.hits.get(again.path)).toBe(2);
  });

  it('CM-14 a dead URL is fetched once per 30 seconds, however many requests name it', async () => {
    const { path, url } = fresh();
    docs.on(path, (_q, r) => r.writeHead(404).end());
    for (let i = 0; i < 5; i++) expect(accepted(await authorize(dev, url))).toBe(false);
    await Promise.all(Array.from({ length: 5 }, () => authorize(dev, url)));
    expect(docs.hits.get(path)).toBe(1);
    expect(reasons(dev, url)).toEqual(['status']);
    clock.advance(31_000);
    await authorize(dev, url);
    expect(docs.hits.get(path)).toBe(2);
  });
});

describe('settings', () => {
  it('CM-15 JWT_OIDC_CLIENT_ID_METADATA=off: the URL is an unknown client, never fetched; discovery does not offer it', async () => {
    const { path, url } = fresh();
    docs.serve(path, documentFor(url));
    expect((await authorize(off, url)).status).toBe(400);
    expect(docs.hits.get(path)).toBeUndefined();
    const meta = (await (await fetch(`${off.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(meta.client_id_metadata_document_supported).toBeUndefined();
    // On, both metadata documents say so (RFC 8414's is the same document).
    for (const path of ['/.well-known/openid-configuration', authorizationServerMetadataPath(dev.issuer)]) {
      const url = path.startsWith('/.well-known/openid') ? `${dev.issuer}${path}` : `${new URL(dev.issuer).origin}${path}`;
      expect(((await (await fetch(url)).json()) as Record<string, unknown>).client_id_metadata_document_supported, path).toBe(true);
    }
    // The token endpoint does not know it either.
    const token = await tokenRequest(off, { grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT, code_verifier: 'y'.repeat(43) }, { clientId: url });
    expect(token.status).toBe(401);
  });

  it('CM-16 JWT_OIDC_CLIENT_ID_METADATA_HOSTS: only the hosts listed are fetched', async () => {
    const other = fresh('other.cimd.test');
    docs.serve(other.path, documentFor(other.url));
    expect(accepted(await authorize(listed, other.url))).toBe(false);
    expect(docs.hits.get(other.path)).toBeUndefined();
    const app = fresh('app.cimd.test');
    docs.serve(app.path, documentFor(app.url));
    expect(accepted(await authorize(listed, app.url))).toBe(true);
  });
});

describe('what first contacts cost', () => {
  it('CM-18 new documents share JWT_OIDC_REGISTRATION_RATE_LIMIT with /register, per address; cached ones cost nothing', async () => {
    const options = dev.provider!.clientDocuments.options;
    const saved = options.registrations;
    options.registrations = new FailureThrottle({ limit: 2, windowMs: 60_000, clock });
    try {
      const [a, b, c] = [fresh(), fresh(), fresh()];
      for (const d of [a, b, c]) docs.serve(d.path, documentFor(d.url));
      expect(accepted(await authorize(dev, a.url))).toBe(true);
      expect(accepted(await authorize(dev, b.url))).toBe(true);
      // The third new document from this address this minute: not fetched, an unknown client.
      expect(accepted(await authorize(dev, c.url))).toBe(false);
      expect(docs.hits.get(c.path)).toBeUndefined();
      expect(dev.logs.some((l) => l.event === 'client_metadata.refused' && l.reason === 'rate-limited' && l.client === c.url)).toBe(true);
      // A cached document is no new client.
      expect(accepted(await authorize(dev, a.url))).toBe(true);
      clock.advance(60_001);
      expect(accepted(await authorize(dev, c.url))).toBe(true);
    } finally {
      options.registrations = saved;
    }
  });

  it('CM-19 housekeeping sweeps a document\'s client row no fetch touched for 48 hours, unless a grant, consent or pushed request refers to it', async () => {
    const unused = fresh();
    docs.serve(unused.path, documentFor(unused.url));
    expect(accepted(await authorize(dev, unused.url))).toBe(true);
    const used = fresh();
    docs.serve(used.path, documentFor(used.url));
    const user = await dev.createUser({});
    await tokensFor(dev, { clientId: used.url, redirectUri: REDIRECT }, { username: user.username }, 'openid');
    const rows = async (id: string) => (await dev.db.orm.em.fork().getConnection().execute<{ ms: number }[]>('select (extract(epoch from updated_at) * 1000)::float8 as ms from clients where id = ?', [id]))[0];
    const touched = (await rows(unused.url))!.ms;
    // At its boundary (the injected clock): kept at exactly its last touch plus the retention, swept a millisecond later.
    clock.set(touched + CLIENT_ID_METADATA.retentionMs);
    await dev.housekeeping!.run();
    expect(await rows(unused.url)).toBeDefined();
    clock.set(touched + CLIENT_ID_METADATA.retentionMs + 1);
    const swept = await dev.housekeeping!.run();
    expect(swept['clients (metadata documents)']).toBeGreaterThanOrEqual(1);
    expect(await rows(unused.url)).toBeUndefined();
    // Its grant keeps the other one.
    expect(await rows(used.url)).toBeDefined();
    // Named again, it is fetched again, and works.
    clock.advance(CLIENT_ID_METADATA.ceilingMs);
    expect(accepted(await authorize(dev, unused.url))).toBe(true);
    expect(await rows(unused.url)).toBeDefined();
  });
});
