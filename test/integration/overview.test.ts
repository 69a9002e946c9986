/**
 * `overview`: the counts an administrator sees first — users, administrators, clients, live
 * sessions, active grants — as they change: a sign-in adds a session and a grant, a revocation
 * takes the grant away, time ends the session (the provider's injected clock).
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientToken, gql, startProvider, tokensFor, type TestProvider } from '../support/provider.js';

let skew = 0;
let p: TestProvider;
let adminToken: string;

beforeAll(async () => {
  p = await startProvider({}, { clock: { now: () => Date.now() + skew } });
  const automation = await p.createClient({ name: 'Automation', grantTypes: ['client_credentials'], admin: true });
  adminToken = await clientToken(p, automation, 'admin');
}, 60_000);

afterAll(async () => {
  await p?.close();
});

const OVERVIEW = '{ overview { users administrators clients activeSessions activeGrants } }';
const overview = async (token = adminToken) => (await gql(p, OVERVIEW, undefined, token)).body;

describe('overview', () => {
  it('counts users, administrators and clients, and the sessions and grants that are live now', async () => {
    // Automation, and the admin console's and the account page's own clients (registered at start).
    expect((await overview()).data.overview).toEqual({ users: 0, administrators: 0, clients: 3, activeSessions: 0, activeGrants: 0 });
    const [alice] = await Promise.all([p.createUser(), p.createUser(), p.createUser({ admin: true })]);
    const app = await p.createClient({ name: 'App', firstParty: true });
    const tokens = await tokensFor(p, app, alice!, 'openid');
    await tokensFor(p, app, alice!, 'openid');
    expect((await overview()).data.overview).toEqual({ users: 3, administrators: 1, clients: 4, activeSessions: 2, activeGrants: 2 });

    const revoked = await gql(p, `mutation { revokeGrant(id: "${decodeJwt(tokens.access_token).grant_id}") { active } }`, undefined, adminToken);
    expect(revoked.body.data).toEqual({ revokeGrant: { active: false } });
    expect((await overview()).data.overview).toMatchObject({ activeSessions: 2, activeGrants: 1 });

    // Past every session's and grant's end, by the provider's clock.
    skew = 400 * 24 * 3600 * 1000;
    try {
      expect((await gql(p, OVERVIEW, undefined, await clientToken(p, (await p.createClient({ name: 'Later', grantTypes: ['client_credentials'], admin: true })), 'admin'))).body.data.overview).toMatchObject({ activeSessions: 0, activeGrants: 0 });
    } finally {
      skew = 0;
    }
  });

  it('is FORBIDDEN without admin rights, UNAUTHENTICATED without a token', async () => {
    const plain = await p.createClient({ name: 'Plain', grantTypes: ['client_credentials'] });
    const forbidden = await overview(await clientToken(p, plain));
    expect(forbidden.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(forbidden.data).toBeNull();
    const anonymous = (await gql(p, OVERVIEW)).body;
    expect(anonymous.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });
});
