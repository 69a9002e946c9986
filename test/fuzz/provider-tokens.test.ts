/**
 * Fuzzing the provider's back-channel endpoints: /token (every grant type, form and JSON bodies,
 * any client authentication), /userinfo, revocation and introspection. Requests start from real
 * clients, codes and tokens (and tokens mutated and re-signed with the provider's own keys), so
 * that they get past the first checks. Every response passes the properties of
 * support/checker.ts, a rejection leaves the database alone (support/database.ts), and a forged
 * token is never accepted.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { cached, FUZZ_RESOURCE, type ClientName, type FuzzProvider } from './fixtures.js';
import { useFuzzProvider } from './provider-harness.js';
import { applyJwtRecipe, jwtRecipe, type Mutant } from './support/jwt.js';
import { focus, focused, mutate, mutatesParams, variations } from './support/mutators.js';
import { fuzzParams, timeoutFor } from './support/settings.js';
import { entriesOf, junk } from './support/values.js';

let fx: FuzzProvider;
const { build, check, expectGenuine } = useFuzzProvider('provider (token, userinfo, revocation, introspection): statuses per endpoint', (started) => {
  fx = started;
});

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
          ...variations(4),
        }),
        async (c) => {
          const m = focused(c, 'POST');
          if (!mutatesParams(c.focus)) {
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
          } else if (c.grant === 'urn:ietf:params:oauth:grant-type:token-exchange') {
            const tokens = await fx.mintTokens(material);
            Object.assign(fields, { subject_token: tokens.access_token, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token', audience: FUZZ_RESOURCE });
            pool.push(tokens.access_token, tokens.id_token ?? '', FUZZ_RESOURCE, 'urn:ietf:params:oauth:token-type:jwt', 'urn:ietf:params:oauth:token-type:id_token');
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
          ...variations(2),
        }),
        async (c) => {
          const { real, jwts } = await material();
          const m = focused(c, c.placement === 'body' || c.placement === 'headerAndBody' || c.seed % 2 ? 'POST' : 'GET');
          // The token is the mutated part unless the focus is elsewhere: then a real one, in the header.
          if (!mutatesParams(c.focus)) Object.assign(c, { recipe: undefined, placement: c.placement === 'body' ? 'body' : 'header' });
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
          ...variations(3),
          s: junk,
        }),
        async (c) => {
          const m = focused(c, 'POST');
          // Outside a params focus: the token's own client, authenticated as registered, an unmutated token.
          if (!mutatesParams(c.focus)) Object.assign(c, { client: c.token.startsWith('pub') ? 'pub' : c.token === 'cc' ? 'm2m' : 'conf', auth: c.token.startsWith('pub') ? 'none' : 'basic', recipe: c.focus === 'none' ? undefined : c.recipe });
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
