/**
 * Fuzzing the provider's browser-facing endpoints: /authorize (GET and POST), the login, consent
 * and account-selection forms of an interaction, and end-session with its confirmation. Requests
 * start from real clients, redirect URIs, sessions and ID tokens and are mutated from there, so
 * that they get past the first checks. Every response passes the properties of
 * support/checker.ts, and a rejection leaves the database alone (support/database.ts).
 */
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import { PASSWORD } from '../support/provider.js';
import { SCOPE, type ClientName, type FuzzProvider } from './fixtures.js';
import { useFuzzProvider } from './provider-harness.js';
import { onlyCsrfRenewed } from './support/database.js';
import { cookieOf, probe } from './support/http.js';
import { applyJwtRecipe, jwtRecipe } from './support/jwt.js';
import { focus, focused, mutate, mutatesParams, mutations, variations } from './support/mutators.js';
import { fuzzParams, timeoutFor } from './support/settings.js';
import { encodeEntries, entriesOf, junk, type Entry } from './support/values.js';

let fx: FuzzProvider;
let issuer: string;
const { build, check } = useFuzzProvider('provider (authorization, interaction, end-session): statuses per endpoint', (started) => {
  fx = started;
  issuer = started.p.issuer;
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
          ...variations(4),
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
          ...variations(3),
          s: junk,
        }),
        async (c) => {
          const m = focused(c);
          // Outside a params focus, the interaction's own uid, cookies and CSRF token are sent.
          if (!mutatesParams(c.focus)) Object.assign(c, { route: 'same', uid: 'keep', cookie: 'keep', csrf: 'keep' });
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
          ...variations(3),
          s: junk,
        }),
        async (c) => {
          const m = focused(c);
          if (!mutatesParams(c.focus)) {
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
