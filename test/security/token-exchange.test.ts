/**
 * docs/SECURITY.md section AB, OAuth token exchange (RFC 8693): rows TE-01 … TE-12, with a
 * certified client library (openid-client's genericGrantRequest) over real HTTP against a
 * provider on loopback with its own database. Another issuer is a jose key set served on
 * loopback (the provider trusts it with TOKEN_EXCHANGE_ALLOW_LOOPBACK); the expiry boundary uses
 * the injected clock.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oc from 'openid-client';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../support/database.js';
import { adminUserTokens, authorizeUrl, CookieJar, expectNothingPersisted, gql, pkcePair, startProvider, throughLoginPages, tokenRequest, type TestProvider } from '../support/provider.js';

type Client = Awaited<ReturnType<TestProvider['createClient']>>;
type User = Awaited<ReturnType<TestProvider['createUser']>>;

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';
const ID = 'urn:ietf:params:oauth:token-type:id_token';

const GATEWAY = 'https://gateway.example/api';
const ORDERS = 'https://orders.example/api';
const INVENTORY = 'https://inventory.example/api';
const BILLING = 'https://billing.example/api';
const UNREGISTERED = 'https://unregistered.example/api';
const PARTNER = 'https://idp.partner.example';
const PARTNER_AUDIENCE = 'https://exchange.jwt-oidc.test';

let p: TestProvider;
let untrusting: TestProvider;
let keysServer: Server;
let partnerKey: CryptoKey;
let partnerJwk: JWK;
let rp: Client;
let gw: Client;
let widening: Client;
let ordersSvc: Client;
let user: User;
let skew = 0;
let frozen: number | undefined;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  partnerKey = pair.privateKey;
  partnerJwk = { ...(await exportJWK(pair.publicKey)), kid: 'partner-1', alg: 'ES256', use: 'sig' };
  keysServer = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
    res.end(JSON.stringify({ keys: [partnerJwk] }));
  });
  await new Promise<void>((resolve) => keysServer.listen(0, '127.0.0.1', resolve));
  const jwksUri = `http://127.0.0.1:${(keysServer.address() as AddressInfo).port}/jwks`;
  const trust = JSON.stringify([{ issuer: PARTNER, jwksUri, audience: PARTNER_AUDIENCE, subject: { claim: 'email', field: 'email' } }]);
  p = await startProvider({ JWT_OIDC_TOKEN_EXCHANGE_TRUSTED_ISSUERS: trust, JWT_OIDC_TOKEN_EXCHANGE_ALLOW_LOOPBACK: 'true' }, { clock: { now: () => frozen ?? Date.now() + skew }, captureLogs: true });
  untrusting = await startProvider();
  for (const provider of [p, untrusting]) {
    const resources = provider.provider!.resources;
    await resources.create({ id: GATEWAY, scopes: ['orders:read', 'orders:write', 'billing:read'] });
    await resources.create({ id: ORDERS, scopes: ['orders:read', 'orders:write'] });
    await resources.create({ id: INVENTORY, scopes: ['orders:read'], accessTokenLifetime: 120 });
    await resources.create({ id: BILLING, scopes: ['billing:read'] });
  }
  rp = await p.createClient({ redirectUris: ['https://rp.example/cb'] });
  gw = await p.createClient({ grantTypes: ['client_credentials', GRANT], redirectUris: [], tokenExchange: { audiences: [ORDERS, UNREGISTERED] } });
  widening = await p.createClient({ grantTypes: [GRANT], redirectUris: [], tokenExchange: { audiences: [ORDERS], widen: true } });
  ordersSvc = await p.createClient({ grantTypes: ['client_credentials', GRANT], redirectUris: [], tokenExchange: { audiences: [INVENTORY] } });
  user = await p.createUser({ email: 'alice@example.com' });
});
afterAll(async () => {
  await p?.close();
  await untrusting?.close();
  keysServer?.close();
});

/** The user's token for the gateway, through the real login pages (the subject token of most rows). */
async function gatewayToken(scope = 'orders:read billing:read'): Promise<string> {
  const { verifier, challenge } = pkcePair();
  const url = new URL(authorizeUrl(p, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope, state: 's', code_challenge: challenge, code_challenge_method: 'S256', resource: GATEWAY }));
  const location = await throughLoginPages(new CookieJar(), url.toString(), { username: user.username, password: user.password, consent: 'allow' });
  const res = await tokenRequest(p, { grant_type: 'authorization_code', code: location.searchParams.get('code')!, redirect_uri: rp.redirectUri, code_verifier: verifier }, rp);
  const body = (await res.json()) as { access_token: string };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.access_token;
}

async function configOf(c: Client, provider: TestProvider = p): Promise<oc.Configuration> {
  return oc.discovery(new URL(provider.issuer), c.clientId, {}, oc.ClientSecretBasic(c.clientSecret!), { execute: [oc.allowInsecureRequests] });
}

/** A token exchange by `c` with openid-client: the response, or the error's code. */
async function exchange(c: Client, parameters: Record<string, string>, provider: TestProvider = p): Promise<{ ok: true; body: oc.TokenEndpointResponse } | { ok: false; error: string; description?: string }> {
  try {
    return { ok: true, body: await oc.genericGrantRequest(await configOf(c, provider), GRANT, parameters) };
  } catch (e) {
    if (e instanceof oc.ResponseBodyError) return { ok: false, error: e.error, description: e.error_description };
    throw e;
  }
}

/** A client's own client_credentials token: an actor token. */
async function ownToken(c: Client): Promise<string> {
  return (await oc.clientCredentialsGrant(await configOf(c))).access_token;
}

/** An RFC 9068 access token of the partner issuer, signed with its key. */
function partnerToken(claims: Record<string, unknown> = {}, iss = PARTNER): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  // Claims given override the defaults (the audience too).
  return new SignJWT({ iss, sub: 'partner-user-42', aud: PARTNER_AUDIENCE, iat: now, exp: now + 300, jti: crypto.randomUUID(), client_id: 'partner-app', scope: 'orders:read', email: 'alice@example.com', ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'partner-1' })
    .sign(partnerKey);
}

describe('AB. token exchange', () => {
  it('TE-01: discovery lists the grant, and an allowed exchange gets the audience\'s token (RFC 8693 §2.2.1 response)', async () => {
    const meta = (await (await fetch(`${p.issuer}/.well-known/openid-configuration`)).json()) as { grant_types_supported: string[] };
    expect(meta.grant_types_supported).toContain(GRANT);
    const subject = await gatewayToken();
    const r = await exchange(gw, { subject_token: subject, subject_token_type: AT, audience: ORDERS });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (!r.ok) return;
    expect(r.body).toMatchObject({ issued_token_type: AT, token_type: 'bearer', scope: 'orders:read' });
    expect(r.body.expires_in).toBeGreaterThan(0);
    const claims = decodeJwt(r.body.access_token);
    expect(claims).toMatchObject({ iss: p.issuer, sub: user.id, aud: ORDERS, client_id: gw.clientId, scope: 'orders:read' });
    // For ORDERS only: not a token of the provider's own resources (userinfo, GraphQL).
    expect((await fetch(`${p.issuer}/userinfo`, { headers: { authorization: `Bearer ${r.body.access_token}` } })).status).toBe(401);
    // The jwt token type names the same token, and `resource` (RFC 8707) the same audience.
    const viaResource = await exchange(gw, { subject_token: subject, subject_token_type: JWT, resource: ORDERS });
    expect(viaResource.ok && decodeJwt(viaResource.body.access_token).aud).toBe(ORDERS);
    expect(p.logs.some((l) => l.event === 'token.exchanged' && l.client === gw.clientId && l.user === user.id && l.audience === ORDERS)).toBe(true);
  });

  it('TE-02: a scope wider than the subject token\'s is invalid_scope, ∅DB; a client whose policy says widen may get it', async () => {
    const subject = await gatewayToken('orders:read');
    const wider = await expectNothingPersisted(p, () => exchange(gw, { subject_token: subject, subject_token_type: AT, audience: ORDERS, scope: 'orders:read orders:write' }));
    expect(wider).toMatchObject({ ok: false, error: 'invalid_scope' });
    // A scope the audience does not list is refused even with widen.
    expect(await exchange(widening, { subject_token: subject, subject_token_type: AT, audience: ORDERS, scope: 'billing:read' })).toMatchObject({ ok: false, error: 'invalid_scope' });
    const widened = await exchange(widening, { subject_token: subject, subject_token_type: AT, audience: ORDERS, scope: 'orders:read orders:write' });
    expect(widened.ok && decodeJwt(widened.body.access_token).scope).toBe('orders:read orders:write');
    // Narrowing is always allowed; without scope, the subject's scopes the audience lists.
    const billingAndOrders = await gatewayToken('orders:read orders:write billing:read');
    const plain = await exchange(gw, { subject_token: billingAndOrders, subject_token_type: AT, audience: ORDERS });
    expect(plain.ok && String(decodeJwt(plain.body.access_token).scope).split(' ').sort()).toEqual(['orders:read', 'orders:write']);
  });

  it('TE-03: an audience the policy does not name, an unregistered one, two at once, or none for a policy of several: invalid_target, ∅DB', async () => {
    const subject = await gatewayToken();
    for (const audience of [BILLING, 'https://nowhere.example/api', UNREGISTERED, GATEWAY]) {
      const r = await expectNothingPersisted(p, () => exchange(gw, { subject_token: subject, subject_token_type: AT, audience }));
      expect(r, audience).toMatchObject({ ok: false, error: 'invalid_target' });
    }
    expect(await exchange(gw, { subject_token: subject, subject_token_type: AT })).toMatchObject({ ok: false, error: 'invalid_target' });
    expect(await exchange(gw, { subject_token: subject, subject_token_type: AT, audience: ORDERS, resource: INVENTORY })).toMatchObject({ ok: false, error: 'invalid_target' });
    // A client without a policy exchanges for nothing.
    const nopolicy = await p.createClient({ grantTypes: [GRANT], redirectUris: [] });
    expect(await exchange(nopolicy, { subject_token: subject, subject_token_type: AT, audience: ORDERS })).toMatchObject({ ok: false, error: 'invalid_target' });
  });

  it('TE-04: a revoked subject token, or a user the client denies, is invalid_grant; revoking the grant ends the exchanged token too', async () => {
    const subject = await gatewayToken();
    const before = await exchange(gw, { subject_token: subject, subject_token_type: AT, audience: ORDERS });
    expect(before.ok).toBe(true);
    const revoke = await fetch(`${p.issuer}/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${rp.clientId}:${rp.clientSecret}`).toString('base64')}` }, body: new URLSearchParams({ token: subject }) });
    expect(revoke.status).toBe(200);
    expect(await exchange(gw, { subject_token: subject, subject_token_type: AT, audience: ORDERS })).toMatchObject({ ok: false, error: 'invalid_grant' });
    // The exchanged token hangs on the user's grant: its revocation (all of the user's) ends it.
    const exchanged = before.ok ? before.body.access_token : '';
    const grantId = decodeJwt(exchanged).grant_id as string;
    expect(grantId).toBeTruthy();
    await p.provider!.grants.revoke(grantId);
    expect(await exchange(ordersSvc, { subject_token: exchanged, subject_token_type: AT, audience: INVENTORY })).toMatchObject({ ok: false, error: 'invalid_grant' });
    // A user the exchanging client's deny-list names: invalid_grant, as at its sign-in.
    const denying = await p.createClient({ grantTypes: [GRANT], redirectUris: [], tokenExchange: { audiences: [ORDERS] }, userRestrictions: [{ field: 'email', equals: 'alice@example.com' }] });
    expect(await exchange(denying, { subject_token: await gatewayToken(), subject_token_type: AT, audience: ORDERS })).toMatchObject({ ok: false, error: 'invalid_grant' });
    // Garbage, and a token of the wrong kind for its type, are invalid_grant too; an unknown type invalid_request.
    expect(await exchange(gw, { subject_token: 'not-a-jwt', subject_token_type: AT, audience: ORDERS })).toMatchObject({ ok: false, error: 'invalid_grant' });
    expect(await exchange(gw, { subject_token: await gatewayToken(), subject_token_type: 'urn:ietf:params:oauth:token-type:saml2', audience: ORDERS })).toMatchObject({ ok: false, error: 'invalid_request' });
    expect(await exchange(gw, { subject_token_type: AT, audience: ORDERS })).toMatchObject({ ok: false, error: 'invalid_request' });
  });

  it('TE-05: impersonation has the subject\'s sub and no act; delegation names the actor in act, nested on a second exchange', async () => {
    const subject = await gatewayToken();
    const impersonated = await exchange(gw, { subject_token: subject, subject_token_type: AT, audience: ORDERS });
    expect(impersonated.ok).toBe(true);
    if (!impersonated.ok) return;
    const imp = decodeJwt(impersonated.body.access_token);
    expect(imp.sub).toBe(user.id);
    expect(imp.act).toBeUndefined();

    const delegated = await exchange(gw, { subject_token: subject, subject_token_type: AT, audience: ORDERS, actor_token: await ownToken(gw), actor_token_type: AT });
    expect(delegated.ok, JSON.stringify(delegated)).toBe(true);
    if (!delegated.ok) return;
    const first = decodeJwt(delegated.body.access_token);
    expect(first).toMatchObject({ sub: user.id, aud: ORDERS, client_id: gw.clientId, act: { sub: gw.clientId } });

    // The orders service, holding the delegated token for ORDERS, exchanges it on for INVENTORY as itself.
    const nested = await exchange(ordersSvc, { subject_token: delegated.body.access_token, subject_token_type: AT, audience: INVENTORY, actor_token: await ownToken(ordersSvc), actor_token_type: AT });
    expect(nested.ok, JSON.stringify(nested)).toBe(true);
    if (!nested.ok) return;
    const second = decodeJwt(nested.body.access_token);
    expect(second).toMatchObject({ sub: user.id, aud: INVENTORY, act: { sub: ordersSvc.clientId, act: { sub: gw.clientId } } });
    // INVENTORY's own lifetime, and never beyond the subject token's.
    expect(nested.body.expires_in).toBeLessThanOrEqual(120);
    // An actor token without its type, or a type without the token: invalid_request.
    expect(await exchange(gw, { subject_token: subject, subject_token_type: AT, audience: ORDERS, actor_token: await ownToken(gw) })).toMatchObject({ ok: false, error: 'invalid_request' });
  });

  it('TE-06: may_act must name the actor: another actor, or none, is invalid_grant; the named one is accepted', async () => {
    const mayActOther = await partnerToken({ may_act: { sub: 'someone-else' } });
    expect(await exchange(gw, { subject_token: mayActOther, subject_token_type: JWT, audience: ORDERS, actor_token: await ownToken(gw), actor_token_type: AT })).toMatchObject({ ok: false, error: 'invalid_grant' });
    const mayActGw = await partnerToken({ may_act: { sub: gw.clientId, iss: p.issuer } });
    expect(await exchange(gw, { subject_token: mayActGw, subject_token_type: JWT, audience: ORDERS })).toMatchObject({ ok: false, error: 'invalid_grant' });
    expect(await exchange(gw, { subject_token: mayActGw, subject_token_type: JWT, audience: ORDERS, actor_token: await ownToken(ordersSvc), actor_token_type: AT })).toMatchObject({ ok: false, error: 'invalid_grant' });
    const ok = await exchange(gw, { subject_token: mayActGw, subject_token_type: JWT, audience: ORDERS, actor_token: await ownToken(gw), actor_token_type: AT });
    expect(ok.ok, JSON.stringify(ok)).toBe(true);
    expect(ok.ok && decodeJwt(ok.body.access_token)).toMatchObject({ sub: user.id, act: { sub: gw.clientId } });
  });

  it('TE-07: another issuer\'s token with the trust configured maps to the local user by its claim; without the trust it is invalid_grant', async () => {
    const foreign = await partnerToken();
    const r = await exchange(gw, { subject_token: foreign, subject_token_type: AT, audience: ORDERS });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(r.ok && decodeJwt(r.body.access_token)).toMatchObject({ iss: p.issuer, sub: user.id, aud: ORDERS, scope: 'orders:read' });
    expect(r.ok && decodeJwt(r.body.access_token).grant_id).toBeUndefined();
    // A provider without the trust refuses the very same token.
    const gwThere = await untrusting.createClient({ grantTypes: [GRANT], redirectUris: [], tokenExchange: { audiences: [ORDERS] } });
    await untrusting.createUser({ email: 'alice@example.com' });
    expect(await exchange(gwThere, { subject_token: foreign, subject_token_type: AT, audience: ORDERS }, untrusting)).toMatchObject({ ok: false, error: 'invalid_grant' });
    // An issuer not in the list, another audience, a claim naming nobody, another key: invalid_grant.
    expect(await exchange(gw, { subject_token: await partnerToken({}, 'https://other-idp.example'), subject_token_type: AT, audience: ORDERS })).toMatchObject({ ok: false, error: 'invalid_grant' });
    expect(await exchange(gw, { subject_token: await partnerToken({ aud: 'https://elsewhere.example' }), subject_token_type: AT, audience: ORDERS })).toMatchObject({ ok: false, error: 'invalid_grant' });
    expect(await exchange(gw, { subject_token: await partnerToken({ email: 'nobody@example.com' }), subject_token_type: AT, audience: ORDERS })).toMatchObject({ ok: false, error: 'invalid_grant' });
    // The exchanged token has no grant: its user is checked wherever it is verified — exchanged on, or introspected.
    const bob = await p.createUser({ email: 'bob@example.com' });
    const forBob = await exchange(gw, { subject_token: await partnerToken({ email: 'BOB@example.com' }), subject_token_type: AT, audience: ORDERS });
    expect(forBob.ok && decodeJwt(forBob.body.access_token).sub).toBe(bob.id);
    const bobs = forBob.ok ? forBob.body.access_token : '';
    expect(await exchange(ordersSvc, { subject_token: bobs, subject_token_type: AT, audience: INVENTORY })).toMatchObject({ ok: true });
    const introspect = () => fetch(`${p.issuer}/introspect`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${gw.clientId}:${gw.clientSecret}`).toString('base64')}` }, body: new URLSearchParams({ token: bobs }) }).then((r) => r.json());
    expect(await introspect()).toMatchObject({ active: true, sub: bob.id, aud: ORDERS });
    await query(p.databaseUrl, 'update users set active = false where id = $1', [bob.id]);
    expect(await exchange(ordersSvc, { subject_token: bobs, subject_token_type: AT, audience: INVENTORY })).toMatchObject({ ok: false, error: 'invalid_grant' });
    expect(await introspect()).toEqual({ active: false });
    const stranger = await generateKeyPair('ES256');
    const forged = await new SignJWT({ ...decodeJwt(foreign) }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'partner-1' }).sign(stranger.privateKey);
    expect(await exchange(gw, { subject_token: forged, subject_token_type: AT, audience: ORDERS })).toMatchObject({ ok: false, error: 'invalid_grant' });
  });

  it('TE-08: a subject token at its expiry boundary (injected clock): accepted within the 5 s skew, never outlived; invalid_grant from then on', async () => {
    const subject = await gatewayToken();
    const { exp } = decodeJwt(subject) as { exp: number };
    try {
      frozen = (exp + 5) * 1000 - 1;
      const last = await exchange(gw, { subject_token: subject, subject_token_type: AT, audience: ORDERS });
      expect(last.ok, JSON.stringify(last)).toBe(true);
      expect(last.ok && last.body.expires_in).toBe(1);
      frozen = (exp + 5) * 1000;
      expect(await exchange(gw, { subject_token: subject, subject_token_type: AT, audience: ORDERS })).toMatchObject({ ok: false, error: 'invalid_grant' });
    } finally {
      frozen = undefined;
    }
    // Before its end, the new token lives no longer than the subject token has left.
    frozen = (exp - 30) * 1000;
    try {
      const early = await exchange(gw, { subject_token: subject, subject_token_type: AT, audience: ORDERS });
      expect(early.ok && early.body.expires_in).toBe(30);
    } finally {
      frozen = undefined;
    }
  });

  it('TE-09: a public client cannot be given the grant, and one without it is unauthorized_client', async () => {
    await expect(p.createClient({ public: true, grantTypes: ['authorization_code', GRANT], redirectUris: ['https://spa.example/cb'] })).rejects.toThrow(/public client cannot use token exchange/);
    const spa = await p.createClient({ public: true, redirectUris: ['https://spa.example/cb'] });
    const res = await fetch(`${p.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: GRANT, client_id: spa.clientId, subject_token: await gatewayToken(), subject_token_type: AT, audience: ORDERS }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'unauthorized_client' });
  });

  it('TE-10: requested_token_type id_token gives an ID token for the client itself (token_type N_A), of the subject user', async () => {
    const res = await tokenRequest(p, { grant_type: GRANT, subject_token: await gatewayToken(), subject_token_type: AT, requested_token_type: ID }, gw);
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ issued_token_type: ID, token_type: 'N_A' });
    expect(decodeJwt(body.access_token as string)).toMatchObject({ iss: p.issuer, sub: user.id, aud: gw.clientId });
    const other = await tokenRequest(p, { grant_type: GRANT, subject_token: await gatewayToken(), subject_token_type: AT, requested_token_type: ID, audience: ORDERS }, gw);
    expect(await other.json()).toMatchObject({ error: 'invalid_target' });
  });

  it('TE-03: the policy over GraphQL: set on createClient, replaced by updateClient, removed with null — and the exchange follows at once', async () => {
    const { tokens } = await adminUserTokens(p);
    const CREATE = `mutation { createClient(input: { name: "Exchanger", redirectUris: [], grantTypes: ["client_credentials", "${GRANT}"], tokenExchange: { audiences: ["${INVENTORY}"], scopes: ["orders:read"] } }) { client { id tokenExchange { audiences scopes widen } } clientSecret } }`;
    const created = await gql(p, CREATE, undefined, tokens.access_token);
    const made = created.body.data?.createClient as { client: { id: string; tokenExchange: unknown }; clientSecret: string } | undefined;
    expect(made?.client.tokenExchange, created.text).toEqual({ audiences: [INVENTORY], scopes: ['orders:read'], widen: null });
    const c = { clientId: made!.client.id, clientSecret: made!.clientSecret, redirectUri: '' };
    const subject = await gatewayToken();
    expect(await exchange(c, { subject_token: subject, subject_token_type: AT, audience: INVENTORY })).toMatchObject({ ok: true });

    const UPDATE = 'mutation($id: ID!, $policy: TokenExchangePolicyInput) { updateClient(id: $id, input: { tokenExchange: $policy }) { tokenExchange { audiences scopes widen } } }';
    const replaced = await gql(p, UPDATE, { id: c.clientId, policy: { audiences: [ORDERS], widen: true } }, tokens.access_token);
    expect(replaced.body.data?.updateClient.tokenExchange, replaced.text).toEqual({ audiences: [ORDERS], scopes: null, widen: true });
    expect(await exchange(c, { subject_token: subject, subject_token_type: AT, audience: INVENTORY })).toMatchObject({ ok: false, error: 'invalid_target' });
    expect(await exchange(c, { subject_token: subject, subject_token_type: AT, audience: ORDERS, scope: 'orders:write' })).toMatchObject({ ok: true });

    const bad = await gql(p, UPDATE, { id: c.clientId, policy: { audiences: ['relative/path'] } }, tokens.access_token);
    expect(bad.body.errors?.[0]?.extensions?.code, bad.text).toBeTruthy();
    const removed = await gql(p, UPDATE, { id: c.clientId, policy: null }, tokens.access_token);
    expect(removed.body.data?.updateClient.tokenExchange, removed.text).toBeNull();
    expect(await exchange(c, { subject_token: subject, subject_token_type: AT, audience: ORDERS })).toMatchObject({ ok: false, error: 'invalid_target' });
  });

  it('TE-11: a DPoP-bound subject token is exchanged only with a proof of its key, and the new token is bound to it', async () => {
    const config = await configOf(gw);
    const keyPair = await oc.randomDPoPKeyPair('ES256');
    const bound = (await oc.clientCredentialsGrant(config, undefined, { DPoP: oc.getDPoPHandle(config, keyPair) })).access_token;
    const jkt = (decodeJwt(bound).cnf as { jkt: string }).jkt;
    expect(jkt).toBeTruthy();
    const parameters = { subject_token: bound, subject_token_type: AT, audience: ORDERS };
    // Without a proof, or with a proof of another key: invalid_grant.
    expect(await exchange(gw, parameters)).toMatchObject({ ok: false, error: 'invalid_grant' });
    const other = oc.getDPoPHandle(config, await oc.randomDPoPKeyPair('ES256'));
    const withOther = await oc.genericGrantRequest(config, GRANT, parameters, { DPoP: other }).then(() => 'ok', (e: unknown) => (e as oc.ResponseBodyError).error);
    expect(withOther).toBe('invalid_grant');
    const ok = await oc.genericGrantRequest(config, GRANT, parameters, { DPoP: oc.getDPoPHandle(config, keyPair) });
    expect(ok.token_type).toBe('dpop');
    expect(decodeJwt(ok.access_token)).toMatchObject({ aud: ORDERS, cnf: { jkt } });
  });
});
