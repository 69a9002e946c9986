/**
 * Audit events and limits. Every security-relevant action leaves one structured record marked
 * `audit: true` (who, what, from where, outcome) and no record of the run holds a password, a
 * secret, a code or a token. Limits: the token endpoint's per-client rate limit (429 with
 * `Retry-After`), header and body sizes, and oversize bearer tokens refused before any parsing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUserTokens, clientToken, gql, login, PASSWORD, startProvider, tokenRequest, tokensFor, type TestProvider } from '../support/provider.js';

type LogRecord = Record<string, unknown>;

describe('audit events', () => {
  let p: TestProvider;
  const secrets: string[] = [PASSWORD];
  const audits = (event: string) => p.logs.filter((r) => r.audit === true && r.event === event);

  beforeAll(async () => {
    p = await startProvider({ JWT_OIDC_LOGIN_FAILURE_LIMIT: '3' }, { captureLogs: true });
  });
  afterAll(() => p?.close());

  it('logins: success with the user and address, failure without the attempted username in clear, throttling', async () => {
    const user = await p.createUser();
    const client = await p.createClient();
    const { location } = await login(p, { clientId: client.clientId, redirectUri: client.redirectUri, username: user.username });
    expect(location.searchParams.get('code')).toBeTruthy();
    expect(audits('login.success').at(-1)).toMatchObject({ outcome: 'success', actor: user.id, client: client.clientId, ip: expect.stringMatching(/127\.0\.0\.1/) });
    expect(audits('consent.granted').at(-1)).toMatchObject({ outcome: 'success', actor: user.id, client: client.clientId });

    // A password typed into the username field must not reach the log.
    const typo = 'hunter2-typed-as-username';
    secrets.push(typo);
    for (let i = 0; i < 4; i++) await login(p, { clientId: client.clientId, redirectUri: client.redirectUri, username: typo, password: 'wrong' }).catch(() => undefined);
    const failure = audits('login.failure').at(-1)!;
    expect(failure).toMatchObject({ outcome: 'failure', client: client.clientId });
    expect(failure.username).toMatch(/^[A-Za-z0-9_-]{16}$/); // a keyed digest (RC-09)
    expect(audits('login.throttled').length).toBeGreaterThan(0);
  });

  it('tokens: issuance, refresh replay, revocation', async () => {
    const user = await p.createUser();
    const client = await p.createClient({ grantTypes: ['authorization_code', 'refresh_token'] });
    secrets.push(client.clientSecret!);
    const tokens = await tokensFor(p, client, user);
    secrets.push(tokens.access_token, tokens.refresh_token!, tokens.id_token!);
    expect(audits('token.issued').at(-1)).toMatchObject({ outcome: 'success', client: client.clientId, grantType: 'authorization_code' });

    const first = await tokenRequest(p, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, client);
    expect(first.status).toBe(200);
    secrets.push(((await first.json()) as { refresh_token: string }).refresh_token);
    const replay = await tokenRequest(p, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, client);
    expect(replay.status).toBe(400);
    expect(audits('refresh.replay').at(-1)).toMatchObject({ outcome: 'refused', client: client.clientId, grant: expect.any(String) });

    const other = await tokensFor(p, client, user);
    secrets.push(other.access_token, other.refresh_token!);
    const revoke = await fetch(`${p.issuer}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ token: other.refresh_token!, token_type_hint: 'refresh_token' }),
    });
    expect(revoke.status).toBe(200);
    expect(audits('token.revoked').at(-1)).toMatchObject({ outcome: 'success', kind: 'refresh_token', client: client.clientId });
  });

  it('administration: every mutation with its caller and targets (never its input), refusals, key rotations', async () => {
    const admin = await adminUserTokens(p);
    secrets.push(admin.tokens.access_token);
    const created = await gql(p, 'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }', { input: { username: 'audited-user', password: 'an input password 123' } }, admin.tokens.access_token);
    secrets.push('an input password 123');
    const id = created.body.data.createUser.id as string;
    await gql(p, `mutation { deleteUser(id: "${id}") }`, undefined, admin.tokens.access_token);
    const mutations = audits('graphql.mutation');
    expect(mutations.at(-2)).toMatchObject({ outcome: 'success', actor: admin.user.id, client: admin.client.clientId, admin: true, fields: ['createUser'] });
    expect(mutations.at(-1)).toMatchObject({ outcome: 'success', fields: ['deleteUser'], targets: { 'deleteUser.id': id } });

    // A user token without admin rights: refused, and audited as such.
    const user = await p.createUser();
    const client = await p.createClient();
    const plain = await tokensFor(p, client, user, 'openid');
    const refused = await gql(p, `mutation { deleteUser(id: "${id}") }`, undefined, plain.access_token);
    expect(refused.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(audits('admin.forbidden').at(-1)).toMatchObject({ outcome: 'refused', actor: user.id });
    expect(audits('graphql.mutation').at(-1)).toMatchObject({ outcome: 'failure', actor: user.id, admin: false });

    await gql(p, 'mutation { rotateKeys(now: false) { family } }', undefined, admin.tokens.access_token);
    expect(audits('keys.rotated').some((r) => r.actor === admin.user.id)).toBe(true);
    // The rotation itself, applied by the key manager.
    expect(audits('keys.rotated').some((r) => r.actor === 'schedule')).toBe(true);
  });

  it('no log record of this run holds a password, secret, code or token', () => {
    const text = JSON.stringify(p.logs);
    for (const secret of secrets) expect(text.includes(secret), `a log record holds ${secret.slice(0, 12)}…`).toBe(false);
    // Every audit record says what happened and how it ended.
    for (const r of p.logs.filter((x: LogRecord) => x.audit === true)) {
      expect(typeof r.event).toBe('string');
      expect(['success', 'failure', 'refused']).toContain(r.outcome);
    }
  });
});

describe('limits', () => {
  let p: TestProvider;

  beforeAll(async () => {
    p = await startProvider({ JWT_OIDC_TOKEN_RATE_LIMIT: '5' });
  });
  afterAll(() => p?.close());

  it('token requests per client per minute: beyond TOKEN_RATE_LIMIT a 429 with Retry-After; other clients unaffected', async () => {
    const a = await p.createClient({ grantTypes: ['client_credentials'] });
    const b = await p.createClient({ grantTypes: ['client_credentials'] });
    for (let i = 0; i < 5; i++) await clientToken(p, a);
    const limited = await tokenRequest(p, { grant_type: 'client_credentials' }, a);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('cache-control')).toBe('no-store');
    expect(await clientToken(p, b)).toMatch(/^ey/);
  });

  it('headers beyond 16 kB are 431; a form body beyond 64 kB at /token and a JSON body beyond 100 kB at /graphql are 413', async () => {
    const big = await fetch(`${p.url}/healthz`, { headers: { 'x-filler': 'a'.repeat(20_000) } });
    expect(big.status).toBe(431);
    const form = await fetch(`${p.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&x=${'a'.repeat(70_000)}` });
    expect(form.status).toBe(413);
    expect(await form.json()).toMatchObject({ error: 'invalid_request' });
    const json = await fetch(`${p.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ serverInfo { version } }', variables: { x: 'a'.repeat(110_000) } }) });
    expect(json.status).toBe(413);
  });

  it('an oversize bearer token is refused before any parsing: 401 "longer than 8192 characters" at userinfo and GraphQL', async () => {
    const huge = `eyJ${'A'.repeat(9000)}.eyJ${'A'.repeat(100)}.${'A'.repeat(86)}`;
    const userinfo = await fetch(`${p.issuer}/userinfo`, { headers: { authorization: `Bearer ${huge}` } });
    expect(userinfo.status).toBe(401);
    expect(await userinfo.json()).toMatchObject({ error: 'invalid_token', error_description: expect.stringMatching(/longer than 8192 characters/) });
    const graphql = await gql(p, '{ me { sub } }', undefined, huge);
    expect(graphql.status).toBe(401);
    expect(graphql.headers.get('www-authenticate')).toMatch(/longer than 8192 characters/);
  });
});
