/**
 * Fuzzing the provider's HTTP endpoints: discovery and JWKS, /authorize (GET and POST), the
 * login, consent and account-selection forms, /token (every grant type), /userinfo, revocation,
 * introspection, end-session and its confirmation, every route with odd methods and bodies, and
 * raw bytes on the socket. Requests start from real clients, redirect URIs, codes and tokens and
 * are mutated from there, so that they get past the first checks. See support.ts for the
 * properties every response must pass.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { PASSWORD } from '../support/provider.js';
import { cached, startFuzzProvider, SCOPE, type ClientName, type FuzzProvider } from './fixtures.js';
import {
  applyHeaders,
  applyJwtRecipe,
  bodyKind,
  encodeEntries,
  entriesOf,
  focus,
  focused,
  fuzzParams,
  headerPlan,
  jwtRecipe,
  junk,
  makeBody,
  mutate,
  mutations,
  onlyCsrfRenewed,
  printStats,
  record,
  probe,
  rawExchange,
  assertResponse,
  timeoutFor,
  type BodyKind,
  type Entry,
  type FuzzRequest,
  type HeaderPlan,
  type Mutant,
  type Observed,
  type ProbeOptions,
} from './support.js';

let fx: FuzzProvider;
let issuer: string;

beforeAll(async () => {
  fx = await startFuzzProvider();
  issuer = fx.p.issuer;
});
afterAll(async () => {
  printStats('provider: statuses per endpoint');
  await fx?.close();
});

interface Built {
  method: string;
  path: string;
  query?: Entry[];
  body?: Entry[];
  kind?: BodyKind;
  seed?: number;
  headers?: Record<string, string | undefined>;
  plan: HeaderPlan;
  tokens?: readonly string[];
  /** A raw query string instead of `query`. */
  rawQuery?: string;
}

function build(b: Built): FuzzRequest {
  const query = b.rawQuery ?? (b.query?.length ? encodeEntries(b.query) : '');
  const url = `${issuer}${b.path}${query ? `?${query}` : ''}`;
  const { body, contentType } = b.body ? makeBody(b.kind ?? 'form', b.body, b.seed ?? 0) : {};
  const headers = applyHeaders({ 'content-type': contentType, ...b.headers }, b.plan, { ids: fx.ids, secrets: fx.secrets, tokens: b.tokens ?? [] });
  return { method: b.method, url, headers, body };
}

function check(req: FuzzRequest, options: Omit<ProbeOptions, 'db'> = {}): Promise<Observed> {
  return probe(req, fx.policyFor(req), { db: fx.db, ...options });
}

/** A token was accepted: the request must have carried a genuine one (issued or signed by the provider). */
function expectGenuine(req: FuzzRequest, res: Observed, genuine: readonly string[], what: string): void {
  const text = `${req.url}\n${JSON.stringify(req.headers)}\n${typeof req.body === 'string' ? req.body : req.body ? Buffer.from(req.body).toString('utf8') : ''}`;
  if (!genuine.some((t) => t && (text.includes(t) || text.includes(encodeURIComponent(t))))) {
    assertResponse({ ...res, status: 599 }, fx.policyFor(req), { forgedTokenAccepted: what, request: req });
  }
}

const cookieOf = (res: Response | Observed, name: string): string | undefined => {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    if (pair!.startsWith(`${name}=`) && !/max-age=0/i.test(line)) return pair!;
  }
  return undefined;
};

// ------------------------------------------------------------------------------------------------

describe('discovery and JWKS', () => {
  it('answer any method, query, header and conditional request without a 5xx or a leak', { timeout: timeoutFor(60) }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          path: fc.constantFrom('/.well-known/openid-configuration', '/jwks', '/.well-known/openid-configuration/', '/jwks/', '/.well-known/openid-configuration/x', '/.well-known/%6Fpenid-configuration', '/JWKS', '/.well-known/'),
          method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST', 'OPTIONS', 'PUT', 'DELETE', 'PATCH'),
          query: fc.array(fc.tuple(junk, junk), { maxLength: 3 }),
          ifNoneMatch: fc.option(fc.oneof(junk, fc.constantFrom('*', 'W/"x"', '"x", W/"y"', ',,,', 'W/', '"'.repeat(100))), { nil: undefined }),
          preflight: fc.option(junk, { nil: undefined, freq: 3 }),
          plan: headerPlan,
          kind: bodyKind,
          seed: fc.nat(),
        }),
        async (c) => {
          const headers: Record<string, string | undefined> = { 'if-none-match': c.ifNoneMatch, 'access-control-request-method': c.preflight };
          const req = build({ method: c.method, path: c.path, query: c.query as Entry[], body: c.method === 'GET' || c.method === 'HEAD' ? undefined : [['x', 'y']], kind: c.kind, seed: c.seed, headers, plan: c.plan });
          await check(req);
        },
      ),
      fuzzParams(60),
    );
  });
});

// ------------------------------------------------------------------------------------------------

const PROMPTS = ['none', 'login', 'consent', 'select_account', 'login consent', 'none login', 'NONE', 'login login', ''];
function extraValue(name: string, n: number, s: string, hint: string): string {
  const pick = <T>(list: T[]) => list[n % list.length]!;
  switch (name) {
    case 'prompt':
      return pick(PROMPTS);
    case 'max_age':
      return pick(['0', '1', '3600', '-1', '1e3', '99999999999', '2147483648', '2147483647', '00', ' 1', s]);
    case 'login_hint':
      return pick(['alice', 'x'.repeat(600), s]);
    case 'id_token_hint':
      return hint;
    case 'acr_values':
      return pick(['urn:mace:incommon:iap:silver', 'a b', '\u0001', 'x'.repeat(300), s]);
    case 'ui_locales':
    case 'claims_locales':
      return pick(['en fr', 'de-DE', '!!', 'en '.repeat(30), 'x-'.repeat(10), s]);
    case 'display':
      return pick(['page', 'popup', 'touch', 'wap', 'x', s]);
    case 'claims':
      return pick([
        `{"id_token":{"sub":{"value":"${fx.alice.id}"}}}`,
        '{"userinfo":{"sub":{"value":1}}}',
        '{"id_token":{"sub":{"value":"someone"}},"userinfo":{"sub":{"value":"else"}}}',
        '[]',
        'null',
        '{',
        '{"id_token":null}',
        '{"id_token":"x"}',
        '{"id_token":{"sub":null}}',
        '{"id_token":{"sub":{"value":{"$gt":""}}}}',
        '{"__proto__":{"sub":{"value":"x"}}}',
        `{"id_token":${'['.repeat(2000)}${']'.repeat(2000)}}`,
        'x'.repeat(5000),
        s,
      ]);
    case 'code_challenge_method':
      return pick(['plain', 'S256', 's256', 'S512', '', s]);
    case 'code_challenge':
      return pick(['x'.repeat(43), 'x'.repeat(42), 'x'.repeat(128), '+'.repeat(43), s]);
    default:
      return s;
  }
}
const EXTRAS = ['prompt', 'max_age', 'login_hint', 'id_token_hint', 'acr_values', 'ui_locales', 'claims_locales', 'display', 'claims', 'request', 'request_uri', 'registration', 'resource', 'code_challenge_method', 'code_challenge', 'response_mode'];

describe('/authorize', () => {
  let idTokens: string[] = [];
  beforeAll(async () => {
    const a = await fx.mintTokens('conf');
    const b = await fx.mintTokens('pub');
    idTokens = [a.id_token, b.id_token];
  });

  it('GET and POST with mutated requests of real clients: no 5xx, no leak, redirects only to the named client, ∅DB on rejection', { timeout: timeoutFor(150) }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          focus,
          client: fc.constantFrom<ClientName>('conf', 'conf', 'conf', 'pub', 'pub', 'other', 'm2m'),
          uri: fc.nat(),
          method: fc.constantFrom('GET', 'GET', 'POST'),
          responseType: fc.constantFrom('code', 'code', 'code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token', 'token', 'id_token code', 'none'),
          responseMode: fc.constantFrom(undefined, undefined, undefined, 'query', 'fragment', 'form_post', 'web_message'),
          scope: fc.constantFrom(SCOPE, 'openid', 'openid admin', 'profile', 'openid api:read', 'openid unknown', 'openid openid'),
          session: fc.constantFrom('none', 'alice', 'alice', 'junk'),
          pkce: fc.boolean(),
          extras: fc.array(fc.tuple(fc.constantFrom(...EXTRAS), fc.nat(), junk), { maxLength: 3 }),
          hint: jwtRecipe,
          ops: mutations(4),
          plan: headerPlan,
          kind: bodyKind,
          seed: fc.nat(),
        }),
        async (c) => {
          const m = focused(c);
          const client = fx.clients[c.client];
          const redirect = client.redirectUris.length ? client.redirectUris[c.uri % client.redirectUris.length] : 'https://rp.example/cb';
          const hint = applyJwtRecipe(c.hint, idTokens, fx.signingKeys(), fx.ids).token;
          const base = entriesOf({
            client_id: client.id,
            redirect_uri: redirect,
            response_type: c.responseType,
            response_mode: c.responseMode,
            scope: c.scope,
            state: 'st-1',
            nonce: 'n-1',
            code_challenge: c.pkce ? 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' : undefined,
            code_challenge_method: c.pkce ? 'S256' : undefined,
          });
          for (const [name, n, s] of c.extras) base.push([name, extraValue(name, n, s, hint)]);
          const params = mutate(base, m.ops, [...fx.ids, ...fx.uris, 'S256', 'code', 'openid', hint]);
          const cookie = c.session === 'alice' ? await fx.sessionCookie() : c.session === 'junk' ? 'jwt-oidc.session=forged' : undefined;
          const req = build({
            method: m.method,
            path: '/authorize',
            query: m.method === 'GET' ? params : [],
            body: m.method === 'POST' ? params : undefined,
            kind: m.kind,
            seed: c.seed,
            headers: { cookie },
            plan: m.plan,
            tokens: idTokens,
          });
          await check(req);
        },
      ),
      fuzzParams(150),
    );
  });
});

// ------------------------------------------------------------------------------------------------

describe('the login, consent and account-selection forms', () => {
  /** Starts an interaction of the given kind; returns its uid, cookies and CSRF token. */
  async function start(stage: 'login' | 'consent' | 'select') {
    const session = stage === 'login' ? undefined : await fx.sessionCookie();
    const client = stage === 'select' ? fx.clients.conf : fx.clients.pub;
    const prompt = stage === 'consent' ? 'consent' : stage === 'select' ? 'select_account' : undefined;
    const params = entriesOf({ client_id: client.id, redirect_uri: client.redirectUris[0], response_type: 'code', scope: SCOPE, state: 'st', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', prompt });
    const res = await fetch(`${issuer}/authorize?${encodeEntries(params)}`, { headers: session ? { cookie: session } : {}, redirect: 'manual' });
    const location = new URL(res.headers.get('location')!, issuer);
    const uid = /\/interaction\/([^/?]+)/.exec(location.pathname)?.[1];
    const interaction = cookieOf(res, fx.ctx.cookies.interaction);
    if (!uid || !interaction) throw new Error(`no interaction: ${res.status} ${location}`);
    const cookie = [interaction, session].filter(Boolean).join('; ');
    const page = await fetch(`${issuer}/interaction/${uid}`, { headers: { cookie }, redirect: 'manual' });
    const html = await page.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!csrf) throw new Error(`no form: ${page.status} ${html.slice(0, 300)}`);
    return { uid, interaction, session, csrf: csrf.replace(/&amp;/g, '&'), client };
  }

  it('posts with random fields, cookies and CSRF tokens: no 5xx, no leak, redirects only to the client, ∅DB on rejection but a renewed CSRF token', { timeout: timeoutFor(100) }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          focus,
          stage: fc.constantFrom('login', 'consent', 'select') as fc.Arbitrary<'login' | 'consent' | 'select'>,
          route: fc.constantFrom('same', 'same', 'same', 'login', 'consent', 'select', 'show', 'junk'),
          uid: fc.constantFrom('keep', 'keep', 'keep', 'keep', 'junk', 'upper', 'encoded'),
          cookie: fc.constantFrom('keep', 'keep', 'keep', 'drop', 'junk', 'noSession', 'otherSession'),
          csrf: fc.constantFrom('keep', 'keep', 'keep', 'drop', 'junk', 'dup', 'upper'),
          username: fc.constantFrom('alice', 'alice', 'ALICE', ' alice', 'nobody', 'a'.repeat(200), ''),
          password: fc.constantFrom(PASSWORD, PASSWORD, 'wrong', '', 'x'.repeat(1025)),
          decision: fc.constantFrom('allow', 'deny', 'continue', 'switch', 'maybe', ''),
          ops: mutations(3),
          plan: headerPlan,
          kind: bodyKind,
          seed: fc.nat(),
          s: junk,
        }),
        async (c) => {
          const m = focused(c);
          // Outside a params focus, the interaction's own uid, cookies and CSRF token are sent.
          if (c.focus !== 'params' && c.focus !== 'all') Object.assign(c, { route: 'same', uid: 'keep', cookie: 'keep', csrf: 'keep' });
          const ia = await start(c.stage);
          const route = c.route === 'same' ? c.stage : c.route === 'junk' ? c.s : c.route;
          const uid = c.uid === 'keep' ? ia.uid : c.uid === 'junk' ? pctPath(c.s) : c.uid === 'upper' ? ia.uid.toUpperCase() : encodeURIComponent(`${ia.uid}/..`);
          const cookie =
            c.cookie === 'keep' ? [ia.interaction, ia.session].filter(Boolean).join('; ')
            : c.cookie === 'drop' ? undefined
            : c.cookie === 'junk' ? `${fx.ctx.cookies.interaction}=${c.s}`
            : c.cookie === 'noSession' ? ia.interaction
            : `${ia.interaction}; ${await fx.sessionCookie()}`;
          const csrf = c.csrf === 'keep' ? ia.csrf : c.csrf === 'junk' ? c.s : c.csrf === 'upper' ? ia.csrf.toUpperCase() : c.csrf === 'dup' ? ia.csrf : undefined;
          const fields = entriesOf({ csrf, username: route === 'login' ? c.username : undefined, password: route === 'login' ? c.password : undefined, decision: route === 'login' ? undefined : c.decision });
          if (c.csrf === 'dup') fields.push(['csrf', ia.csrf]);
          const body = mutate(fields, m.ops, [ia.csrf, ia.uid, 'alice', PASSWORD, 'allow', 'continue']);
          const path = route === 'show' ? `/interaction/${uid}` : `/interaction/${uid}/${pctPath(route)}`;
          const req = build({ method: route === 'show' ? 'GET' : 'POST', path, body: route === 'show' ? undefined : body, kind: m.kind, seed: c.seed, headers: { cookie }, plan: m.plan });
          await probe(req, { own: [new URL(issuer).origin], targets: [...ia.client.redirectUris] }, { db: fx.db, allowWrites: (diffs, res) => res.status === 401 && onlyCsrfRenewed(diffs) });
        },
      ),
      fuzzParams(100),
    );
  });
});

function pctPath(s: string): string {
  return encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, ''));
}

// ------------------------------------------------------------------------------------------------

const GRANTS = ['authorization_code', 'authorization_code', 'authorization_code', 'refresh_token', 'refresh_token', 'client_credentials', 'client_credentials', 'password', 'implicit', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'urn:ietf:params:oauth:grant-type:token-exchange', 'AUTHORIZATION_CODE', '__proto__', 'constructor', 'toString', 'hasOwnProperty', ''];

describe('/token', () => {
  it('every grant type, form and JSON bodies, any Authorization: no 5xx, no leak, ∅DB on rejection', { timeout: timeoutFor(150) }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          focus,
          grant: fc.constantFrom(...GRANTS),
          client: fc.constantFrom<ClientName>('conf', 'conf', 'conf', 'pub', 'other', 'm2m'),
          material: fc.constantFrom<ClientName>('conf', 'conf', 'pub'),
          auth: fc.constantFrom('basic', 'basic', 'post', 'none', 'both'),
          scope: fc.option(fc.constantFrom('admin', 'api:read', 'api:read api:write', 'openid', 'openid profile', 'offline_access', 'x y', '\u0001', 'api:read api:read'), { nil: undefined }),
          method: fc.constantFrom('POST', 'POST', 'POST', 'POST', 'POST', 'GET', 'PUT', 'OPTIONS', 'DELETE'),
          ops: mutations(4),
          plan: headerPlan,
          kind: bodyKind,
          seed: fc.nat(),
        }),
        async (c) => {
          const m = focused(c, 'POST');
          if (c.focus !== 'params' && c.focus !== 'all') {
            // A valid combination: the grant's own client, authenticated as registered.
            const grant = (['authorization_code', 'refresh_token', 'client_credentials'] as const)[c.seed % 3]!;
            const client: ClientName = grant === 'client_credentials' ? (c.seed % 2 ? 'm2m' : 'conf') : c.material;
            Object.assign(c, { grant, client, material: c.material, auth: client === 'pub' ? 'none' : c.seed % 4 === 0 ? 'post' : 'basic', scope: grant === 'client_credentials' ? (client === 'm2m' ? 'admin' : 'api:read') : c.seed % 5 === 0 ? 'openid' : undefined });
          }
          const client = fx.clients[c.client];
          const material = c.material === 'pub' ? 'pub' : 'conf';
          const fields: Record<string, string | undefined> = { grant_type: c.grant, scope: c.scope };
          const pool: string[] = [...fx.ids, ...fx.uris, ...fx.secrets];
          if (c.grant.startsWith('authorization_code') || c.grant === 'AUTHORIZATION_CODE') {
            const { code, verifier, redirectUri } = await fx.mintCode(material);
            Object.assign(fields, { code, code_verifier: verifier, redirect_uri: redirectUri, scope: undefined });
            pool.push(code, verifier);
          } else if (c.grant === 'refresh_token') {
            const tokens = await fx.mintTokens(material);
            fields.refresh_token = tokens.refresh_token;
            pool.push(tokens.refresh_token, tokens.access_token);
          }
          if (c.auth === 'post' || c.auth === 'both') Object.assign(fields, { client_id: client.id, client_secret: client.secret });
          if (c.auth === 'none') fields.client_id = client.id;
          const basic = (c.auth === 'basic' || c.auth === 'both') && client.secret ? `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}` : undefined;
          const body = mutate(entriesOf(fields), m.ops, pool);
          const req = build({ method: m.method, path: '/token', body, kind: m.kind, seed: c.seed, headers: { authorization: basic }, plan: m.plan, tokens: pool });
          await check(req);
        },
      ),
      fuzzParams(150),
    );
  });
});

// ------------------------------------------------------------------------------------------------

describe('/userinfo', () => {
  it('GET and POST with random and mutated bearer tokens: no 5xx, no leak, ∅DB, forged tokens never accepted', { timeout: timeoutFor(150) }, async () => {
    // Made again after a few minutes: access tokens must not expire during a long run.
    const material = cached(async () => {
      const [conf, pub, cc] = await Promise.all([fx.mintTokens('conf'), fx.mintTokens('pub'), fx.machineToken('admin')]);
      return { real: [conf.access_token, pub.access_token, cc, conf.id_token, conf.refresh_token], jwts: [conf.access_token, pub.access_token, cc, conf.id_token] };
    });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          focus,
          recipe: fc.option(jwtRecipe, { nil: undefined, freq: 4 }),
          pick: fc.constantFrom(0, 0, 0, 1, 2, 3, 4),
          placement: fc.constantFrom('header', 'header', 'header', 'body', 'query', 'headerAndBody', 'none', 'lowercaseScheme', 'spaces'),
          method: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'PUT', 'OPTIONS', 'HEAD'),
          ops: mutations(2),
          plan: headerPlan,
          kind: bodyKind,
          seed: fc.nat(),
        }),
        async (c) => {
          const { real, jwts } = await material();
          const m = focused(c, c.placement === 'body' || c.placement === 'headerAndBody' || c.seed % 2 ? 'POST' : 'GET');
          // The token is the mutated part unless the focus is elsewhere: then a real one, in the header.
          if (c.focus !== 'params' && c.focus !== 'all') Object.assign(c, { recipe: undefined, placement: c.placement === 'body' ? 'body' : 'header' });
          const mutant: Mutant = c.recipe ? applyJwtRecipe(c.recipe, jwts, fx.signingKeys(), fx.ids) : { token: real[c.pick % real.length]!, genuine: true };
          const t = mutant.token;
          const header = { header: `Bearer ${t}`, headerAndBody: `Bearer ${t}`, lowercaseScheme: `bearer ${t}`, spaces: `Bearer   ${t}  ` }[c.placement as string];
          const inBody = c.placement === 'body' || c.placement === 'headerAndBody';
          const body = mutate(inBody ? [['access_token', t]] : [['x', '1']], m.ops, real);
          const plan = { ...m.plan, authorization: m.plan.authorization.kind === 'bearer' || m.plan.authorization.kind === 'basic' ? m.plan.authorization : { ...m.plan.authorization, kind: 'keep' as const } };
          const req = build({ method: m.method, path: '/userinfo', query: c.placement === 'query' ? [['access_token', t]] : [], body: m.method === 'GET' || m.method === 'HEAD' ? undefined : body, kind: m.kind, seed: c.seed, headers: { authorization: header }, plan, tokens: real });
          const res = await check(req);
          if (res.status === 200 && /"sub"\s*:/.test(res.body)) expectGenuine(req, res, [...real, ...(mutant.genuine ? [t] : [])], 'userinfo');
        },
      ),
      fuzzParams(150),
    );
  });
});

// ------------------------------------------------------------------------------------------------

describe('revocation and introspection', () => {
  it('any client authentication and token: no 5xx, no leak, ∅DB on rejection, forged tokens never active', { timeout: timeoutFor(120) }, async () => {
    const others = cached(async () => ({ other: await fx.mintTokens('pub'), cc: await fx.machineToken('admin') }));
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          focus,
          endpoint: fc.constantFrom('/revoke', '/introspect'),
          client: fc.constantFrom<ClientName>('conf', 'conf', 'conf', 'pub', 'other', 'm2m'),
          auth: fc.constantFrom('basic', 'basic', 'post', 'none'),
          token: fc.constantFrom('access', 'access', 'refresh', 'refresh', 'id', 'cc', 'pubRefresh', 'pubAccess', 'junk'),
          recipe: fc.option(jwtRecipe, { nil: undefined, freq: 2 }),
          hint: fc.constantFrom(undefined, undefined, 'access_token', 'refresh_token', 'id_token', 'junk'),
          method: fc.constantFrom('POST', 'POST', 'POST', 'POST', 'GET', 'PUT'),
          ops: mutations(3),
          plan: headerPlan,
          kind: bodyKind,
          seed: fc.nat(),
          s: junk,
        }),
        async (c) => {
          const m = focused(c, 'POST');
          // Outside a params focus: the token's own client, authenticated as registered, an unmutated token.
          if (c.focus !== 'params' && c.focus !== 'all') Object.assign(c, { client: c.token.startsWith('pub') ? 'pub' : c.token === 'cc' ? 'm2m' : 'conf', auth: c.token.startsWith('pub') ? 'none' : 'basic', recipe: c.focus === 'none' ? undefined : c.recipe });
          const { other, cc } = await others();
          const fresh = await fx.mintTokens('conf');
          const real = [fresh.access_token, fresh.refresh_token, fresh.id_token, cc, other.refresh_token, other.access_token];
          const chosen = { access: fresh.access_token, refresh: fresh.refresh_token, id: fresh.id_token, cc, pubRefresh: other.refresh_token, pubAccess: other.access_token, junk: c.s }[c.token]!;
          const mutant: Mutant = c.recipe && chosen.split('.').length === 3 ? applyJwtRecipe(c.recipe, [chosen], fx.signingKeys(), fx.ids) : { token: chosen, genuine: c.token !== 'junk' };
          const client = fx.clients[c.client];
          const fields: Record<string, string | undefined> = { token: mutant.token, token_type_hint: c.hint === 'junk' ? c.s : c.hint };
          if (c.auth === 'post') Object.assign(fields, { client_id: client.id, client_secret: client.secret });
          if (c.auth === 'none') fields.client_id = client.id;
          const basic = c.auth === 'basic' && client.secret ? `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` : undefined;
          const body = mutate(entriesOf(fields), m.ops, [...real, ...fx.ids, ...fx.secrets]);
          const req = build({ method: m.method, path: c.endpoint, body, kind: m.kind, seed: c.seed, headers: { authorization: basic }, plan: m.plan, tokens: real });
          const res = await check(req);
          if (c.endpoint === '/introspect' && res.status === 200 && /"active"\s*:\s*true/.test(res.body)) expectGenuine(req, res, [...real, ...(mutant.genuine ? [mutant.token] : [])], 'introspection');
        },
      ),
      fuzzParams(120),
    );
  });
});

// ------------------------------------------------------------------------------------------------

describe('end-session', () => {
  it('GET and POST, with real and mutated hints, sessions and confirmations: no 5xx, no leak, only registered post-logout URIs, ∅DB on rejection', { timeout: timeoutFor(120) }, async () => {
    const conf = await fx.mintTokens('conf');
    const pub = await fx.mintTokens('pub');
    const hints = [conf.id_token, pub.id_token];
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          focus,
          method: fc.constantFrom('GET', 'GET', 'POST'),
          hint: fc.constantFrom('conf', 'conf', 'pub', 'none', 'access'),
          recipe: fc.option(jwtRecipe, { nil: undefined, freq: 3 }),
          client: fc.constantFrom<ClientName | 'none'>('conf', 'conf', 'pub', 'other', 'none'),
          uri: fc.constantFrom('own', 'own', 'other', 'none', 'evil', 'mutated'),
          session: fc.constantFrom('alice', 'alice', 'none', 'junk'),
          confirm: fc.option(
            fc.record({ uid: fc.constantFrom('keep', 'keep', 'junk', 'none', 'dup'), xsrf: fc.constantFrom('keep', 'keep', 'junk', 'none', 'dup'), cookie: fc.constantFrom('keep', 'keep', 'drop', 'junk'), logout: fc.constantFrom('yes', 'yes', 'no', 'YES', ''), ops: mutations(2) }),
            { nil: undefined, freq: 2 },
          ),
          ops: mutations(3),
          plan: headerPlan,
          kind: bodyKind,
          seed: fc.nat(),
          s: junk,
        }),
        async (c) => {
          const m = focused(c);
          if (c.focus !== 'params' && c.focus !== 'all') {
            // A verifiable request (hint, its client, a registered URI, the session) or a plain one.
            const hint = c.hint === 'pub' ? 'pub' : c.hint === 'none' ? 'none' : 'conf';
            Object.assign(c, { hint, recipe: undefined, client: hint === 'none' ? c.client : hint, uri: c.uri === 'none' ? 'none' : 'own', session: c.session === 'none' ? 'none' : 'alice' });
            if (c.confirm) Object.assign(c.confirm, { uid: 'keep', xsrf: 'keep', cookie: 'keep', ops: [] });
          }
          const hintBase = c.hint === 'conf' ? conf.id_token : c.hint === 'pub' ? pub.id_token : c.hint === 'access' ? conf.access_token : undefined;
          const hint = hintBase && c.recipe ? applyJwtRecipe(c.recipe, [hintBase], fx.signingKeys(), fx.ids).token : hintBase;
          const client = c.client === 'none' ? undefined : fx.clients[c.client];
          const own = client?.postLogoutRedirectUris[0];
          const uri = { own, other: fx.clients.other.postLogoutRedirectUris[0], none: undefined, evil: 'https://evil.example/bye', mutated: `${own ?? 'https://rp.example/bye'}${c.s}` }[c.uri];
          const fields = entriesOf({ id_token_hint: hint, client_id: client?.id, post_logout_redirect_uri: uri, state: 'st-9', ui_locales: 'en' });
          const params = mutate(fields, m.ops, [...hints, ...fx.ids, ...fx.uris]);
          const session = c.session === 'alice' ? await fx.sessionCookie() : c.session === 'junk' ? `${fx.ctx.cookies.session}=${c.s}` : undefined;
          const req = build({ method: m.method, path: '/session/end', query: m.method === 'GET' ? params : [], body: m.method === 'POST' ? params : undefined, kind: m.kind, seed: c.seed, headers: { cookie: session }, plan: m.plan, tokens: hints });
          const res = await check(req);
          if (!c.confirm || res.status !== 200) return;
          const action = /<form[^>]*action="([^"]+)"/.exec(res.body)?.[1]?.replace(/&amp;/g, '&');
          const xsrf = /name="xsrf" value="([^"]+)"/.exec(res.body)?.[1];
          const interaction = cookieOf(res, fx.ctx.cookies.interaction);
          if (!action || !xsrf) return;
          const realUid = new URL(action, issuer).searchParams.get('uid') ?? '';
          const k = c.confirm;
          const query: Entry[] = k.uid === 'keep' ? [['uid', realUid]] : k.uid === 'junk' ? [['uid', c.s]] : k.uid === 'dup' ? [['uid', realUid], ['uid', realUid]] : [];
          const form: Entry[] = [...(k.xsrf === 'keep' ? [['xsrf', xsrf]] : k.xsrf === 'junk' ? [['xsrf', c.s]] : k.xsrf === 'dup' ? [['xsrf', xsrf], ['xsrf', 'x']] : []), ['logout', k.logout]] as Entry[];
          const cookie = k.cookie === 'drop' ? session : k.cookie === 'junk' ? `${fx.ctx.cookies.interaction}=${c.s}` : [interaction, session].filter(Boolean).join('; ');
          const confirmReq = build({ method: 'POST', path: '/session/end/confirm', query, body: mutate(form, k.ops, [xsrf, realUid, 'yes']), headers: { cookie }, plan: { ...m.plan, authorization: { ...m.plan.authorization, kind: 'none' } }, tokens: hints });
          await check(confirmReq);
        },
      ),
      fuzzParams(120),
    );
  });
});

// ------------------------------------------------------------------------------------------------

const PATHS = [
  '/',
  '/authorize',
  '/authorize/',
  '/token',
  '/token/x',
  '/userinfo',
  '/revoke',
  '/introspect',
  '/session/end',
  '/session/end/confirm',
  '/interaction/',
  '/interaction/x',
  '/interaction/x/login',
  '/interaction/%zz/consent',
  '/interaction/..%2f..%2ftoken/login',
  '/.well-known/openid-configuration',
  '/jwks',
  '/graphql',
  '/healthz',
  '/readyz',
  '/%',
  '/%00',
  '/..%2f',
  '/%2e%2e/token',
  '/favicon.ico',
  '//token',
  '/token;x',
  '/authorize%0d%0aSet-Cookie:x=1',
];

describe('every route', () => {
  it('odd methods, paths, queries, headers and bodies: no 5xx, no leak, ∅DB on rejection', { timeout: timeoutFor(150) }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          path: fc.constantFrom(...PATHS),
          method: fc.constantFrom('GET', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'PROPFIND', 'SEARCH'),
          query: fc.array(fc.tuple(fc.oneof(junk, fc.constantFrom('client_id', 'access_token', 'uid', 'query', 'redirect_uri')), junk), { maxLength: 4 }),
          rawQuery: fc.option(fc.constantFrom('%', '%%', '&&&', '=', '==a', 'a=%FF%FE', 'a[b]=1&a[c]=2', 'a=1&a=2&a=3', '__proto__[x]=1', 'constructor[prototype][x]=1', `${'a=1&'.repeat(2000)}`), { nil: undefined, freq: 4 }),
          ops: mutations(3),
          plan: headerPlan,
          kind: bodyKind,
          seed: fc.nat(),
        }),
        async (c) => {
          const body = mutate([['client_id', fx.clients.conf.id], ['token', 'x']], c.ops, [...fx.ids, ...fx.uris]);
          const req = build({ method: c.method, path: c.path, query: c.query as Entry[], rawQuery: c.rawQuery, body: c.method === 'GET' || c.method === 'HEAD' ? undefined : body, kind: c.kind, seed: c.seed, plan: c.plan });
          await check(req);
        },
      ),
      fuzzParams(150),
    );
  });

  it('raw bytes on the socket: request lines, headers and bodies fetch would not send: no 5xx, no leak', { timeout: timeoutFor(60) }, async () => {
    const port = Number(new URL(issuer).port);
    const METHODS = ['GET', 'POST', 'TRACE', 'CONNECT', 'TRACK', 'get', 'G\u00e9T', 'POST POST', '', 'M-SEARCH', 'PRI'];
    const VERSIONS = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.1 x', '', 'http/1.1'];
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          method: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('GET', 'POST') }, fc.constantFrom(...METHODS)),
          path: fc.oneof(fc.constantFrom(...PATHS), fc.constantFrom('*', 'http://evil.example/token', '/token?%', '/\u00ff', '/a b', '/token#x', 'token')),
          pathBytes: fc.option(fc.uint8Array({ maxLength: 12 }), { nil: undefined, freq: 6 }),
          version: fc.oneof({ weight: 8, arbitrary: fc.constant('HTTP/1.1') }, fc.constantFrom(...VERSIONS)),
          headers: fc.array(
            fc.oneof(
              fc.constantFrom(
                'Content-Length: 5',
                'Content-Length: -1',
                'Content-Length: 5\r\nContent-Length: 6',
                'Transfer-Encoding: chunked',
                'Transfer-Encoding: gzip, chunked',
                'Transfer-Encoding: chunked\r\nContent-Length: 3',
                'Content-Type: application/x-www-form-urlencoded',
                'Content-Type: application/json',
                'Content-Type: application/x-www-form-urlencoded; charset=utf-7',
                'Content-Encoding: gzip',
                'Expect: 100-continue',
                'Host:',
                'Host: evil.example',
                'Host: a\r\nHost: b',
                ' folded: header',
                'X: \u00ff\u00fe',
                'Cookie: \u00ff=\u00ff',
                'Authorization: Basic \u00ff',
                'X-Null: a\u0000b',
                'Bad Header: x',
                ': empty',
                `X-Big: ${'a'.repeat(20_000)}`,
                'Connection: upgrade\r\nUpgrade: websocket',
              ),
              fc.tuple(fc.stringMatching(/^[!-9;-~]{1,12}$/), fc.string({ unit: 'binary-ascii', maxLength: 20 })).map(([k, v]) => `${k}: ${v.replace(/[\r\n]/g, '')}`),
            ),
            { maxLength: 3 },
          ).chain((h) => fc.oneof({ weight: 2, arbitrary: fc.constant<string[]>([]) }, fc.constant(h))),
          body: fc.oneof(fc.constantFrom('', 'grant_type=authorization_code', '5\r\nhello\r\n0\r\n\r\n', 'zz\r\nxx\r\n', '{"a":', 'x'.repeat(1000)), fc.string({ unit: 'binary', maxLength: 60 })),
        }),
        async (c) => {
          const path = c.pathBytes ? Buffer.concat([Buffer.from(c.path, 'latin1'), Buffer.from(c.pathBytes)]) : Buffer.from(c.path, 'latin1');
          const body = Buffer.from(c.body, 'utf8');
          // A length unless the case frames the body itself (or means to get it wrong).
          const framed = c.headers.some((h) => /^(content-length|transfer-encoding):/im.test(h));
          const lines = [`Host: localhost`, ...c.headers, ...(framed || body.length === 0 ? [] : [`Content-Length: ${body.length}`, 'Content-Type: application/x-www-form-urlencoded']), 'Connection: close'];
          const head = Buffer.from(` ${c.version}\r\n${lines.map((h) => `${h}\r\n`).join('')}\r\n`, 'latin1');
          const request = Buffer.concat([Buffer.from(c.method, 'latin1'), Buffer.from(' '), path, head, body]);
          const res = await rawExchange(port, request);
          record({ method: `RAW ${c.method}`, url: `${issuer}/raw` }, res?.status ?? 0);
          if (!res) return; // the server closed the connection: fine
          assertResponse({ status: res.status, headers: new Headers(parseHeaderLines(res.headers)), body: res.body, url: `${issuer}/` }, fx.policyFor(request.toString('latin1')), { raw: request.toString('latin1').slice(0, 2000) });
        },
      ),
      fuzzParams(60),
    );
  });
});

function parseHeaderLines(head: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) {
      try {
        new Headers([[line.slice(0, i).trim(), line.slice(i + 1).trim()]]);
        out.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
      } catch {
        // not a header fetch would accept: the status and body are still checked
      }
    }
  }
  return out;
}
