/**
 * Fuzzing the two other modes. TYPE=fake, the provider with another login step: its authorize
 * (GET, POST, signed in or not) and that login step at the provider's interaction, the token
 * endpoint (form bodies; JSON is refused) with codes and refresh tokens, userinfo, revocation,
 * introspection, end-session with its confirmation, and GraphQL, around real codes and tokens
 * (and tokens re-signed with its signing keys, the provider's); a rejection leaves its database
 * alone but for a renewed CSRF token of a login form shown again. TYPE=client (a BFF logging in at a real provider of this
 * project): /openid/login with hostile returnTo values followed through a whole login,
 * /openid/callback with random code/state/iss, the logout form, and back-channel logout with
 * random and re-signed logout tokens. Every response passes the properties of support/checker.ts.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { ProviderContext } from '../../src/provider/context.js';
import { pkcePair } from '../support/provider.js';
import { freePort, startBff, type Bff } from '../support/client-mode.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { cached, providerSigningKeys, startFuzzProvider, type FuzzProvider } from './fixtures.js';
import { bodyKind, type BodyKind } from './support/bodies.js';
import { assertResponse, type Policy } from './support/checker.js';
import { DbWatch, onlyCsrfRenewed } from './support/database.js';
import { headerPlan } from './support/headers.js';
import { cookieOf, printStats, probe, type FuzzRequest, type ProbeOptions } from './support/http.js';
import { applyJwtRecipe, jwtRecipe, signWith, type Mutant } from './support/jwt.js';
import { CLEAN_PLAN, focus, focused, mutate, mutatesParams, mutations, variations } from './support/mutators.js';
import { buildRequest } from './support/request.js';
import { fuzzParams, NO_THROTTLE, timeoutFor } from './support/settings.js';
import { encodeEntries, entriesOf, junk, uriVariant, type Entry } from './support/values.js';

const RETURN_TO = [
  '/app?tab=1',
  '/',
  '//evil.example/',
  '///evil.example',
  '/\\evil.example',
  '/\\/evil.example',
  '/%2F%2Fevil.example',
  '/%2f/evil.example',
  '/%5Cevil.example',
  '/%09/evil.example',
  '/\t/evil.example',
  '/%0a/evil.example',
  '/%E3%80%82evil.example',
  'https://evil.example/',
  'http:evil.example',
  'javascript:alert(1)',
  '/..//evil.example',
  '/.%2e//evil.example',
  '/app#//evil.example',
  ' /evil',
  '/\u2028/evil.example',
  '/\u3002/evil',
  '%2F%2Fevil.example',
  '/%252F%252Fevil.example',
  '/a'.repeat(1100),
];

// ==================================================================================================
// TYPE=fake

describe('the fake provider', () => {
  const CLIENT_ID = 'my-spa';
  const SECRET = 'fake-secret-value';
  const FRONTEND = 'http://localhost:5173';
  const REDIRECT = `${FRONTEND}/callback`;
  const dataDir = join(tmpdir(), `jwt-oidc-fuzz-fake-${process.pid}`);
  let fake: TestServer;
  let ctx: ProviderContext;
  let issuer: string;
  let db: DbWatch;
  let policy: Policy;

  beforeAll(async () => {
    // Every login case starts an interaction: their rate limit is out of the way too.
    fake = await startTestServer({ ...NO_THROTTLE, JWT_OIDC_INTERACTION_RATE_LIMIT: '0', JWT_OIDC_TYPE: 'fake', JWT_OIDC_CLIENT_ID: CLIENT_ID, JWT_OIDC_CLIENT_SECRET: SECRET, JWT_OIDC_KEY_ENCRYPTION_SECRET: 'k'.repeat(40), JWT_OIDC_DATA_DIR: dataDir, JWT_OIDC_CORS_ALLOWED_ORIGINS: FRONTEND });
    issuer = fake.settings.issuer!;
    ctx = fake.provider!;
    db = await DbWatch.open(fake.databaseUrl);
    // The fake has no registered URIs: any URI on an allowed origin is a valid target.
    policy = { own: [new URL(issuer).origin], origins: [FRONTEND] };
  });
  afterAll(async () => {
    printStats('fake: statuses');
    await db?.close();
    await fake?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const check = (req: FuzzRequest, options: Omit<ProbeOptions, 'db'> = {}) => probe(req, policy, { db, ...options });
  /** The keys that sign now: the provider's, in the database, rotating as the provider's do. */
  const keys = () => providerSigningKeys(ctx);
  /** The one write a rejected login makes: the page shown again with the form error, under a renewed CSRF token. */
  const formShownAgain: ProbeOptions['allowWrites'] = (diffs, res) => res.status === 400 && /id="form-error"/.test(res.body) && onlyCsrfRenewed(diffs);

  /**
   * The login page of an authorization request, as a browser reaches it: /authorize's 303 to the
   * interaction, with its cookie; the page's CSRF token and the subjects of its recent
   * identities. Undefined when /authorize answers otherwise (an error, a prompt=none answer).
   */
  async function startLogin(params: Record<string, string | undefined>): Promise<{ uid: string; cookie: string; csrf: string; recent: string[] } | undefined> {
    const res = await fetch(`${issuer}/authorize?${encodeEntries(entriesOf(params))}`, { redirect: 'manual' });
    await res.arrayBuffer();
    const location = res.headers.get('location');
    const uid = location ? /^\/interaction\/([^/?#]+)$/.exec(new URL(location, issuer).pathname)?.[1] : undefined;
    const cookie = cookieOf(res, ctx.cookies.interaction);
    if (res.status !== 303 || !uid || !cookie) return undefined;
    const page = await fetch(`${issuer}/interaction/${uid}`, { headers: { cookie }, redirect: 'manual' });
    const html = await page.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    if (page.status !== 200 || !csrf) throw new Error(`no login page for interaction ${uid}: ${page.status} ${html.slice(0, 300)}`);
    const recent = [...html.matchAll(/name="identity" value="([^"]*)"/g)].map((m) => unescapeHtml(m[1]!));
    return { uid, cookie, csrf: unescapeHtml(csrf), recent };
  }

  const baseParams = (challenge: string, extra: Record<string, string | undefined> = {}) => ({ client_id: CLIENT_ID, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid email profile', state: 'st', nonce: 'n-1', code_challenge: challenge, code_challenge_method: 'S256', ...extra });

  /** A real code of the fake, through its login step; and the cookie of the session that sign-in started. */
  async function mintCode(): Promise<{ code: string; verifier: string; session: string }> {
    const { verifier, challenge } = pkcePair();
    const login = await startLogin(baseParams(challenge));
    if (!login) throw new Error('no interaction from the fake');
    const res = await fetch(`${issuer}/interaction/${login.uid}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: login.cookie }, body: new URLSearchParams({ csrf: login.csrf, sub: 'fuzzer', email: 'f@example.com' }), redirect: 'manual' });
    const location = res.headers.get('location') ?? '';
    const code = location.startsWith(`${REDIRECT}?`) ? new URL(location).searchParams.get('code') : null;
    const session = cookieOf(res, ctx.cookies.session);
    if (!code || !session) throw new Error(`no code from the fake: ${res.status} ${location}`);
    return { code, verifier, session };
  }

  /** A fresh token set of the fake (access, refresh — its client is confidential and first-party — and ID token). */
  async function mintTokens(): Promise<{ access_token: string; refresh_token: string; id_token: string }> {
    const { code, verifier } = await mintCode();
    const res = await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: CLIENT_ID, client_secret: SECRET }) });
    const body = (await res.json()) as { access_token: string; refresh_token: string; id_token: string };
    if (!body.access_token || !body.refresh_token || !body.id_token) throw new Error(`no token set from the fake: ${JSON.stringify(body)}`);
    return body;
  }

  const tokens = cached(mintTokens);
  /** A signed-in browser's session cookie (authorize cases only: none of them ends it). */
  const session = cached(async () => (await mintCode()).session);

  it('authorize (GET, POST) and the login step: no 5xx, no leak, redirects only to allowed origins, ∅DB on rejection', { timeout: timeoutFor(120) }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          focus,
          step: fc.constantFrom('authorize', 'authorize', 'login', 'login', 'login'),
          redirect: fc.oneof({ weight: 2, arbitrary: fc.constant(REDIRECT) }, uriVariant([REDIRECT, `${FRONTEND}/cb?x=1`, `${FRONTEND}/`])),
          method: fc.constantFrom('GET', 'GET', 'POST'),
          responseType: fc.constantFrom('code', 'code', 'id_token', 'id_token token', 'token id_token', 'code id_token', 'code token', 'code id_token token', 'token', ''),
          responseMode: fc.constantFrom(undefined, undefined, 'query', 'fragment', 'form_post', 'x'),
          prompt: fc.constantFrom(undefined, undefined, 'none', 'login', 'none login'),
          session: fc.constantFrom('none', 'none', 'signedIn', 'junk'),
          identity: fc.record({
            sub: fc.oneof(fc.constantFrom('alice', 'a'.repeat(255), 'a'.repeat(256), 'a b', '', '\u00e9', '<b>"x"&amp;</b>'), junk),
            email: fc.option(fc.oneof(fc.constantFrom('a@example.com', 'x', '@', 'a@b'), junk), { nil: undefined }),
            name: fc.option(junk, { nil: undefined }),
            claims: fc.option(fc.oneof(fc.json({ maxDepth: 3 }), fc.constantFrom('{"roles":["admin"]}', '{"sub":"x"}', '{"iss":"x"}', '{"client_id":"other"}', '{"scope":"admin"}', '{"cnf":{}}', '{"__proto__":{"a":1}}', '[]', '{', 'null', `{"a":${'['.repeat(3000)}${']'.repeat(3000)}}`, '{"a":"' + 'x'.repeat(20_000) + '"}'), junk), { nil: undefined }),
            pick: fc.option(fc.oneof(fc.constant('known'), junk), { nil: undefined, freq: 4 }),
          }),
          uid: fc.constantFrom('keep', 'keep', 'keep', 'junk', 'other'),
          csrf: fc.constantFrom('keep', 'keep', 'keep', 'junk', 'drop', 'noCookie', 'other'),
          ...variations(4),
          s: junk,
        }),
        async (c) => {
          const m = focused(c);
          const clean = !mutatesParams(c.focus);
          const { challenge } = pkcePair();
          const varied = { ...baseParams(challenge, { response_type: c.responseType, redirect_uri: c.redirect }), response_mode: c.responseMode, prompt: c.prompt };
          if (c.step === 'authorize') {
            const mutated = mutate(entriesOf(varied), m.ops, [CLIENT_ID, REDIRECT, `${FRONTEND}/other`, `${FRONTEND}/cb?x=1`, 'openid', 'S256', challenge]);
            // A browser without a session, with a forged one, or signed in: then a valid request
            // is answered at once, in every response type and mode.
            const cookie = c.session === 'signedIn' ? await session() : c.session === 'junk' ? `${ctx.cookies.session}=${c.s}` : undefined;
            await check(buildRequest({ base: issuer, method: m.method, path: '/authorize', query: m.method === 'GET' ? mutated : [], body: m.method === 'POST' ? mutated : undefined, kind: m.kind, seed: c.seed, headers: { cookie }, plan: m.plan }));
            return;
          }
          // The interaction of the varied request when /authorize starts one, else of the plain one:
          // what the login step finishes is that request, in its response type and mode.
          const ia = (await startLogin(varied)) ?? (await startLogin(baseParams(challenge)));
          if (!ia) throw new Error('no interaction from the fake');
          // Outside a params focus, the interaction's own uid, cookie and CSRF token are sent.
          const k = clean ? { uid: 'keep', csrf: 'keep' } : c;
          // Another browser's live interaction: its uid or CSRF token are valid, but not with this cookie.
          const other = k.uid === 'other' || k.csrf === 'other' ? await startLogin(baseParams(pkcePair().challenge)) : undefined;
          const uid = k.uid === 'keep' ? ia.uid : k.uid === 'junk' ? encodeURIComponent(c.s.replace(/[\uD800-\uDFFF]/g, '')) : other!.uid;
          const csrf = k.csrf === 'keep' || k.csrf === 'noCookie' ? ia.csrf : k.csrf === 'junk' ? c.s : k.csrf === 'other' ? other!.csrf : undefined;
          const cookie = k.csrf === 'noCookie' ? undefined : ia.cookie;
          // A recent identity is named by its subject, as the page's one-click forms do.
          const known = ia.recent[0] ?? 'fuzzer';
          const id = c.identity;
          const fields = entriesOf({ csrf, ...(id.pick !== undefined ? { identity: id.pick === 'known' ? known : id.pick } : { sub: id.sub, email: id.email, name: id.name, claims: id.claims }) });
          const body = clean ? fields : mutate(fields, m.ops, [ia.csrf, ia.uid, 'alice', known]);
          await check(buildRequest({ base: issuer, method: 'POST', path: `/interaction/${uid}/login`, body, kind: m.kind, seed: c.seed, headers: { cookie }, plan: m.plan }), { allowWrites: formShownAgain });
        },
      ),
      fuzzParams(120),
    );
  });

  it('token (form bodies; JSON refused), refresh, userinfo, revocation, introspection, end-session and GraphQL: no 5xx, no leak, redirects only to allowed origins, forged tokens never accepted', { timeout: timeoutFor(150) }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          focus,
          endpoint: fc.constantFrom('token', 'token', 'token', 'refresh', 'userinfo', 'userinfo', 'end-session', 'end-session', 'graphql', 'revoke', 'introspect'),
          auth: fc.constantFrom('post', 'basic', 'none', 'both'),
          json: fc.boolean(),
          recipe: fc.option(jwtRecipe, { nil: undefined, freq: 2 }),
          method: fc.constantFrom('GET', 'POST', 'POST', 'PUT', 'OPTIONS'),
          target: fc.constantFrom('home', 'home', 'other', 'evil', 'mutated', 'variant', 'variant', 'none'),
          variant: uriVariant([`${FRONTEND}/`, `${FRONTEND}/signed-out?x=1`]),
          session: fc.constantFrom('signedIn', 'signedIn', 'none', 'junk'),
          confirm: fc.boolean(),
          ...variations(4),
          s: junk,
        }),
        async (c) => {
          const clean = !mutatesParams(c.focus);
          const back = c.endpoint !== 'userinfo' && c.endpoint !== 'end-session';
          const m = focused(c, back ? 'POST' : c.seed % 2 ? 'GET' : 'POST');
          // Revocation changes what it revokes: those cases work on a token set of their own.
          const t = c.endpoint === 'revoke' ? await mintTokens() : await tokens();
          const real = [t.access_token, t.id_token, t.refresh_token];
          const mutant: Mutant = c.recipe && !clean ? applyJwtRecipe(c.recipe, [t.access_token, t.id_token], keys(), [CLIENT_ID, issuer]) : { token: t.access_token, genuine: true };
          const auth = clean ? (c.seed % 2 ? 'basic' : 'post') : c.auth;
          const clientAuth = {
            client_id: auth === 'post' || auth === 'both' || auth === 'none' ? CLIENT_ID : undefined,
            client_secret: auth === 'post' || auth === 'both' ? SECRET : undefined,
          };
          const basic = auth === 'basic' || auth === 'both' ? `Basic ${Buffer.from(`${CLIENT_ID}:${SECRET}`).toString('base64')}` : undefined;
          const pool = { ids: [CLIENT_ID], secrets: [SECRET], tokens: real };
          let req: FuzzRequest;
          let session: string | undefined;
          if (c.endpoint === 'token' || c.endpoint === 'refresh') {
            let fields: Entry[];
            let values: string[];
            if (c.endpoint === 'token') {
              const { code, verifier } = await mintCode();
              fields = entriesOf({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, ...clientAuth });
              values = [code, verifier, REDIRECT];
            } else {
              const fresh = await mintTokens();
              fields = entriesOf({ grant_type: 'refresh_token', refresh_token: fresh.refresh_token, scope: c.seed % 3 === 0 ? 'openid email' : undefined, ...clientAuth });
              values = [fresh.refresh_token, t.refresh_token, 'openid'];
            }
            const body = mutate(fields, m.ops, [...values, CLIENT_ID, SECRET]);
            req = buildRequest({ base: issuer, method: m.method, path: '/token', body, kind: c.json ? 'json' : m.kind, seed: c.seed, headers: { authorization: basic }, plan: m.plan, pool });
          } else if (c.endpoint === 'revoke' || c.endpoint === 'introspect') {
            const token = c.seed % 4 === 0 && !c.recipe ? t.refresh_token : mutant.token;
            const fields = entriesOf({ token, token_type_hint: ['access_token', 'refresh_token', undefined, c.s][c.seed % 4], ...clientAuth });
            const body = mutate(fields, m.ops, [...real, CLIENT_ID, SECRET]);
            req = buildRequest({ base: issuer, method: m.method, path: `/${c.endpoint}`, body, kind: m.kind, seed: c.seed, headers: { authorization: basic }, plan: m.plan, pool });
          } else if (c.endpoint === 'userinfo') {
            const inBody = m.method === 'POST' && c.seed % 3 === 0;
            const body = mutate(inBody ? [['access_token', mutant.token]] : [['x', '1']], m.ops, real);
            req = buildRequest({ base: issuer, method: m.method, path: '/userinfo', body: m.method === 'GET' ? undefined : body, kind: m.kind, seed: c.seed, headers: { authorization: inBody ? undefined : `Bearer ${mutant.token}` }, plan: m.plan, pool: { tokens: real } });
          } else if (c.endpoint === 'end-session') {
            const target = { home: `${FRONTEND}/`, other: `${FRONTEND}/signed-out?x=1`, evil: 'https://evil.example/', mutated: `${FRONTEND}${c.s}`, variant: c.variant, none: undefined }[c.target];
            const params = mutate(entriesOf({ post_logout_redirect_uri: target, state: 'st', id_token_hint: t.id_token, client_id: CLIENT_ID }), m.ops, [FRONTEND, REDIRECT, t.id_token]);
            // The hint's subject signed in afresh (a verified request ends that session), or no session, or a forged one.
            session = c.session === 'signedIn' ? (await mintCode()).session : c.session === 'junk' ? `${ctx.cookies.session}=${c.s}` : undefined;
            req = buildRequest({ base: issuer, method: m.method, path: '/session/end', query: m.method === 'GET' ? params : [], body: m.method === 'GET' ? undefined : params, kind: m.kind, seed: c.seed, headers: { cookie: session }, plan: m.plan });
          } else {
            const gql = JSON.stringify({ query: ['{ me { sub clientId scopes claims userinfo user { id } } }', '{ serverInfo { mode issuer } }', '{ users(first: 1) { edges { node { id } } } }', c.s][c.seed % 4] });
            req = { ...buildRequest({ base: fake.url, method: 'POST', path: '/graphql', headers: { authorization: `Bearer ${mutant.token}` }, plan: m.plan, pool: { tokens: real } }), body: gql };
            req.headers = { 'content-type': 'application/json', ...req.headers };
          }
          const res = await check(req);
          const genuine = [...real, ...(mutant.genuine ? [mutant.token] : [])];
          const carriesGenuine = () => {
            const text = `${JSON.stringify(req.headers)}${typeof req.body === 'string' ? req.body : ''}`;
            return genuine.some((g) => text.includes(g));
          };
          const answered =
            (c.endpoint === 'userinfo' && res.status === 200 && /"sub"\s*:/.test(res.body)) ||
            (c.endpoint === 'graphql' && res.status === 200 && /"clientId"\s*:\s*"/.test(res.body)) ||
            (c.endpoint === 'introspect' && res.status === 200 && /"active"\s*:\s*true/.test(res.body));
          if (answered && !carriesGenuine()) assertResponse({ ...res, status: 599 }, policy, { forgedTokenAccepted: true, request: req });
          if (c.endpoint === 'token' || c.endpoint === 'refresh') {
            // The token endpoint reads form bodies only (RFC 6749 §4.1.3): a JSON body never gets
            // tokens, and a request that is otherwise valid is told why.
            if (c.json && /"access_token"/.test(res.body)) assertResponse({ ...res, status: 599 }, policy, { jsonBodyAccepted: true, request: req });
            if (c.json && c.focus === 'none' && !(res.status === 400 && /"error"\s*:\s*"invalid_request"/.test(res.body))) assertResponse({ ...res, status: 599 }, policy, { expected: 'invalid_request for a JSON body', request: req });
          }
          // The provider's confirmation page of an unverified sign-out, answered: where it sends the
          // browser is checked like any response (only the allowed origins).
          if (c.endpoint === 'end-session' && c.confirm && res.status === 200) {
            const action = /<form[^>]*action="([^"]+)"/.exec(res.body)?.[1];
            const xsrf = /name="xsrf" value="([^"]+)"/.exec(res.body)?.[1];
            const interaction = cookieOf(res, ctx.cookies.interaction);
            if (action && xsrf && interaction) {
              const url = new URL(unescapeHtml(action), issuer);
              const fields = entriesOf({ xsrf: unescapeHtml(xsrf), logout: c.seed % 2 ? 'yes' : 'no' });
              await check(buildRequest({ base: url.origin, method: 'POST', path: url.pathname, rawQuery: url.search.slice(1), body: fields, headers: { cookie: [interaction, session].filter(Boolean).join('; ') }, plan: CLEAN_PLAN }));
            }
          }
        },
      ),
      fuzzParams(150),
    );
  });
});

/** An attribute value of the pages, as the browser reads it (src/interaction/views/html.ts escapes these). */
function unescapeHtml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39|#96);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#96': '`' })[e]!);
}

// ==================================================================================================
// TYPE=client

describe('client mode (a BFF at a provider of this project)', () => {
  let fx: FuzzProvider;
  let bff: Bff;
  let bffDb: DbWatch;
  let clientId: string;
  let bffPolicy: Policy;
  let provider: string;

  beforeAll(async () => {
    fx = await startFuzzProvider();
    provider = fx.p.issuer;
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const client = await fx.p.createClient({
      id: 'fuzz-bff',
      name: 'BFF',
      redirectUris: [`${publicUrl}/openid/callback`],
      postLogoutRedirectUris: [`${publicUrl}/signed-out`],
      grantTypes: ['authorization_code', 'refresh_token'],
      firstParty: true,
      logoutAll: true,
      backchannelLogoutUri: `${publicUrl}/openid/backchannel-logout`,
    });
    clientId = client.clientId;
    bff = await startBff(port, `${provider}/.well-known/openid-configuration`, {
      ...NO_THROTTLE,
      JWT_OIDC_CLIENT_ID: clientId,
      JWT_OIDC_CLIENT_SECRET: client.clientSecret!,
      JWT_OIDC_SCOPE: 'openid profile email offline_access',
      JWT_OIDC_CREATE_USER: 'true',
      JWT_OIDC_ID_TOKEN_RENAME_ATTRIBUTES: JSON.stringify({ given_name: 'givenName', email: 'email' }),
      JWT_OIDC_LOGOUT_REDIRECT_URL: '/signed-out',
    });
    bffDb = await DbWatch.open(bff.databaseUrl);
    // From the BFF: its own origin, the provider's authorization and end-session endpoints.
    bffPolicy = { own: [new URL(bff.publicUrl).origin, new URL(bff.url).origin], endpoints: [`${provider}/authorize`, `${provider}/session/end`] };
  });
  afterAll(async () => {
    printStats('client mode: statuses');
    await bffDb?.close();
    await bff?.close();
    await fx?.close();
  });

  const cookieName = 'jwt-oidc.rp';

  /** GET /openid/login: the BFF's cookie and the authorization URL (with its state). */
  async function startLogin(returnTo = '/app', cookie?: string) {
    const res = await fetch(`${bff.url}/openid/login?returnTo=${encodeURIComponent(returnTo)}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
    const location = new URL(res.headers.get('location')!);
    return { authorize: location, state: location.searchParams.get('state')!, cookie: cookieOf(res, cookieName) ?? cookie ?? '' };
  }

  /** The provider's answer to the BFF's authorization request, for alice (a session made in process). */
  async function providerCallback(authorize: URL): Promise<URL> {
    const res = await fetch(authorize, { headers: { cookie: await fx.sessionCookie() }, redirect: 'manual' });
    return new URL(res.headers.get('location')!);
  }

  it('/openid/login with hostile returnTo values, followed through a whole login: the browser only ever lands on the BFF or the provider', { timeout: timeoutFor(60) }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          focus,
          returnTo: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...RETURN_TO) }, junk, fc.tuple(fc.constantFrom(...RETURN_TO), junk).map(([a, b]) => a + b)),
          dup: fc.boolean(),
          ops: mutations(2),
          plan: headerPlan,
          kind: fc.constant('form' as BodyKind),
          method: fc.constantFrom('GET', 'GET', 'POST', 'HEAD'),
          seed: fc.nat(),
        }),
        async (c) => {
          const m = focused(c, 'GET');
          const query = mutate([['returnTo', c.returnTo], ...(c.dup ? ([['returnTo', '/second']] as Entry[]) : [])], m.ops, RETURN_TO);
          const login = await probe(buildRequest({ base: bff.url, method: m.method, path: '/openid/login', query, plan: m.plan }), bffPolicy, { db: bffDb });
          if (login.status !== 303) return;
          const authorize = new URL(login.headers.get('location')!);
          const cookie = cookieOf(login, cookieName);
          const callback = await providerCallback(authorize);
          if (!callback.href.startsWith(`${bff.publicUrl}/openid/callback`)) throw new Error(`the provider did not answer the BFF: ${callback}`);
          const done = await probe({ method: 'GET', url: callback.href.replace(bff.publicUrl, bff.url), headers: cookie ? { cookie } : {} }, bffPolicy, { db: bffDb, allowWrites: () => true });
          if (done.status !== 303) assertResponse({ ...done, status: 599 }, bffPolicy, { loginDidNotComplete: callback.href });
        },
      ),
      fuzzParams(60),
    );
  });

  it('/openid/callback with random code, state, iss and error: no 5xx, no leak, only own-origin redirects, ∅DB on rejection but the spent transaction', { timeout: timeoutFor(100) }, async () => {
    const otherCode = async () => (await fx.mintCode('conf')).code;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          focus,
          code: fc.constantFrom('real', 'real', 'real', 'other', 'junk', 'none', 'dup'),
          state: fc.constantFrom('real', 'real', 'real', 'junk', 'none', 'dup', 'otherBrowser'),
          iss: fc.constantFrom('real', 'real', 'junk', 'none', 'dup'),
          error: fc.option(fc.constantFrom('access_denied', 'login_required', 'server_error', 'x'), { nil: undefined, freq: 5 }),
          tokens: fc.option(fc.constantFrom('id_token', 'access_token', 'token_type'), { nil: undefined, freq: 6 }),
          cookie: fc.constantFrom('keep', 'keep', 'keep', 'drop', 'junk', 'long'),
          ops: mutations(3),
          plan: headerPlan,
          kind: fc.constant('form' as BodyKind),
          method: fc.constantFrom('GET', 'GET', 'POST'),
          seed: fc.nat(),
          s: junk,
        }),
        async (c) => {
          const m = focused(c, 'GET');
          if (!mutatesParams(c.focus)) Object.assign(c, { code: 'real', state: 'real', iss: 'real', error: undefined, tokens: undefined, cookie: 'keep' });
          const login = await startLogin('/app');
          const answer = c.code === 'real' || c.code === 'dup' || c.iss === 'real' ? await providerCallback(login.authorize) : undefined;
          const realCode = answer?.searchParams.get('code') ?? '';
          const code = { real: realCode, dup: realCode, other: await otherCode(), junk: c.s, none: undefined }[c.code];
          const state = { real: login.state, dup: login.state, junk: c.s, none: undefined, otherBrowser: (await startLogin()).state }[c.state];
          const iss = { real: provider, dup: provider, junk: c.s, none: undefined }[c.iss];
          const params = entriesOf({ code, state, iss, error: c.error, error_description: c.error ? c.s : undefined, [c.tokens ?? 'x']: c.tokens ? 'eyJhbGciOiJub25lIn0.e30.' : undefined });
          if (c.code === 'dup') params.push(['code', realCode]);
          if (c.state === 'dup') params.push(['state', login.state]);
          if (c.iss === 'dup') params.push(['iss', 'https://evil.example']);
          const query = mutate(params, m.ops, [realCode, login.state, provider]);
          const cookie = { keep: login.cookie, drop: undefined, junk: `${cookieName}=${c.s}`, long: `${cookieName}=${'x'.repeat(200)}` }[c.cookie];
          const req = buildRequest({ base: bff.url, method: m.method, path: '/openid/callback', query, headers: { cookie }, plan: m.plan });
          // A callback with this browser's pending state spends the transaction, even when it fails.
          const spends = cookie === login.cookie && req.url.includes(`state=${encodeURIComponent(login.state)}`);
          await probe(req, bffPolicy, { db: bffDb, allowWrites: (diffs) => spends && diffs.every((d) => d.table === 'jwt_oidc_rp_sessions') });
        },
      ),
      fuzzParams(100),
    );
  });

  it('logout (GET form, POST with CSRF token) and back-channel logout with random and re-signed logout tokens: no 5xx, no leak, redirects to the BFF or the provider only, ∅DB on rejection', { timeout: timeoutFor(120) }, async () => {
    const session = cached(async () => {
      // A logged-in browser at the BFF: its cookie (each case may end it; then a new login).
      const login = await startLogin('/app');
      const callback = await providerCallback(login.authorize);
      const res = await fetch(callback.href.replace(bff.publicUrl, bff.url), { headers: { cookie: login.cookie }, redirect: 'manual' });
      return cookieOf(res, cookieName)!;
    }, 0);
    const providerKeys = () => providerSigningKeys(fx.ctx);
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          focus,
          route: fc.constantFrom('logout', 'logout', 'backchannel', 'backchannel', 'backchannel'),
          csrf: fc.constantFrom('keep', 'keep', 'junk', 'drop', 'dup', 'otherSession'),
          loggedIn: fc.boolean(),
          claims: fc.record({ sub: fc.constantFrom('alice', 'alice', 'other', 'none', 'empty'), sid: fc.constantFrom('none', 'none', 'junk'), nonce: fc.boolean(), events: fc.constantFrom('ok', 'ok', 'ok', 'none', 'array', 'string', 'wrongKey'), typ: fc.constantFrom('logout+jwt', 'logout+jwt', 'JWT', 'at+jwt', 'none'), iat: fc.constantFrom('now', 'now', 'old', 'future', 'none'), jti: fc.constantFrom('fresh', 'fresh', 'reuse', 'none') }),
          recipe: fc.option(jwtRecipe, { nil: undefined, freq: 2 }),
          ops: mutations(3),
          plan: headerPlan,
          kind: bodyKind,
          method: fc.constantFrom('POST', 'POST', 'GET', 'PUT'),
          seed: fc.nat(),
          s: junk,
        }),
        async (c) => {
          const m = focused(c, 'POST');
          const clean = !mutatesParams(c.focus);
          if (c.route === 'logout') {
            const cookie = c.loggedIn || clean ? await session() : (await startLogin()).cookie;
            const page = await probe({ method: 'GET', url: `${bff.url}/openid/logout`, headers: { cookie } }, bffPolicy, { db: bffDb });
            const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
            const kind = clean ? 'keep' : c.csrf;
            const fields: Entry[] = kind === 'keep' ? [['csrf', csrf]] : kind === 'junk' ? [['csrf', c.s]] : kind === 'dup' ? [['csrf', csrf], ['csrf', csrf]] : kind === 'otherSession' ? [['csrf', csrf]] : [];
            const sendCookie = kind === 'otherSession' ? (await startLogin()).cookie : cookie;
            await probe(buildRequest({ base: bff.url, method: m.method, path: '/openid/logout', body: mutate(fields, m.ops, [csrf]), kind: m.kind, seed: c.seed, headers: { cookie: sendCookie }, plan: m.plan }), bffPolicy, { db: bffDb });
            return;
          }
          // Back-channel logout: a token the provider could have signed, with claims and shape varied.
          if (clean) await session();
          const key = providerKeys().find((k) => k.alg === 'ES256') ?? providerKeys()[0]!;
          const now = Math.floor(Date.now() / 1000);
          const k = clean ? { sub: 'alice', sid: 'none', nonce: false, events: 'ok', typ: 'logout+jwt', iat: 'now', jti: 'fresh' } : c.claims;
          const payload: Record<string, unknown> = { iss: provider, aud: clientId };
          if (k.iat !== 'none') payload.iat = { now, old: now - 3600, future: now + 3600 }[k.iat as 'now'];
          if (k.jti !== 'none') payload.jti = k.jti === 'reuse' ? 'fuzz-reused-jti' : randomUUID();
          if (k.sub !== 'none') payload.sub = { alice: fx.alice.id, other: randomUUID(), empty: '' }[k.sub as 'alice'];
          if (k.sid === 'junk') payload.sid = c.s;
          if (k.nonce) payload.nonce = 'n';
          const event = 'http://schemas.openid.net/event/backchannel-logout';
          if (k.events !== 'none') payload.events = { ok: { [event]: {} }, array: [event], string: event, wrongKey: { other: {} } }[k.events as 'ok'];
          const header: Record<string, unknown> = { alg: key.alg, kid: key.kid };
          if (k.typ !== 'none') header.typ = k.typ;
          const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
          const signed = `${input}.${signWith(key, input)}`;
          const token = c.recipe && !clean ? applyJwtRecipe(c.recipe, [signed], providerKeys(), [clientId]).token : signed;
          const body = mutate([['logout_token', token]], m.ops, [signed]);
          await probe(buildRequest({ base: bff.url, method: m.method, path: '/openid/backchannel-logout', body, kind: m.kind, seed: c.seed, plan: m.plan, pool: { tokens: [signed] } }), bffPolicy, { db: bffDb });
        },
      ),
      fuzzParams(120),
    );
  });

  it('/graphql and unknown routes of the BFF, with session cookies and bearer tokens: no 5xx, no leak, ∅DB on rejection', { timeout: timeoutFor(60) }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          path: fc.constantFrom('/graphql', '/graphql', '/openid', '/openid/', '/openid/x', '/openid/callback/', '/openid/login/..%2Fcallback', '/', '/signed-out'),
          method: fc.constantFrom('GET', 'POST', 'POST', 'PUT', 'OPTIONS'),
          bearer: fc.option(fc.oneof(junk, fc.constant('provider')), { nil: undefined }),
          cookie: fc.option(fc.oneof(junk, fc.constant('session')), { nil: undefined }),
          query: fc.constantFrom('{ me { sub clientId scopes claims userinfo user { id email } } }', '{ serverInfo { mode } }', '{ users(first: 1) { edges { node { id } } } }', 'mutation { updateMe(input: { givenName: "x" }) { id } }', '{'),
          plan: headerPlan,
          seed: fc.nat(),
        }),
        async (c) => {
          const bearer = c.bearer === 'provider' ? (await fx.mintTokens('conf')).access_token : c.bearer;
          const cookie = c.cookie === 'session' ? (await startLogin()).cookie : c.cookie === undefined ? undefined : `${cookieName}=${c.cookie}`;
          const req = buildRequest({ base: bff.url, method: c.method, path: c.path, headers: { 'content-type': 'application/json', authorization: bearer === undefined ? undefined : `Bearer ${bearer}`, cookie }, plan: c.plan });
          if (c.method !== 'GET') req.body = JSON.stringify({ query: c.query });
          await probe(req, bffPolicy, { db: bffDb });
        },
      ),
      fuzzParams(60),
    );
  });
});
