/**
 * Second factors of the caller's own account over GraphQL (src/graphql/factor-resolver.ts,
 * src/users/factors.ts), over real HTTP against a real provider with an injected clock: TOTP
 * enrolment with codes computed from the enrolled secret (otplib, as an authenticator app does),
 * the window of RFC 6238 §5.2, replay, recovery codes, removal, the administrators' reset. Only
 * the caller's own rows, only from a first-party application. Rows MF-01…MF-06 of
 * docs/SECURITY.md.
 */
import { generateSync } from 'otplib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { FactorService } from '../../src/users/factors.js';
import { adminUserTokens, gql, PASSWORD, startProvider, tokensFor, type TestProvider } from '../support/provider.js';

type Client = { clientId: string; clientSecret?: string; redirectUri: string };
type User = { id: string; username: string; password: string };

/** A step boundary a little ahead of now: the tests move the clock by whole steps from it. */
const START = Math.ceil(Date.now() / 30_000) * 30_000 + 60_000;
const clock = new ManualClock(START);
let p: TestProvider;
let account: Client;
let shop: Client;

beforeAll(async () => {
  p = await startProvider({}, { captureLogs: true, clock });
  account = await p.createClient({ name: 'Account', firstParty: true, redirectUris: ['https://account.example/cb'] });
  shop = await p.createClient({ name: 'Shop', redirectUris: ['https://shop.example/cb'] });
});
afterAll(() => p?.close());

const FACTORS = '{ me { factors { id kind name createdAt lastUsedAt } } }';
const START_TOTP = 'mutation($c: String!) { startTotpEnrolment(currentPassword: $c) { id secret otpauthUri qrSvg } }';
const CONFIRM = 'mutation($id: ID!, $code: String!, $name: String!) { confirmTotpEnrolment(id: $id, code: $code, name: $name) }';
const REMOVE = 'mutation($id: ID!, $c: String!) { removeMyFactor(id: $id, currentPassword: $c) }';
const REGENERATE = 'mutation($c: String!) { regenerateRecoveryCodes(currentPassword: $c) }';
const RESET = 'mutation($u: ID!) { resetUserFactors(userId: $u) }';

/** A code of `secret` for the time step `steps` away from the clock's now, as an app would show it. */
const codeAt = (secret: string, steps = 0) => generateSync({ secret, epoch: Math.floor(clock.now() / 1000) + steps * 30 });

function refusal(answer: Awaited<ReturnType<typeof gql>>): { code: string; field?: string; message: string } {
  expect(answer.body.errors, answer.text).toHaveLength(1);
  const [error] = answer.body.errors;
  expect(answer.text).not.toMatch(/stacktrace|node_modules|select |update |delete from|INTERNAL_SERVER_ERROR/i);
  return { code: error.extensions.code, field: error.extensions.field, message: error.message };
}

async function accountToken(user: User): Promise<string> {
  return (await tokensFor(p, account, user, 'openid profile')).access_token;
}

async function startTotp(token: string): Promise<{ id: string; secret: string; otpauthUri: string; qrSvg: string }> {
  const answer = await gql(p, START_TOTP, { c: PASSWORD }, token);
  expect(answer.body.errors, answer.text).toBeUndefined();
  return answer.body.data.startTotpEnrolment;
}

/** A user with a confirmed TOTP factor: its token, secret, factor id and recovery codes. */
async function enrolled(): Promise<{ user: User; token: string; secret: string; id: string; codes: string[] }> {
  const user = await p.createUser();
  const token = await accountToken(user);
  const { id, secret } = await startTotp(token);
  const answer = await gql(p, CONFIRM, { id, code: codeAt(secret), name: 'Phone' }, token);
  expect(answer.body.errors, answer.text).toBeUndefined();
  return { user, token, secret, id, codes: answer.body.data.confirmTotpEnrolment };
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

const factors = () => new FactorService({ em: p.db.orm.em, clock, sealer: p.provider!.keys.encryption });

describe('TOTP enrolment', () => {
  it('MF-01 asks the current password, shows the secret once, confirms with a code of it; ten recovery codes; the secret is stored encrypted', async () => {
    const user = await p.createUser();
    const token = await accountToken(user);
    expect(refusal(await gql(p, START_TOTP, { c: 'not the password' }, token))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'currentPassword' });

    const started = await startTotp(token);
    expect(started.otpauthUri).toMatch(new RegExp(`^otpauth://totp/[^?]+\\?secret=${started.secret}&`));
    expect(started.otpauthUri).toContain(encodeURIComponent(user.username));
    expect(started.qrSvg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(started.qrSvg).not.toMatch(/<script|href=/i);
    // Pending: not listed, and it signs nobody in.
    expect((await gql(p, FACTORS, undefined, token)).body.data.me.factors).toEqual([]);

    // At rest: neither the secret nor anything it is an encoding of; bound to its row.
    const [row] = await sql<{ secret: string }>('select secret from user_factors where id = $1', [started.id]);
    expect(row!.secret).toMatch(/^v1\./);
    expect(row!.secret).not.toContain(started.secret);
    expect(() => p.provider!.keys.encryption.decrypt(`user-factor:${crypto.randomUUID()}`, row!.secret)).toThrow();

    expect(refusal(await gql(p, CONFIRM, { id: started.id, code: '000000' === codeAt(started.secret) ? '111111' : '000000', name: 'Phone' }, token))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'code' });
    expect(refusal(await gql(p, CONFIRM, { id: started.id, code: codeAt(started.secret), name: '  ' }, token))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    const confirmed = await gql(p, CONFIRM, { id: started.id, code: codeAt(started.secret), name: ' Phone ' }, token);
    expect(confirmed.body.errors, confirmed.text).toBeUndefined();
    const codes: string[] = confirmed.body.data.confirmTotpEnrolment;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    // Stored as digests only.
    const stored = await sql<{ digest: string }>('select digest from recovery_codes where user_id = $1', [user.id]);
    expect(stored).toHaveLength(10);
    expect(JSON.stringify(stored)).not.toContain(codes[0]!.replace(/-/g, ''));

    const listed = (await gql(p, FACTORS, undefined, token)).body.data.me.factors;
    expect(listed).toEqual([{ id: started.id, kind: 'totp', name: 'Phone', createdAt: new Date(clock.now()).toISOString(), lastUsedAt: null }]);
    // Confirmed once: the same enrolment again is no longer pending.
    expect(refusal(await gql(p, CONFIRM, { id: started.id, code: codeAt(started.secret), name: 'Phone' }, token)).code).toBe('NOT_FOUND');
    expect(p.logs.find((r) => r.event === 'mfa.enrolled' && r.actor === user.id)).toMatchObject({ outcome: 'success', kind: 'totp', factor: started.id });
    expect(p.logs.find((r) => r.event === 'mfa.failed' && r.actor === user.id)).toMatchObject({ outcome: 'failure' });
    expect(JSON.stringify(p.logs)).not.toContain(started.secret);
  });

  it('MF-01 wrong current passwords are throttled as changeMyPassword\'s: after LOGIN_FAILURE_LIMIT, TOO_MANY_REQUESTS, the right one too', async () => {
    const user = await p.createUser();
    const token = await accountToken(user);
    for (let i = 0; i < p.settings.loginFailureLimit; i++) {
      expect(refusal(await gql(p, i % 2 ? START_TOTP : REGENERATE, { c: `wrong ${i}` }, token)).field).toBe('currentPassword');
    }
    const refused = await gql(p, START_TOTP, { c: PASSWORD }, token);
    expect(refusal(refused).code).toBe('TOO_MANY_REQUESTS');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await sql('select id from user_factors where user_id = $1', [user.id])).toEqual([]);
    expect(p.logs.filter((r) => r.event === 'mfa.failed' && r.actor === user.id).map((r) => r.outcome)).toEqual([...Array(p.settings.loginFailureLimit).fill('failure'), 'refused']);
  });

  it('MF-02 accepts the codes of steps −1, 0 and +1 around the clock, refuses ±2 (RFC 6238 §5.2)', async () => {
    const user = await p.createUser();
    const token = await accountToken(user);
    for (const [steps, accepted] of [[-2, false], [-1, true], [0, true], [1, true], [2, false]] as const) {
      const { id, secret } = await startTotp(token);
      const answer = await gql(p, CONFIRM, { id, code: codeAt(secret, steps), name: `step ${steps}` }, token);
      if (accepted) expect(answer.body.errors, `step ${steps}: ${answer.text}`).toBeUndefined();
      else expect(refusal(answer), `step ${steps}`).toMatchObject({ code: 'BAD_USER_INPUT', field: 'code' });
    }
    expect((await gql(p, FACTORS, undefined, token)).body.data.me.factors.map((f: { name: string }) => f.name).sort()).toEqual(['step -1', 'step 0', 'step 1']);
  });

  it('MF-02 a code is accepted once per factor: the same step again, or an earlier one, is refused (RFC 6238 §5.2)', async () => {
    const { user, secret } = await enrolled();
    // The enrolment's own code spent its step.
    expect(await factors().verifyTotp(user.id, codeAt(secret))).toBe(false);
    clock.advance(30_000);
    expect(await factors().verifyTotp(user.id, codeAt(secret))).toBe(true);
    expect(await factors().verifyTotp(user.id, codeAt(secret))).toBe(false);
    expect(await factors().verifyTotp(user.id, codeAt(secret, -1))).toBe(false);
    expect(await factors().verifyTotp(user.id, codeAt(secret, 1))).toBe(true);
    expect(await factors().verifyTotp(user.id, 'abcdef')).toBe(false);
  });

  it('a new start replaces the pending enrolment; a pending one expires after 10 minutes', async () => {
    const user = await p.createUser();
    const token = await accountToken(user);
    const first = await startTotp(token);
    const second = await startTotp(token);
    expect(refusal(await gql(p, CONFIRM, { id: first.id, code: codeAt(first.secret), name: 'Phone' }, token)).code).toBe('NOT_FOUND');
    expect(await sql('select id from user_factors where user_id = $1', [user.id])).toEqual([{ id: second.id }]);

    clock.advance(10 * 60_000);
    const later = await accountToken(user);
    expect(refusal(await gql(p, CONFIRM, { id: second.id, code: codeAt(second.secret), name: 'Phone' }, later)).code).toBe('NOT_FOUND');
    const third = await startTotp(later);
    clock.advance(10 * 60_000 - 30_000);
    const answer = await gql(p, CONFIRM, { id: third.id, code: codeAt(third.secret), name: 'Phone' }, await accountToken(user));
    expect(answer.body.errors, answer.text).toBeUndefined();
  });
});

describe('recovery codes, removal, reset', () => {
  it('MF-05 a recovery code works once; a new set replaces the old one; removing the last factor removes the codes', async () => {
    const { user, token, id, codes } = await enrolled();
    expect(await factors().verifyRecoveryCode(user.id, codes[0]!.toLowerCase().replace(/-/g, ' '))).toBe(true);
    expect(await factors().verifyRecoveryCode(user.id, codes[0]!)).toBe(false);

    expect(refusal(await gql(p, REGENERATE, { c: 'wrong' }, token))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'currentPassword' });
    const fresh = await gql(p, REGENERATE, { c: PASSWORD }, token);
    expect(fresh.body.errors, fresh.text).toBeUndefined();
    const next: string[] = fresh.body.data.regenerateRecoveryCodes;
    expect(next).toHaveLength(10);
    expect(await factors().verifyRecoveryCode(user.id, codes[1]!)).toBe(false);
    expect(await factors().verifyRecoveryCode(user.id, next[0]!)).toBe(true);

    expect(refusal(await gql(p, REMOVE, { id, c: 'wrong' }, token))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'currentPassword' });
    const removed = await gql(p, REMOVE, { id, c: PASSWORD }, token);
    expect(removed.body.errors, removed.text).toBeUndefined();
    expect((await gql(p, FACTORS, undefined, token)).body.data.me.factors).toEqual([]);
    expect(await sql('select digest from recovery_codes where user_id = $1', [user.id])).toEqual([]);
    expect(refusal(await gql(p, REMOVE, { id, c: PASSWORD }, token)).code).toBe('NOT_FOUND');
    expect(refusal(await gql(p, REGENERATE, { c: PASSWORD }, token)).code).toBe('BAD_USER_INPUT');
    expect(p.logs.find((r) => r.event === 'mfa.removed' && r.actor === user.id)).toMatchObject({ outcome: 'success', factor: id });
  });

  it('MF-03 another user\'s factor or enrolment id is NOT_FOUND, as an unknown one; theirs stays', async () => {
    const victim = await enrolled();
    const pending = await startTotp(victim.token);
    const other = await p.createUser();
    const token = await accountToken(other);
    const foreign = refusal(await gql(p, REMOVE, { id: victim.id, c: PASSWORD }, token));
    const unknown = refusal(await gql(p, REMOVE, { id: crypto.randomUUID(), c: PASSWORD }, token));
    expect(foreign).toEqual(unknown);
    expect(foreign.code).toBe('NOT_FOUND');
    expect(refusal(await gql(p, REMOVE, { id: 'not-a-uuid', c: PASSWORD }, token)).code).toBe('NOT_FOUND');
    expect(refusal(await gql(p, CONFIRM, { id: pending.id, code: codeAt(pending.secret), name: 'Mine now' }, token)).code).toBe('NOT_FOUND');
    expect((await gql(p, FACTORS, undefined, victim.token)).body.data.me.factors.map((f: { id: string }) => f.id)).toEqual([victim.id]);
    expect((await gql(p, FACTORS, undefined, token)).body.data.me.factors).toEqual([]);
  });

  it('MF-04 a third-party app\'s token, even with profile:write, is FORBIDDEN on factors and every factor mutation; nothing changes', async () => {
    // Both tokens before the factor: from then on the password alone signs in nowhere.
    const user = await p.createUser();
    const thirdParty = (await tokensFor(p, shop, user, 'openid profile profile:write')).access_token;
    const token = await accountToken(user);
    const { id, secret } = await startTotp(token);
    expect((await gql(p, CONFIRM, { id, code: codeAt(secret), name: 'Phone' }, token)).body.errors).toBeUndefined();
    const before = await sql('select * from user_factors where user_id = $1 order by id', [user.id]);
    const codesBefore = await sql('select * from recovery_codes where user_id = $1 order by digest', [user.id]);
    for (const [query, variables] of [
      [FACTORS, undefined],
      [START_TOTP, { c: PASSWORD }],
      [CONFIRM, { id, code: '123456', name: 'x' }],
      [REMOVE, { id, c: PASSWORD }],
      [REGENERATE, { c: PASSWORD }],
    ] as const) {
      const answer = await gql(p, query, variables, thirdParty);
      expect(refusal(answer).code, `${query}: ${answer.text}`).toBe('FORBIDDEN');
      expect(refusal(await gql(p, query, variables)).code).toBe('UNAUTHENTICATED');
    }
    expect(await sql('select * from user_factors where user_id = $1 order by id', [user.id])).toEqual(before);
    expect(await sql('select * from recovery_codes where user_id = $1 order by digest', [user.id])).toEqual(codesBefore);
  });

  it('MF-06 resetUserFactors removes every factor and code of a user, for administrators only', async () => {
    const { user, token } = await enrolled();
    await startTotp(token);
    const admin = await adminUserTokens(p);
    expect(refusal(await gql(p, RESET, { u: user.id }, token)).code).toBe('FORBIDDEN');
    expect(refusal(await gql(p, RESET, { u: crypto.randomUUID() }, admin.tokens.access_token)).code).toBe('NOT_FOUND');
    const answer = await gql(p, RESET, { u: user.id }, admin.tokens.access_token);
    expect(answer.body.data?.resetUserFactors, answer.text).toBe(1);
    expect(await sql('select id from user_factors where user_id = $1', [user.id])).toEqual([]);
    expect(await sql('select digest from recovery_codes where user_id = $1', [user.id])).toEqual([]);
    expect(p.logs.find((r) => r.event === 'mfa.reset' && r.user === user.id)).toMatchObject({ outcome: 'success', actor: admin.user.id, removed: 1 });
  });
});
