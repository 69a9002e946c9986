/**
 * Step-up authentication (RFC 9470) end to end, with real parts: the fake mode (a provider on
 * loopback, signing in on its page) issues tokens with the `acr` and `amr` the developer picks;
 * an Apollo Server on loopback with @jwt-oidc/apollo, imported by name as a consumer would,
 * refuses a "Password only" token where `@requiresAcr` (or the plugin's `acr`) demands
 * `urn:jwt-oidc:mfa` — 401 with RFC 9470 §3's challenge — and accepts a two-step one; the same
 * over graphql-ws with withSubscriptionAuth, and for `bearerAuth` of @jwt-oidc/express.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { authDirectivesTypeDefs, getAuth, jwtOidcPlugin, withSubscriptionAuth, type JwtOidcPluginOptions } from '@jwt-oidc/apollo';
import { bearerAuth } from '@jwt-oidc/express';
import express from 'express';
import { buildSchema, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { Browser } from 'playwright-core';
import { expectAccessible } from '../support/axe.js';
import { landingPage, launchBrowser } from '../support/browser.js';
import { query } from '../support/database.js';
import { closedWithin, connectWs, until } from '../support/graphql-ws.js';
import { authorizeUrl, browse, CookieJar, fakeLoginPage, fakeSignIn, formOf, pkcePair, postForm, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';

const MFA = 'urn:jwt-oidc:mfa';
const API = 'https://bank.example/graphql';
const CHALLENGE = `error="insufficient_user_authentication", error_description="a stronger authentication of the user is required", acr_values="${MFA}"`;

let fake: TestProvider;
let dir: string;
let rp: { clientId: string; clientSecret?: string; redirectUri: string };
let thirdParty: { clientId: string; clientSecret?: string; redirectUri: string };
/** The API's clock, ms (undefined: the system's): the plugin measures `maxAge` with it. */
let apiNow: number | undefined;
const now = () => apiNow ?? Date.now();
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jwt-oidc-step-up-'));
  fake = await startProvider({ JWT_OIDC_TYPE: 'fake', JWT_OIDC_CLIENT_ID: 'step-up-spa', JWT_OIDC_DATA_DIR: dir });
  rp = await fake.createClient({ name: 'Bank', audiences: [API], firstParty: true });
  thirdParty = await fake.createClient({ name: 'Budget app', audiences: [API] });
}, 120_000);

afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Tokens {
  access_token: string;
  id_token: string;
}

/** Redeems the code of the redirect `location`. */
async function redeem(location: URL, client: typeof rp, verifier: string): Promise<Tokens> {
  const code = location.searchParams.get('code');
  expect(code, location.toString()).toBeTruthy();
  const res = await tokenRequest(fake, { grant_type: 'authorization_code', code: code!, redirect_uri: client.redirectUri, code_verifier: verifier }, client);
  expect(res.status).toBe(200);
  return (await res.json()) as Tokens;
}

/** Signs in on the fake's page with `fields` (sub, level, acr, amr) and redeems the code. */
async function signIn(fields: Record<string, string>, params: Record<string, string> = {}, client = rp): Promise<Tokens> {
  const { verifier, challenge } = pkcePair();
  const url = authorizeUrl(fake, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256', nonce: 'n-1', ...params });
  return redeem(await fakeSignIn(new CookieJar(), url, fields), client, verifier);
}

const claimsOf = (tokens: Tokens) => ({ id: decodeJwt(tokens.id_token), access: decodeJwt(tokens.access_token) });

describe('the fake mode signs in with the acr and amr the developer picks', () => {
  it('"Two-step": both tokens carry acr urn:jwt-oidc:mfa and amr pwd, otp, beside auth_time', async () => {
    const { id, access } = claimsOf(await signIn({ sub: 'alice', level: 'mfa' }));
    expect(id).toMatchObject({ sub: 'alice', acr: MFA, amr: ['pwd', 'otp'], auth_time: expect.any(Number) });
    expect(access).toMatchObject({ sub: 'alice', acr: MFA, amr: ['pwd', 'otp'], auth_time: id.auth_time });
  });

  it('"Password only": amr pwd and no acr; nothing stated (the default): neither', async () => {
    const password = claimsOf(await signIn({ sub: 'alice', level: 'password' }));
    expect(password.id.amr).toEqual(['pwd']);
    expect(password.access.amr).toEqual(['pwd']);
    expect('acr' in password.id || 'acr' in password.access).toBe(false);
    const plain = claimsOf(await signIn({ sub: 'alice' }));
    for (const c of [plain.id, plain.access]) expect(['acr' in c, 'amr' in c]).toEqual([false, false]);
  });

  it('a typed acr and amr list replace the level\'s', async () => {
    const { id, access } = claimsOf(await signIn({ sub: 'bob', level: 'mfa', acr: 'urn:example:loa:3', amr: 'hwk, pin' }));
    expect(id).toMatchObject({ acr: 'urn:example:loa:3', amr: ['hwk', 'pin'] });
    expect(access).toMatchObject({ acr: 'urn:example:loa:3', amr: ['hwk', 'pin'] });
  });

  it("the request's acr_values preselect the level and prefill the acr; a recent identity's one click signs in with them", async () => {
    const { verifier, challenge } = pkcePair();
    const url = authorizeUrl(fake, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256', acr_values: MFA });
    const jar = new CookieJar();
    const { html, url: pageUrl } = await fakeLoginPage(jar, url);
    expect(html).toContain('<option value="mfa" selected>');
    // The one-click form of a recent identity carries the level the request asks for.
    expect(html).toContain('<input type="hidden" name="level" value="mfa"><input type="hidden" name="identity" value="alice">');
    const res = await postForm(jar, new URL(formOf(html).action, pageUrl).toString(), { csrf: formOf(html).csrf, identity: 'alice', level: 'mfa' });
    expect(res.status).toBe(303);
    expect(claimsOf(await redeem(new URL(res.headers.get('location')!), rp, verifier)).access).toMatchObject({ sub: 'alice', acr: MFA });

    const other = await fakeLoginPage(new CookieJar(), authorizeUrl(fake, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256', acr_values: 'urn:example:loa:2' }));
    expect(other.html).toContain('<option value="none" selected>');
    expect(other.html).toContain('id="acr" name="acr" autocomplete="off" value="urn:example:loa:2"');
    expect(other.html).toContain('name="acr" value="urn:example:loa:2"');
  });

  it('the chosen acr and amr survive the consent of a client that asks for it', async () => {
    const { verifier, challenge } = pkcePair();
    const url = authorizeUrl(fake, { client_id: thirdParty.clientId, redirect_uri: thirdParty.redirectUri, response_type: 'code', scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256' });
    const jar = new CookieJar();
    const consentUrl = await fakeSignIn(jar, url, { sub: 'carol', level: 'mfa' });
    const page = await browse(jar, consentUrl.toString());
    const html = await page.text();
    expect(html).toContain('decision');
    const { action, csrf } = formOf(html);
    const res = await postForm(jar, new URL(action, consentUrl).toString(), { csrf, decision: 'allow' });
    expect(res.status).toBe(303);
    const { id, access } = claimsOf(await redeem(new URL(res.headers.get('location')!), thirdParty, verifier));
    expect(id).toMatchObject({ sub: 'carol', acr: MFA, amr: ['pwd', 'otp'] });
    expect(access).toMatchObject({ acr: MFA, amr: ['pwd', 'otp'] });
  });

  it('SU-04 an acr with a quote is refused on the page (400, the field marked): no session, no identity kept', async () => {
    const { challenge } = pkcePair();
    const jar = new CookieJar();
    const url = authorizeUrl(fake, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256' });
    const { html, url: pageUrl } = await fakeLoginPage(jar, url);
    const res = await postForm(jar, new URL(formOf(html).action, pageUrl).toString(), { csrf: formOf(html).csrf, sub: 'mallory', acr: 'urn:x", error="none' });
    expect(res.status).toBe(400);
    const again = await res.text();
    expect(again).toContain('aria-invalid="true" aria-describedby="form-error acr-hint"');
    expect(again).toContain('value="urn:x&quot;, error=&quot;none"');
    expect(res.headers.get('set-cookie') ?? '').not.toContain('jwt-oidc.session');
    // Checked before the identity is kept: nobody called mallory exists.
    expect(await query(fake.databaseUrl, 'select id from users where id = $1', ['mallory'])).toEqual([]);
  });
});

describe('the page in Chromium', () => {
  let browser: Browser;
  let landing: Awaited<ReturnType<typeof landingPage>>;
  let spa: typeof rp;
  beforeAll(async () => {
    [browser, landing] = await Promise.all([launchBrowser(), landingPage('Bank')]);
    spa = await fake.createClient({ name: 'Bank SPA', redirectUris: [`${landing.origin}/cb`], audiences: [API], firstParty: true });
  });
  afterAll(async () => {
    await browser?.close();
    landing?.close();
  });

  it('is accessible with the authentication fields, with an error on one of them, and signs in as chosen', async () => {
    const { verifier, challenge } = pkcePair();
    const page = await (await browser.newContext()).newPage();
    await page.goto(authorizeUrl(fake, { client_id: spa.clientId, redirect_uri: spa.redirectUri, response_type: 'code', scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256', acr_values: MFA }));
    await expectAccessible(page, 'fake login with acr_values');
    await expect(page.getByLabel('Authentication', { exact: true }).inputValue()).resolves.toBe('mfa');
    await page.getByLabel('Subject (sub)').fill('erin');
    await page.getByLabel('Authentication methods (amr)').fill('pwd, o"tp');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').waitFor();
    await expectAccessible(page, 'fake login with an amr error');
    await expect(page.getByLabel('Authentication methods (amr)').getAttribute('aria-invalid')).resolves.toBe('true');
    await page.getByLabel('Authentication', { exact: true }).selectOption({ label: 'Password only (amr pwd)' });
    await page.getByLabel('Authentication methods (amr)').fill('');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((u) => u.origin === landing.origin);
    const { access } = claimsOf(await redeem(new URL(page.url()), spa, verifier));
    expect(access).toMatchObject({ sub: 'erin', amr: ['pwd'] });
    expect(access.acr).toBeUndefined();
  });
});

// ---- an API that demands step-up authentication ---------------------------------------------

const SDL = `${authDirectivesTypeDefs}
  type Query {
    hello: String
    me: String @authenticated
    transfer: String @requiresAcr(values: ["${MFA}"])
    "A two-step login of the last minute."
    wire: String @requiresAcr(values: ["${MFA}"], maxAge: 60)
  }
  type Subscription {
    ticks: Int!
    transfers: String! @requiresAcr(values: ["${MFA}"])
  }`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function schema(): GraphQLSchema {
  const s = buildSchema(SDL);
  const q = s.getQueryType()!.getFields();
  q.hello!.resolve = () => 'hi';
  q.me!.resolve = (_v, _a, ctx: object) => `${getAuth(ctx)!.sub} ${getAuth(ctx)!.acr ?? '-'} ${getAuth(ctx)!.amr?.join(',') ?? '-'}`;
  q.transfer!.resolve = () => 'sent';
  q.wire!.resolve = () => 'wired';
  const sub = s.getSubscriptionType()!.getFields();
  const every = (value: (i: number) => unknown) =>
    async function* () {
      for (let i = 0; ; i++) {
        yield value(i);
        await sleep(50);
      }
    };
  sub.ticks!.subscribe = every((i) => i);
  sub.ticks!.resolve = (v) => v;
  sub.transfers!.subscribe = every((i) => `transfer ${i}`);
  sub.transfers!.resolve = (v) => v;
  return s;
}

/** An Apollo Server on loopback with the plugin (and `options`); its URL. */
async function api(options: Partial<JwtOidcPluginOptions> = {}): Promise<string> {
  const server = new ApolloServer<object>({ schema: schema(), plugins: [jwtOidcPlugin({ issuer: fake.issuer, audience: API, allowInsecureRequests: true, now, ...options } as JwtOidcPluginOptions)] });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' }, context: async () => ({}) });
  closers.push(() => server.stop());
  return url;
}

/** A graphql-ws server on loopback with withSubscriptionAuth (and the plugin's `options`); its URL. */
async function wsApi(options: Partial<JwtOidcPluginOptions> = {}): Promise<string> {
  const auth = jwtOidcPlugin({ issuer: fake.issuer, audience: API, allowInsecureRequests: true, now, ...options } as JwtOidcPluginOptions);
  const http: Server = createServer();
  const wss = new WebSocketServer({ server: http, path: '/graphql' });
  const cleanup = useServer(withSubscriptionAuth({ schema: schema(), context: () => ({}) }, auth, { now }), wss);
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  closers.push(async () => (await cleanup.dispose(), await new Promise<void>((r) => http.close(() => r()))));
  return `ws://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`;
}

async function ask(url: string, query: string, token?: string) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ query }) });
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body: (await res.json()) as { data?: Record<string, unknown> | null; errors?: { message: string; extensions: Record<string, unknown> }[] } };
}

describe('@jwt-oidc/apollo demands step-up authentication', () => {
  let password: string;
  let mfa: string;
  let url: string;
  beforeAll(async () => {
    [password, mfa] = (await Promise.all([signIn({ sub: 'dave', level: 'password' }), signIn({ sub: 'dave', level: 'mfa' })])).map((t) => t.access_token) as [string, string];
    url = await api();
  });

  it('SU-01 @requiresAcr refuses a "Password only" token: 401 INSUFFICIENT_USER_AUTHENTICATION with RFC 9470 §3\'s challenge; no resolver runs', async () => {
    const refused = await ask(url, '{ hello transfer }', password);
    expect(refused.status).toBe(401);
    expect(refused.challenge).toBe(`Bearer realm="${fake.issuer}", ${CHALLENGE}`);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors).toEqual([{ message: 'a stronger authentication of the user is required', extensions: { code: 'INSUFFICIENT_USER_AUTHENTICATION', acrValues: [MFA] } }]);
  });

  it('SU-01 the same token reads the fields without the directive, and getAuth names its acr and amr', async () => {
    const fine = await ask(url, '{ hello me }', password);
    expect(fine).toMatchObject({ status: 200, challenge: null, body: { data: { hello: 'hi', me: 'dave - pwd' } } });
  });

  it('SU-01 a two-step token (acr urn:jwt-oidc:mfa) is accepted', async () => {
    expect(await ask(url, '{ transfer me }', mfa)).toMatchObject({ status: 200, body: { data: { transfer: 'sent', me: `dave ${MFA} pwd,otp` } } });
  });

  it('SU-01 without a token the directive is UNAUTHENTICATED, a plain RFC 6750 challenge', async () => {
    const anonymous = await ask(url, '{ transfer }');
    expect(anonymous.status).toBe(401);
    expect(anonymous.challenge).toBe(`Bearer realm="${fake.issuer}"`);
    expect(anonymous.body.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('SU-02 maxAge: accepted up to its last second after auth_time, refused one second later with max_age in the challenge', async () => {
    const authTime = Number(decodeJwt(mfa).auth_time);
    try {
      apiNow = (authTime + 60) * 1000;
      expect(await ask(url, '{ wire }', mfa)).toMatchObject({ status: 200, body: { data: { wire: 'wired' } } });
      apiNow = (authTime + 61) * 1000;
      const late = await ask(url, '{ wire }', mfa);
      expect(late.status).toBe(401);
      expect(late.challenge).toBe(`Bearer realm="${fake.issuer}", error="insufficient_user_authentication", error_description="a more recent authentication of the user is required", acr_values="${MFA}", max_age="60"`);
      expect(late.body.errors?.[0]?.extensions).toMatchObject({ code: 'INSUFFICIENT_USER_AUTHENTICATION', acrValues: [MFA], maxAge: 60 });
      // Other fields do not care how long ago.
      expect((await ask(url, '{ transfer }', mfa)).status).toBe(200);
    } finally {
      apiNow = undefined;
    }
  });

  it('SU-03 the plugin\'s acr option demands it of every operation; a two-step token passes', async () => {
    const strict = await api({ acr: [MFA] });
    const refused = await ask(strict, '{ hello }', password);
    expect(refused.status).toBe(401);
    expect(refused.challenge).toBe(`Bearer realm="${fake.issuer}", ${CHALLENGE}`);
    expect(refused.body.errors?.[0]?.extensions.code).toBe('INSUFFICIENT_USER_AUTHENTICATION');
    const anonymous = await ask(strict, '{ hello }');
    expect([anonymous.status, anonymous.body.errors?.[0]?.extensions.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect(await ask(strict, '{ hello }', mfa)).toMatchObject({ status: 200, body: { data: { hello: 'hi' } } });
  });

  it('SU-03 the acr option with maxAge, and a realm and resource metadata in the challenge', async () => {
    const strict = await api({ acr: { acrValues: [MFA], maxAge: 600 }, realm: 'bank', resourceMetadataUrl: 'https://bank.example/.well-known/oauth-protected-resource' });
    const refused = await ask(strict, '{ hello }', password);
    expect(refused.challenge).toBe(`Bearer realm="bank", resource_metadata="https://bank.example/.well-known/oauth-protected-resource", ${CHALLENGE}, max_age="600"`);
    expect((await ask(strict, '{ hello }', mfa)).status).toBe(200);
  });

  it('refuses an acr option that a challenge could not carry, when the plugin is made', () => {
    expect(() => jwtOidcPlugin({ issuer: fake.issuer, audience: API, acr: ['two words'] })).toThrow(TypeError);
  });

  describe('subscriptions over graphql-ws', () => {
    it('SU-05 @requiresAcr refuses the operation of a "Password only" connection (the connection stays) and runs it for a two-step one', async () => {
      const ws = await wsApi();
      const weak = connectWs(ws, { token: password });
      const ticks = weak.subscribe('subscription { ticks }');
      const transfers = weak.subscribe('subscription { transfers }');
      await until('a refusal and ticks', () => transfers.results.length >= 1 && ticks.results.length >= 2);
      expect(transfers.results).toEqual([{ errors: [{ message: 'a stronger authentication of the user is required', extensions: { code: 'INSUFFICIENT_USER_AUTHENTICATION', acrValues: [MFA] } }] }]);
      await weak.client.dispose();

      const strong = connectWs(ws, { token: mfa });
      const allowed = strong.subscribe('subscription { transfers }');
      await until('transfers', () => allowed.results.length >= 2);
      expect(allowed.results[0]).toEqual({ data: { transfers: 'transfer 0' } });
      await strong.client.dispose();
    });

    it("SU-05 the plugin's acr option refuses every operation of a \"Password only\" connection", async () => {
      const ws = await wsApi({ acr: [MFA] });
      const weak = connectWs(ws, { token: password });
      const ticks = weak.subscribe('subscription { ticks }');
      await until('a refusal', () => ticks.results.length >= 1);
      expect(ticks.results[0]?.errors?.[0]?.extensions).toEqual({ code: 'INSUFFICIENT_USER_AUTHENTICATION', acrValues: [MFA] });
      await weak.client.dispose();
      const strong = connectWs(ws, { token: mfa });
      const allowed = strong.subscribe('subscription { ticks }');
      await until('ticks', () => allowed.results.length >= 1);
      expect(allowed.results[0]).toEqual({ data: { ticks: 0 } });
      await strong.client.dispose();
    });

    it('SU-05 a renewal with a "Password only" token under a running @requiresAcr operation closes the connection with 4403', async () => {
      const ws = await wsApi();
      const s = connectWs(ws, { token: mfa });
      const transfers = s.subscribe('subscription { transfers }');
      await until('transfers', () => transfers.results.length >= 1);
      s.renew(password);
      expect((await closedWithin(s, 5000)).code).toBe(4403);
    });
  });
});

describe("@jwt-oidc/express's bearerAuth with acr", () => {
  it('SU-06 refuses a "Password only" token with 401 and the challenge, naming acr_values and max_age in the body too; serves a two-step one', async () => {
    const [password, mfa] = (await Promise.all([signIn({ sub: 'gina', level: 'password' }), signIn({ sub: 'gina', level: 'mfa' })])).map((t) => t.access_token) as [string, string];
    const app = express();
    app.get('/payees', bearerAuth({ issuer: fake.issuer, audience: API, allowInsecureRequests: true, acr: { acrValues: [MFA], maxAge: 600 } }), (req, res) => {
      res.json({ sub: req.auth!.sub, acr: req.auth!.acr, amr: req.auth!.amr });
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(() => new Promise((r) => server.close(r)));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/payees`;
    const get = (token: string) => fetch(url, { headers: { authorization: `Bearer ${token}` } });

    const refused = await get(password);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe(`Bearer realm="${fake.issuer}", ${CHALLENGE}, max_age="600"`);
    expect(await refused.json()).toEqual({ error: 'insufficient_user_authentication', error_description: 'a stronger authentication of the user is required', acr_values: MFA, max_age: 600 });
    const served = await get(mfa);
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual({ sub: 'gina', acr: MFA, amr: ['pwd', 'otp'] });
    expect(() => bearerAuth({ issuer: fake.issuer, audience: API, acr: { maxAge: -5 } })).toThrow(TypeError);
  });
});

describe('the README example "Step-up authentication" of @jwt-oidc/apollo, as printed', () => {
  const dir = fileURLToPath(new URL('../.step-up-example/', import.meta.url));
  let server: { stop(): Promise<void> } | undefined;
  let url: string;
  beforeAll(async () => {
    const readme = readFileSync(fileURLToPath(new URL('../../packages/apollo/README.md', import.meta.url)), 'utf8');
    const example = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.startsWith('// file: step-up.ts\n'));
    expect(example).toBeDefined();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'step-up.ts'), example!);
    // A free port for the example's PORT.
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    // The example reads its settings when it is imported: set for the import, then put back.
    const saved = { ...process.env };
    Object.assign(process.env, { OIDC_ISSUER: fake.issuer, API_AUDIENCE: API, NODE_ENV: 'development', PORT: String(port) });
    const log = console.log;
    console.log = () => undefined;
    try {
      ({ server } = (await import(join(dir, 'step-up.ts'))) as { server: { stop(): Promise<void> } });
    } finally {
      console.log = log;
      for (const k of ['OIDC_ISSUER', 'API_AUDIENCE', 'NODE_ENV', 'PORT']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
    url = `http://127.0.0.1:${port}/`;
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('SU-01 refuses the transfer of a "Password only" login with the challenge the README shows, and runs it after a two-step login', async () => {
    const [password, mfa] = (await Promise.all([signIn({ sub: 'frank', level: 'password' }), signIn({ sub: 'frank', level: 'mfa' })])).map((t) => t.access_token) as [string, string];
    const transfer = 'mutation { transfer(to: "bob", amount: 10) }';
    const refused = await ask(url, transfer, password);
    expect(refused.status).toBe(401);
    expect(refused.challenge).toBe(`Bearer realm="${fake.issuer}", ${CHALLENGE}`);
    // NODE_ENV=development: Apollo Server adds the stack trace.
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'INSUFFICIENT_USER_AUTHENTICATION', acrValues: [MFA] });
    expect(await ask(url, '{ balance }', password)).toMatchObject({ status: 200, body: { data: { balance: 100 } } });
    expect(await ask(url, transfer, mfa)).toMatchObject({ status: 200, body: { data: { transfer: true } } });
    expect(await ask(url, '{ payees }', mfa)).toMatchObject({ status: 200, body: { data: { payees: ['payees of frank (pwd + otp)'] } } });
    const stale = await ask(url, '{ payees }', password);
    expect(stale.challenge).toBe(`Bearer realm="${fake.issuer}", ${CHALLENGE}, max_age="600"`);
  });
});
