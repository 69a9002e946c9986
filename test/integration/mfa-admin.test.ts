/**
 * Administrators and a user's second factors over GraphQL (src/graphql/factor-resolver.ts:
 * `User.factors`, `User.recoveryCodesLeft`, `removeUserFactor`), and the audit trail of the
 * factors from enrolment to reset, read back from the `auditEvents` query: what the console's
 * audit page shows. Over real HTTP against a real provider with an injected clock; the sign-in
 * step through the interaction's pages as a browser. Rows MF-15…MF-17 of docs/SECURITY.md.
 */
import { generateSync } from 'otplib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { adminUserTokens, authorizeUrl, browse, CookieJar, formOf, gql, PASSWORD, pkcePair, postForm, startProvider, tokensFor, type TestProvider } from '../support/provider.js';

type Client = { clientId: string; clientSecret?: string; redirectUri: string };
type User = { id: string; username: string; password: string };

/** A step boundary a little ahead of now: the tests move the clock by whole steps from it. */
const clock = new ManualClock(Math.ceil(Date.now() / 30_000) * 30_000 + 60_000);
let p: TestProvider;
let account: Client;
let admin: Awaited<ReturnType<typeof adminUserTokens>>;

beforeAll(async () => {
  p = await startProvider({}, { captureLogs: true, clock });
  account = await p.createClient({ name: 'Account', firstParty: true, redirectUris: ['https://account.example/cb'] });
  admin = await adminUserTokens(p);
});
afterAll(() => p?.close());

const USER_FACTORS = 'query($id: ID!) { user(id: $id) { id factors { id kind name createdAt lastUsedAt } recoveryCodesLeft } }';
const REMOVE_USER_FACTOR = 'mutation($u: ID!, $f: ID!) { removeUserFactor(userId: $u, factorId: $f) }';
const START_TOTP = 'mutation($c: String!) { startTotpEnrolment(currentPassword: $c) { id secret } }';
const CONFIRM = 'mutation($id: ID!, $code: String!, $name: String!) { confirmTotpEnrolment(id: $id, code: $code, name: $name) }';
const REMOVE_MINE = 'mutation($id: ID!, $c: String!) { removeMyFactor(id: $id, currentPassword: $c) }';
const REGENERATE = 'mutation($c: String!) { regenerateRecoveryCodes(currentPassword: $c) }';
const RESET = 'mutation($u: ID!) { resetUserFactors(userId: $u) }';
const AUDIT = 'query($types: [String!]) { auditEvents(filter: { types: $types }, first: 100) { edges { node { event outcome actor client details } } } }';

const codeAt = (secret: string, steps = 0) => generateSync({ secret, epoch: Math.floor(clock.now() / 1000) + steps * 30 });
const adminToken = () => admin.tokens.access_token;

function refusal(answer: Awaited<ReturnType<typeof gql>>): { code: string; message: string } {
  expect(answer.body.errors, answer.text).toHaveLength(1);
  expect(answer.text).not.toMatch(/stacktrace|node_modules|select |delete from|INTERNAL_SERVER_ERROR/i);
  return { code: answer.body.errors[0].extensions.code, message: answer.body.errors[0].message };
}

async function ok(query: string, variables: Record<string, unknown>, token: string): Promise<any> {
  const answer = await gql(p, query, variables, token);
  expect(answer.body.errors, answer.text).toBeUndefined();
  return answer.body.data;
}

async function sql<T>(text: string, values: unknown[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: p.databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Adds an authenticator app through the account API, as the account page does: its id, secret and the recovery codes. */
async function addApp(token: string, name: string): Promise<{ id: string; secret: string; codes: string[] }> {
  const { id, secret } = (await ok(START_TOTP, { c: PASSWORD }, token)).startTotpEnrolment;
  const codes = (await ok(CONFIRM, { id, code: codeAt(secret), name }, token)).confirmTotpEnrolment;
  return { id, secret, codes };
}

async function withApps(names: string[]): Promise<{ user: User; token: string; apps: { id: string; secret: string }[]; codes: string[] }> {
  const user = await p.createUser();
  const token = (await tokensFor(p, account, user, 'openid profile')).access_token;
  const apps = [];
  let codes: string[] = [];
  for (const name of names) {
    const app = await addApp(token, name);
    apps.push(app);
    codes = app.codes;
  }
  return { user, token, apps, codes };
}

/** A sign-in through the password form to the second step's page: its form and the browser's jar. */
async function secondStep(user: User): Promise<{ jar: CookieJar; action: string; csrf: string }> {
  const jar = new CookieJar();
  const pkce = pkcePair();
  const start = authorizeUrl(p, { client_id: account.clientId, redirect_uri: account.redirectUri, response_type: 'code', scope: 'openid', state: 's', nonce: 'n', code_challenge: pkce.challenge, code_challenge_method: 'S256' });
  let res = await browse(jar, start);
  const login = new URL(res.headers.get('location')!, start);
  const form = formOf(await (await browse(jar, login.toString())).text());
  res = await postForm(jar, new URL(form.action, login).toString(), { csrf: form.csrf, username: user.username, password: user.password });
  expect(res.status).toBe(303);
  const mfa = new URL(res.headers.get('location')!);
  expect(mfa.pathname).toMatch(/\/mfa$/);
  const page = formOf(await (await browse(jar, mfa.toString())).text());
  return { jar, action: new URL(page.action, mfa).toString(), csrf: page.csrf };
}

/** The audit events of `types` kept in the database, once `count` of them (those `about` a user) are there. */
async function kept(types: string[], about: (e: AuditNode) => boolean, count: number): Promise<AuditNode[]> {
  let events: AuditNode[] = [];
  await expect
    .poll(
      async () => {
        const data = await ok(AUDIT, { types }, adminToken());
        events = data.auditEvents.edges.map((e: { node: AuditNode }) => e.node).filter(about);
        return events.length;
      },
      { timeout: 10_000 },
    )
    .toBeGreaterThanOrEqual(count);
  return events.reverse();
}

interface AuditNode {
  event: string;
  outcome: string;
  actor: string | null;
  client: string | null;
  details: Record<string, unknown>;
}

describe('a user\'s factors for administrators', () => {
  it('MF-15 an administrator reads a user\'s factors (any kind, last use "null" until used) and recovery codes left', async () => {
    const { user, apps, codes } = await withApps(['Phone', 'Tablet']);
    const none = await p.createUser();
    const read = (await ok(USER_FACTORS, { id: user.id }, adminToken())).user;
    // Both enrolled at the same instant of the injected clock: oldest first ties by id, so no order here.
    expect(read.factors).toHaveLength(2);
    expect(read.factors).toEqual(expect.arrayContaining([
      { id: apps[0]!.id, kind: 'totp', name: 'Phone', createdAt: new Date(clock.now()).toISOString(), lastUsedAt: null },
      { id: apps[1]!.id, kind: 'totp', name: 'Tablet', createdAt: new Date(clock.now()).toISOString(), lastUsedAt: null },
    ]));
    expect(read.recoveryCodesLeft).toBe(10);
    expect(codes).toHaveLength(10);
    // A used code counts no more; a pending enrolment is not listed.
    await sql('update recovery_codes set used_at = now() where digest = (select digest from recovery_codes where user_id = $1 limit 1)', [user.id]);
    expect((await ok(USER_FACTORS, { id: user.id }, adminToken())).user.recoveryCodesLeft).toBe(9);
    expect((await ok(USER_FACTORS, { id: none.id }, adminToken())).user).toEqual({ id: none.id, factors: [], recoveryCodesLeft: 0 });
    // In the list of users too, with the same rights.
    const listed = await ok(`{ users(first: 100) { edges { node { id factors { id } } } } }`, {}, adminToken());
    expect(listed.users.edges.find((e: { node: { id: string } }) => e.node.id === user.id).node.factors).toHaveLength(2);
  });

  it('MF-15 a non-admin cannot read or remove another user\'s factors (nor their own through the admin API): FORBIDDEN, nothing changes', async () => {
    const victim = await withApps(['Phone']);
    const other = await withApps(['Mine']);
    // An administrator's token without the admin scope is not enough either.
    const adminWithoutScope = (await tokensFor(p, account, admin.user, 'openid profile')).access_token;
    const before = await sql('select * from user_factors order by id', []);
    for (const token of [other.token, victim.token, adminWithoutScope]) {
      for (const [query, variables] of [
        [USER_FACTORS, { id: victim.user.id }],
        [REMOVE_USER_FACTOR, { u: victim.user.id, f: victim.apps[0]!.id }],
      ] as const) {
        const answer = await gql(p, query, variables, token);
        expect(refusal(answer).code, answer.text).toBe('FORBIDDEN');
        expect(answer.body.data?.user ?? null).toBeNull();
      }
    }
    expect(refusal(await gql(p, REMOVE_USER_FACTOR, { u: victim.user.id, f: victim.apps[0]!.id })).code).toBe('UNAUTHENTICATED');
    expect(await sql('select * from user_factors order by id', [])).toEqual(before);
    expect(p.logs.filter((r) => r.event === 'admin.forbidden' && r.actor === other.user.id).length).toBeGreaterThanOrEqual(2);
  });

  it('MF-16 removeUserFactor removes one factor; with the last, the recovery codes; another user\'s factor or an unknown id is NOT_FOUND', async () => {
    const { user, apps } = await withApps(['Phone', 'Tablet']);
    const other = await withApps(['Theirs']);
    expect(refusal(await gql(p, REMOVE_USER_FACTOR, { u: user.id, f: other.apps[0]!.id }, adminToken())).code).toBe('NOT_FOUND');
    expect(refusal(await gql(p, REMOVE_USER_FACTOR, { u: user.id, f: crypto.randomUUID() }, adminToken())).code).toBe('NOT_FOUND');
    expect(refusal(await gql(p, REMOVE_USER_FACTOR, { u: user.id, f: 'not-a-uuid' }, adminToken())).code).toBe('NOT_FOUND');
    expect(refusal(await gql(p, REMOVE_USER_FACTOR, { u: crypto.randomUUID(), f: apps[0]!.id }, adminToken())).code).toBe('NOT_FOUND');
    expect(await sql('select id from user_factors where user_id = $1', [other.user.id])).toHaveLength(1);

    expect((await ok(REMOVE_USER_FACTOR, { u: user.id, f: apps[0]!.id }, adminToken())).removeUserFactor).toBe(true);
    const after = (await ok(USER_FACTORS, { id: user.id }, adminToken())).user;
    expect(after.factors.map((f: { name: string }) => f.name)).toEqual(['Tablet']);
    expect(after.recoveryCodesLeft).toBe(10);
    expect(refusal(await gql(p, REMOVE_USER_FACTOR, { u: user.id, f: apps[0]!.id }, adminToken())).code).toBe('NOT_FOUND');

    expect((await ok(REMOVE_USER_FACTOR, { u: user.id, f: apps[1]!.id }, adminToken())).removeUserFactor).toBe(true);
    expect((await ok(USER_FACTORS, { id: user.id }, adminToken())).user).toMatchObject({ factors: [], recoveryCodesLeft: 0 });
    expect(await sql('select digest from recovery_codes where user_id = $1', [user.id])).toEqual([]);
    // Parallel removals of one factor: one removes it, the others find nothing.
    const third = await withApps(['Once']);
    const burst = await Promise.all(Array.from({ length: 6 }, () => gql(p, REMOVE_USER_FACTOR, { u: third.user.id, f: third.apps[0]!.id }, adminToken())));
    expect(burst.filter((a) => a.body.data?.removeUserFactor === true)).toHaveLength(1);
    expect(burst.filter((a) => a.body.errors?.[0]?.extensions.code === 'NOT_FOUND')).toHaveLength(5);
  });
});

describe('the audit trail of a user\'s factors', () => {
  it('MF-17 enrolment, a failed and an accepted code at sign-in, a recovery code, new codes, removal by the user and by an administrator, reset: each kept with actor, user and kind', async () => {
    const { user, token, apps, codes } = await withApps(['Phone', 'Tablet', 'Spare']);
    // A wrong code at enrolment.
    const pending = (await ok(START_TOTP, { c: PASSWORD }, token)).startTotpEnrolment;
    const wrongCode = codeAt(pending.secret) === '000000' ? '111111' : '000000';
    expect(refusal(await gql(p, CONFIRM, { id: pending.id, code: wrongCode, name: 'x' }, token)).code).toBe('BAD_USER_INPUT');

    // The sign-in step: a wrong code, then the app's, then (another sign-in) a recovery code.
    clock.advance(30_000);
    const step = await secondStep(user);
    expect((await postForm(step.jar, step.action, { csrf: step.csrf, kind: 'totp', code: codeAt(apps[0]!.secret) === '000000' ? '111111' : '000000' })).status).toBe(401);
    const retry = await secondStep(user);
    expect((await postForm(retry.jar, retry.action, { csrf: retry.csrf, kind: 'totp', code: codeAt(apps[0]!.secret) })).status).toBe(303);
    const recovery = await secondStep(user);
    expect((await postForm(recovery.jar, recovery.action, { csrf: recovery.csrf, kind: 'recovery', code: codes[0]! })).status).toBe(303);

    expect(await ok(REGENERATE, { c: PASSWORD }, token)).toBeDefined();
    await ok(REMOVE_MINE, { id: apps[0]!.id, c: PASSWORD }, token);
    await ok(REMOVE_USER_FACTOR, { u: user.id, f: apps[1]!.id }, adminToken());
    expect((await ok(RESET, { u: user.id }, adminToken())).resetUserFactors).toBe(1);

    const types = ['mfa.enrolled', 'mfa.verified', 'mfa.failed', 'mfa.removed', 'mfa.reset', 'mfa.recovery_codes_regenerated'];
    const events = await kept(types, (e) => e.actor === user.id || e.details.user === user.id, 11);
    const summary = events.map((e) => [e.event, e.outcome, e.actor === user.id ? 'user' : e.actor === admin.user.id ? 'admin' : e.actor, e.details.user === undefined ? '-' : e.details.user === user.id ? 'user' : e.details.user, e.details.kind ?? '-']);
    expect(summary).toEqual([
      ['mfa.enrolled', 'success', 'user', '-', 'totp'],
      ['mfa.enrolled', 'success', 'user', '-', 'totp'],
      ['mfa.enrolled', 'success', 'user', '-', 'totp'],
      ['mfa.failed', 'failure', 'user', '-', 'totp'],
      ['mfa.failed', 'failure', 'user', '-', 'totp'],
      ['mfa.verified', 'success', 'user', '-', 'totp'],
      ['mfa.verified', 'success', 'user', '-', 'recovery'],
      ['mfa.recovery_codes_regenerated', 'success', 'user', '-', 'recovery'],
      ['mfa.removed', 'success', 'user', '-', 'totp'],
      ['mfa.removed', 'success', 'admin', 'user', 'totp'],
      ['mfa.reset', 'success', 'admin', 'user', '-'],
    ]);
    // Which factor, and the removed count of the reset; never a secret or a code.
    expect(events.find((e) => e.event === 'mfa.removed' && e.actor === admin.user.id)!.details.factor).toBe(apps[1]!.id);
    expect(events.find((e) => e.event === 'mfa.reset')!.details.removed).toBe(1);
    const text = JSON.stringify(events);
    for (const secret of [pending.secret, ...apps.map((a) => a.secret), codes[0]!]) expect(text).not.toContain(secret);
  });
});
