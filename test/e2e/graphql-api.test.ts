/** The GraphQL API over real HTTP: `me`, and administration of clients, users, grants, sessions and keys. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { adminUserTokens, clientToken, gql, login, startProvider, tokenRequest, tokensFor, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let admin: string; // an admin client's client_credentials token
beforeAll(async () => {
  provider = await startProvider();
  const automation = await provider.createClient({ name: 'Automation', admin: true, grantTypes: ['client_credentials'] });
  admin = await clientToken(provider, automation, 'admin');
});
afterAll(() => provider?.close());

const CLIENT_FIELDS = 'id name public redirectUris grantTypes firstParty admin tokenEndpointAuthMethod';

describe('administration end to end', () => {
  it('an admin client creates a client; that client logs a user in; revokeGrant ends its refresh and access tokens', async () => {
    const created = await gql(provider, `mutation($input: CreateClientInput!) { createClient(input: $input) { clientSecret client { ${CLIENT_FIELDS} } } }`, { input: { name: 'Made over GraphQL', redirectUris: ['https://made.example/cb'] } }, admin);
    expect(created.body.errors).toBeUndefined();
    const { client, clientSecret } = created.body.data.createClient;
    expect(client).toMatchObject({ name: 'Made over GraphQL', public: false, redirectUris: ['https://made.example/cb'], grantTypes: ['authorization_code', 'refresh_token'], tokenEndpointAuthMethod: 'client_secret_basic' });
    expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const user = await provider.createUser();
    const rp = { clientId: client.id as string, clientSecret: clientSecret as string, redirectUri: 'https://made.example/cb' };
    const tokens = await tokensFor(provider, rp, user);
    expect((await gql(provider, '{ me { sub } }', undefined, tokens.access_token)).body.data.me.sub).toBe(user.id);

    const grants = await gql(provider, 'query($u: ID!, $c: ID!) { grants(userId: $u, clientId: $c) { id active scopes clientId userId } }', { u: user.id, c: rp.clientId }, admin);
    expect(grants.body.data.grants).toHaveLength(1);
    const grant = grants.body.data.grants[0];
    expect(grant).toMatchObject({ active: true, clientId: rp.clientId, userId: user.id });
    expect(grant.scopes).toContain('openid');

    const revoked = await gql(provider, 'mutation($id: ID!) { revokeGrant(id: $id) { id active revokedAt } }', { id: grant.id }, admin);
    expect(revoked.body.data.revokeGrant).toMatchObject({ id: grant.id, active: false });
    expect(revoked.body.data.revokeGrant.revokedAt).toBeTruthy();

    const refresh = await tokenRequest(provider, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, rp);
    expect(refresh.status).toBe(400);
    expect((await refresh.json()).error).toBe('invalid_grant');
    expect((await fetch(`${provider.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
    const me = await gql(provider, '{ me { sub } }', undefined, tokens.access_token);
    expect(me.status).toBe(401);
    expect(me.headers.get('www-authenticate')).toMatch(/^Bearer realm=".*", error="invalid_token"/);
  });

  it('keyRotationStatus and rotateKeys agree with the CLI', async () => {
    const env = { DATABASE_URL: provider.databaseUrl, JWT_OIDC_KEY_ENCRYPTION_SECRET: 't'.repeat(40) };
    const fields = 'family alg activeKid nextRotationAt keys { kid alg state createdAt activatesAt retiresAt deletesAt }';
    const normalize = (families: Record<string, unknown>[]) => JSON.parse(JSON.stringify(families).replace(/\.\d{3}Z/g, 'Z'));
    const status = await gql(provider, `{ keyRotationStatus { ${fields} } }`, undefined, admin);
    const cli = JSON.parse((await runCli(['keys', 'status', '--json'], { env })).stdout);
    expect(normalize(status.body.data.keyRotationStatus)).toEqual(normalize(cli));

    const rotated = await gql(provider, `mutation { rotateKeys { ${fields} } }`, undefined, admin);
    const families = rotated.body.data.rotateKeys as { keys: { state: string }[] }[];
    expect(families.every((f) => f.keys.some((k) => k.state === 'pending'))).toBe(true);
    const after = JSON.parse((await runCli(['keys', 'status', '--json'], { env })).stdout);
    expect(normalize(after)).toEqual(normalize(rotated.body.data.rotateKeys));
  });
});

describe('me', () => {
  it('answers a frontend with the token claims, exactly the userinfo response, and the public profile', async () => {
    const user = await provider.createUser({ givenName: 'Grace', familyName: 'Hopper', emailVerified: true });
    const rp = await provider.createClient();
    const tokens = await tokensFor(provider, rp, user, 'openid profile email');
    const res = await gql(provider, '{ me { sub clientId scopes claims userinfo user { id username email givenName familyName } } }', undefined, tokens.access_token);
    expect(res.body.errors).toBeUndefined();
    const me = res.body.data.me;
    const userinfo = await (await fetch(`${provider.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json();
    expect(me.userinfo).toEqual(userinfo);
    expect(me).toMatchObject({ sub: user.id, clientId: rp.clientId, scopes: ['openid', 'profile', 'email'], user: { id: user.id, username: user.username, givenName: 'Grace', familyName: 'Hopper' } });
    expect(me.claims).toMatchObject({ iss: provider.issuer, sub: user.id, client_id: rp.clientId, scope: 'openid profile email' });
  });

  it('is UNAUTHENTICATED without a token, and has no user for a client_credentials token', async () => {
    const anonymous = await gql(provider, '{ me { sub } }');
    expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const svc = await provider.createClient({ grantTypes: ['client_credentials'] });
    const res = await gql(provider, '{ me { sub user { id } userinfo } }', undefined, await clientToken(provider, svc));
    expect(res.body.data.me).toEqual({ sub: svc.clientId, user: null, userinfo: null });
  });

  it('updateMe changes the caller\'s own profile (a third-party app with profile:write)', async () => {
    const user = await provider.createUser();
    const tokens = await tokensFor(provider, await provider.createClient(), user, 'openid profile:write');
    const res = await gql(provider, 'mutation { updateMe(input: { givenName: "Ada", locale: "en-GB" }) { id givenName locale } }', undefined, tokens.access_token);
    expect(res.body.data.updateMe).toEqual({ id: user.id, givenName: 'Ada', locale: 'en-GB' });
  });
});

describe('users', () => {
  it('creates, pages through, searches, updates and deletes users, with field-named input errors', async () => {
    for (const name of ['pg-anna', 'pg-bert', 'pg-cleo']) {
      const res = await gql(provider, 'mutation($i: CreateUserInput!) { createUser(input: $i) { id username admin active hasPassword } }', { i: { username: name, password: 'long enough password', email: `${name}@example.com` } }, admin);
      expect(res.body.data.createUser).toMatchObject({ username: name, admin: false, active: true, hasPassword: true });
    }
    const page1 = await gql(provider, '{ users(first: 2, search: "pg-") { edges { node { username } cursor } pageInfo { hasNextPage endCursor } } }', undefined, admin);
    const c1 = page1.body.data.users;
    expect(c1.edges.map((e: { node: { username: string } }) => e.node.username)).toEqual(['pg-anna', 'pg-bert']);
    expect(c1.pageInfo.hasNextPage).toBe(true);
    const page2 = await gql(provider, 'query($a: String) { users(first: 2, search: "pg-", after: $a) { edges { node { username } } pageInfo { hasNextPage } } }', { a: c1.pageInfo.endCursor }, admin);
    expect(page2.body.data.users.edges.map((e: { node: { username: string } }) => e.node.username)).toEqual(['pg-cleo']);
    expect(page2.body.data.users.pageInfo.hasNextPage).toBe(false);

    const bad = await gql(provider, 'mutation { createUser(input: { username: "x y", email: "nope" }) { id } }', undefined, admin);
    expect(bad.body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'username' });
    const badEmail = await gql(provider, 'mutation { createUser(input: { username: "fine", email: "nope" }) { id } }', undefined, admin);
    expect(badEmail.body.errors[0]).toMatchObject({ message: 'email: must be an email address', extensions: { code: 'BAD_USER_INPUT', field: 'email' } });

    const id = (await gql(provider, '{ users(search: "pg-bert") { edges { node { id } } } }', undefined, admin)).body.data.users.edges[0].node.id;
    const updated = await gql(provider, 'mutation($id: ID!) { updateUser(id: $id, input: { admin: true, givenName: "Bert" }) { admin givenName } }', { id }, admin);
    expect(updated.body.data.updateUser).toEqual({ admin: true, givenName: 'Bert' });
    expect((await gql(provider, 'mutation($id: ID!) { deleteUser(id: $id) }', { id }, admin)).body.data.deleteUser).toBe(true);
    expect((await gql(provider, 'query($id: ID!) { user(id: $id) { id } }', { id }, admin)).body.data.user).toBeNull();
    const again = await gql(provider, 'mutation($id: ID!) { deleteUser(id: $id) }', { id }, admin);
    expect(again.body.errors[0].extensions.code).toBe('NOT_FOUND');
  });

  it('setUserPassword ends the user\'s sessions and grants; sessions can be listed and ended', async () => {
    const user = await provider.createUser();
    const rp = await provider.createClient();
    await login(provider, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: user.username });
    const sessions = await gql(provider, 'query($u: ID!) { sessions(userId: $u) { id userId amr } }', { u: user.id }, admin);
    expect(sessions.body.data.sessions).toHaveLength(1);
    expect(sessions.body.data.sessions[0]).toMatchObject({ userId: user.id, amr: ['pwd'] });
    const ended = await gql(provider, 'mutation($id: ID!) { revokeSession(id: $id) }', { id: sessions.body.data.sessions[0].id }, admin);
    expect(ended.body.data.revokeSession).toBe(true);
    expect((await gql(provider, 'query($u: ID!) { sessions(userId: $u) { id } }', { u: user.id }, admin)).body.data.sessions).toEqual([]);

    const tokens = await tokensFor(provider, rp, user);
    const set = await gql(provider, 'mutation($id: ID!) { setUserPassword(id: $id, password: "another long password") { hasPassword } }', { id: user.id }, admin);
    expect(set.body.data.setUserPassword.hasPassword).toBe(true);
    expect((await tokenRequest(provider, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, rp)).status).toBe(400);
  });
});

describe('clients', () => {
  it('pages, shows, updates, rotates and deletes clients; bad metadata names the field; unknown ids are NOT_FOUND', async () => {
    const first = await gql(provider, '{ clients(first: 1) { edges { node { id } } pageInfo { hasNextPage endCursor } } }', undefined, admin);
    expect(first.body.data.clients.edges).toHaveLength(1);
    expect(first.body.data.clients.pageInfo.hasNextPage).toBe(true);

    const made = (await gql(provider, `mutation { createClient(input: { id: "gql-web", name: "Web", redirectUris: ["https://web.example/cb"], allowedOrigins: ["https://web.example"] }) { client { ${CLIENT_FIELDS} } } }`, undefined, admin)).body.data.createClient.client;
    expect(made.id).toBe('gql-web');
    const shown = await gql(provider, '{ client(id: "gql-web") { id name allowedOrigins } }', undefined, admin);
    expect(shown.body.data.client).toEqual({ id: 'gql-web', name: 'Web', allowedOrigins: ['https://web.example'] });
    const updated = await gql(provider, 'mutation { updateClient(id: "gql-web", input: { firstParty: true, name: "Web app" }) { firstParty name } }', undefined, admin);
    expect(updated.body.data.updateClient).toEqual({ firstParty: true, name: 'Web app' });
    const bad = await gql(provider, 'mutation { updateClient(id: "gql-web", input: { redirectUris: ["javascript:alert(1)"] }) { id } }', undefined, admin);
    expect(bad.body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'redirectUris' });
    const rotated = await gql(provider, 'mutation { rotateClientSecret(id: "gql-web") { clientSecret client { id } } }', undefined, admin);
    expect(rotated.body.data.rotateClientSecret.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await gql(provider, 'mutation { deleteClient(id: "gql-web") }', undefined, admin)).body.data.deleteClient).toBe(true);
    expect((await gql(provider, '{ client(id: "gql-web") { id } }', undefined, admin)).body.data.client).toBeNull();
    for (const mutation of ['deleteClient(id: "nope")', 'rotateClientSecret(id: "nope") { clientSecret }', 'updateClient(id: "nope", input: { name: "x" }) { id }']) {
      const res = await gql(provider, `mutation { ${mutation} }`, undefined, admin);
      expect(res.body.errors[0].extensions.code, mutation).toBe('NOT_FOUND');
    }
  });

  it('administers the per-client extras and the back-channel logout URI', async () => {
    const res = await gql(
      provider,
      `mutation { createClient(input: { name: "Extras", redirectUris: ["https://x.example/cb"], backchannelLogoutUri: "https://x.example/bcl",
        extraIdTokenClaims: [{ claim: "nick", field: "givenName", scope: "profile" }], userRestrictions: [{ field: "email", equals: "x@example.com" }] })
        { client { id backchannelLogoutUri extraIdTokenClaims { claim field scope } userRestrictions { field equals } } } }`,
      undefined,
      admin,
    );
    expect(res.body.data.createClient.client).toMatchObject({
      backchannelLogoutUri: 'https://x.example/bcl',
      extraIdTokenClaims: [{ claim: 'nick', field: 'givenName', scope: 'profile' }],
      userRestrictions: [{ field: 'email', equals: 'x@example.com' }],
    });
    const bad = await gql(provider, `mutation { updateClient(id: "${res.body.data.createClient.client.id}", input: { extraIdTokenClaims: [{ claim: "x", field: "passwordHash", scope: "profile" }] }) { id } }`, undefined, admin);
    expect(bad.body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'extraIdTokenClaims' });
  });

  it('an admin user (admin flag, admin scope, first-party client) administers too', async () => {
    const { tokens } = await adminUserTokens(provider);
    const res = await gql(provider, '{ clients(first: 1) { edges { node { id } } } }', undefined, tokens.access_token);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.clients.edges).toHaveLength(1);
  });
});
