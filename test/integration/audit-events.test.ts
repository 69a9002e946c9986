/**
 * The service's own subscriptions at /graphql over WebSocket (src/graphql/subscription-server.ts):
 * `auditEvents` for administrators, fed by the audit events of every instance through PostgreSQL
 * LISTEN/NOTIFY (src/audit-stream.ts). Two instances on one database; graphql-ws's own client
 * over real sockets; the connection's token at its `exp` (instance A's injected clock) and after
 * its grant was revoked (a one-second recheck).
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUserTokens, clientToken, gql, login, startPair, tokensFor, type TestProvider } from '../support/provider.js';
import { closedWithin, connectWs, until } from '../support/graphql-ws.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ENV = { JWT_OIDC_GRAPHQL_SUBSCRIPTION_RECHECK: '1' };

/** Milliseconds added to the real clock of instance A. */
let skewA = 0;
let a: TestProvider;
let b: TestProvider;
let automation: { clientId: string; clientSecret?: string };
let adminToken: string;

beforeAll(async () => {
  [a, b] = await startPair(ENV, { clock: { now: () => Date.now() + skewA } });
  automation = await a.createClient({ name: 'Automation', grantTypes: ['client_credentials'], admin: true });
  adminToken = await clientToken(a, automation, 'admin');
}, 120_000);

afterAll(async () => {
  await b?.close();
  await a?.close();
});

/** graphql-ws's client at instance `on`; `header`: the upgrade request's Authorization header. */
const connect = (on: TestProvider, options: { token?: string; header?: string; headers?: Record<string, string> } = {}) =>
  connectWs(`${on.url.replace(/^http/, 'ws')}/graphql`, { token: options.token, headers: { ...(options.header ? { authorization: options.header } : {}), ...options.headers } });

/** A token request with a wrong secret at instance `on`: a `token.refused` event there. */
const wrongSecret = (on: TestProvider) =>
  fetch(`${on.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${automation.clientId}:wrong-secret-value`).toString('base64')}` }, body: 'grant_type=client_credentials&scope=admin' });

const EVENT_FIELDS = 'id time event outcome actor client ip message instance details';

describe('auditEvents', () => {
  it("streams the events of the other instance to an administrator connected to this one, only the types asked for, never a secret", async () => {
    const s = connect(a, { token: adminToken });
    const refused = s.subscribe(`subscription { auditEvents(types: ["token.refused"]) { ${EVENT_FIELDS} } }`);
    await until('a token.refused event from instance B', () => refused.results.length > 0, () => wrongSecret(b));
    // Something else happens meanwhile, on both instances: not asked for, not streamed.
    await clientToken(b, automation, 'admin');
    await clientToken(a, automation, 'admin');
    const [first] = refused.results;
    expect(first!.errors).toBeUndefined();
    const event = first!.data.auditEvents;
    expect(event).toMatchObject({ event: 'token.refused', outcome: 'refused', actor: null, client: null, message: 'token request refused', details: { error: 'invalid_client', grantType: 'client_credentials' } });
    expect(event.ip).toMatch(/127\.0\.0\.1/);
    expect(Date.parse(event.time)).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.stringify(refused.results)).not.toContain('wrong-secret-value');
    // The instance that recorded it is B, not the one the operator is connected to.
    const mine = connect(a, { token: adminToken }).subscribe(`subscription { auditEvents(types: ["token.issued"]) { instance } }`);
    await until('a token.issued event of instance A', () => mine.results.length > 0, () => clientToken(a, automation, 'admin'));
    expect(event.instance).not.toBe(mine.results[0]!.data.auditEvents.instance);
    await sleep(300);
    expect(refused.results.every((r) => r.data.auditEvents.event === 'token.refused')).toBe(true);
    await s.client.dispose();
  });

  it('with the token in the upgrade request\'s Authorization header; all types when none are named', async () => {
    const s = connect(b, { header: `Bearer ${adminToken}` });
    const all = s.subscribe('subscription { auditEvents { event client } }');
    await until('token.issued', () => all.results.some((r) => r.data?.auditEvents.event === 'token.issued'), () => clientToken(a, automation, 'admin'));
    expect(all.results.find((r) => r.data?.auditEvents.event === 'token.issued')!.data.auditEvents.client).toBe(automation.clientId);
    await s.client.dispose();
  });

  it('unknown or no types are BAD_USER_INPUT naming the known ones', async () => {
    const s = connect(a, { token: adminToken });
    const unknown = s.subscribe('subscription { auditEvents(types: ["login.success", "nope"]) { id } }');
    const empty = s.subscribe('subscription { auditEvents(types: []) { id } }');
    await Promise.all([unknown.done, empty.done]);
    expect(unknown.results[0]!.errors![0]).toMatchObject({ message: expect.stringMatching(/^unknown audit event types: nope; known: login\.success, /), extensions: { code: 'BAD_USER_INPUT', field: 'types' } });
    expect(empty.results[0]!.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'types' });
    await s.client.dispose();
  });

  it('BR-07 a token without admin rights is FORBIDDEN; no token, or a bad one, is 4401 before anything runs', async () => {
    const plain = await a.createClient({ name: 'Plain job', grantTypes: ['client_credentials'] });
    const s = connect(a, { token: await clientToken(a, plain) });
    const forbidden = s.subscribe('subscription { auditEvents { id } }');
    await forbidden.done;
    expect(forbidden.results[0]!.errors![0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    await s.client.dispose();

    for (const [what, options] of [
      ['no token', {}],
      ['a bad token', { token: `${adminToken.slice(0, -4)}AAAA` }],
    ] as const) {
      const none = connect(a, options);
      const sub = none.subscribe('subscription { auditEvents { id } }');
      expect((await closedWithin(none, 5000)).code, what).toBe(4401);
      expect(sub.results, what).toEqual([]);
    }
  });

  it('queries and mutations are refused over WebSocket (they go over HTTP), as are queries over the limits and syntax errors', async () => {
    const s = connect(a, { token: adminToken });
    const query = s.subscribe('{ serverInfo { mode } }');
    const deep = s.subscribe(`subscription { auditEvents { ${'details '.repeat(1)} ${Array.from({ length: 16 }, (_, i) => `a${i}: id`).join(' ')} } }`);
    const broken = s.subscribe('subscription { auditEvents { id }');
    await Promise.all([query.done, deep.done, broken.done]);
    expect(query.results[0]!.errors![0]).toMatchObject({ message: 'send query operations with HTTP POST to /graphql; over WebSocket only subscriptions', extensions: { code: 'BAD_USER_INPUT' } });
    expect(deep.results[0]!.errors![0]).toMatchObject({ message: expect.stringMatching(/aliases, more than the limit of 15/), extensions: { code: 'BAD_USER_INPUT' } });
    expect(broken.results[0]!.errors![0]).toMatchObject({ extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
    // The connection is still good.
    const ok = s.subscribe('subscription { auditEvents(types: ["token.issued"]) { event } }');
    await until('an event', () => ok.results.length > 0, () => clientToken(a, automation, 'admin'));
    await s.client.dispose();
  });

  it('over HTTP POST, a subscription is a client error, never a 500 (also with @include(if: $var) on its root field, which graphql-js 16 throws on)', async () => {
    const r = await gql(a, 'subscription { auditEvents { id } }', undefined, adminToken);
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ message: 'subscriptions go over WebSocket (graphql-transport-ws) at /graphql, not HTTP', locations: [{ line: 1, column: 1 }], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }]);
    for (const variables of [undefined, { flag: true }]) {
      const withVariable = await gql(a, 'subscription($flag: Boolean!) { auditEvents @include(if: $flag) { id } }', variables, adminToken);
      expect(withVariable.status, withVariable.text).toBe(400);
      expect(withVariable.body.errors[0].message).toBe('subscriptions go over WebSocket (graphql-transport-ws) at /graphql, not HTTP');
    }
  });

  it('over WebSocket, @include(if: $var) on the root field is BAD_USER_INPUT, and the connection stays', async () => {
    const s = connect(a, { token: adminToken });
    const refused = s.subscribe('subscription($flag: Boolean!) { auditEvents @include(if: $flag) { id } }');
    await refused.done;
    expect(refused.results[0]!.errors![0]).toMatchObject({ message: expect.stringContaining('directives with variables are not supported'), extensions: { code: 'BAD_USER_INPUT' } });
    const ok = s.subscribe('subscription { auditEvents(types: ["token.issued"]) { event } }');
    await until('an event', () => ok.results.length > 0, () => clientToken(a, automation, 'admin'));
    await s.client.dispose();
  });
});

describe('a connection never outlives its token', () => {
  it("BR-08 is closed with 4401 at the token's exp", async () => {
    const token = await clientToken(a, automation, 'admin');
    skewA = decodeJwt(token).exp! * 1000 - Date.now() - 1500;
    try {
      const s = connect(a, { token });
      s.subscribe('subscription { auditEvents { id } }');
      await expect(closedWithin(s, 800)).rejects.toThrow(/still open/);
      expect(await closedWithin(s, 3000)).toEqual({ code: 4401, reason: 'the access token has expired' });
    } finally {
      skewA = 0;
    }
  });

  it("BR-08 is closed with 4401 at the next check once its grant was revoked on the other instance; the revocation is itself streamed", async () => {
    const { tokens } = await adminUserTokens(a);
    const grantId = decodeJwt(tokens.access_token).grant_id as string;
    const operator = connect(a, { token: tokens.access_token });
    operator.subscribe('subscription { auditEvents(types: ["grant.revoked"]) { event details } }');
    const other = connect(a, { token: adminToken }).subscribe('subscription { auditEvents(types: ["grant.revoked"]) { event details } }');
    await sleep(500);
    const revoked = await gql(b, `mutation { revokeGrant(id: "${grantId}") { active } }`, undefined, adminToken);
    expect(revoked.body.data).toEqual({ revokeGrant: { active: false } });
    expect(await closedWithin(operator, 4000)).toEqual({ code: 4401, reason: 'the access token was revoked' });
    await until('the grant.revoked event', () => other.results.length > 0);
    expect(other.results[0]!.data.auditEvents).toEqual({ event: 'grant.revoked', details: { grant: grantId } });
  });

  it('BR-09 a renewal with a token of the same user that lacks the admin rights closes the stream with 4403; one that keeps them carries it on', async () => {
    const { user, client, tokens } = await adminUserTokens(a);
    const s = connect(a, { token: tokens.access_token });
    const stream = s.subscribe('subscription { auditEvents(types: ["token.issued"]) { event } }');
    await until('an event', () => stream.results.length > 0, () => clientToken(a, automation, 'admin'));
    s.renew((await tokensFor(a, client, user, 'openid profile admin')).access_token);
    await expect(closedWithin(s, 1500)).rejects.toThrow(/still open/);
    s.renew((await tokensFor(a, client, user, 'openid profile')).access_token);
    expect(await closedWithin(s, 3000)).toEqual({ code: 4403, reason: 'the renewed token is for someone else' });
  });
});

describe('cross-site WebSocket hijacking', () => {
  it("BR-10 a page of another origin with the victim's session cookies gets nothing: cookies are never read, 4401", async () => {
    const { user, client } = await adminUserTokens(a);
    const { jar } = await login(a, { clientId: client.clientId, redirectUri: client.redirectUri, username: user.username, password: user.password, scope: 'openid admin' });
    expect(jar.header()).not.toBe('');
    const s = connect(a, { headers: { cookie: jar.header(), origin: 'https://evil.example' } });
    const sub = s.subscribe('subscription { auditEvents { id } }');
    expect((await closedWithin(s, 5000)).code).toBe(4401);
    expect(sub.results).toEqual([]);
  });
});
