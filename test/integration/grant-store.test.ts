/**
 * Contract of the provider's grant store against a real PostgreSQL: grants read back field by
 * field, their lifetimes at the boundary with the injected clock, single-use authorization codes
 * (RFC 6749 §4.1.2) and rotating refresh tokens (RFC 9700 §4.14.2) under parallel bursts, the
 * revocation cascades, the administration's listing, revoked access tokens (RFC 7009), and that
 * a refused operation leaves everything as it was.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { GrantStore, NewGrant, RedeemOutcome, RefreshTokenRecord } from '../../src/provider/stores/grant-store.js';
import { query } from '../support/database.js';
import { startProvider, type TestProvider } from '../support/provider.js';

const clock = new ManualClock(Date.parse('2026-12-03T10:00:00Z'));
let p: TestProvider;
let grants: GrantStore;
beforeAll(async () => {
  p = await startProvider({}, { clock });
  grants = p.provider!.grants;
});
afterAll(() => p?.close());

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const burst = <T>(n: number, job: () => Promise<T>) => Promise.all(Array.from({ length: n }, job));
const sha256 = (v: string) => createHash('sha256').update(v).digest('base64url');
const CHALLENGE = sha256('a PKCE verifier'); // any S256 challenge: the store keeps it as given

/** A user and a client to hang grants on (the tables reference both). */
async function party() {
  const [user, client] = await Promise.all([p.createUser(), p.createClient()]);
  return { userId: user.id, clientId: client.clientId };
}

let sids = 0;
function newGrant(who: { userId: string; clientId: string }, extra: Partial<NewGrant> = {}): NewGrant {
  return {
    ...who,
    scope: 'openid profile offline_access',
    authTime: clock.now() - 30 * SECOND,
    sid: `sid-${++sids}-${randomBytes(6).toString('base64url')}`,
    nonce: 'n-0S6_WzA2Mj',
    acr: 'urn:example:loa:2',
    amr: ['pwd', 'otp'],
    resources: ['https://api.example/', 'urn:example:ledger'],
    ...extra,
  };
}

/** A grant with its code, and the code's record as the token endpoint reads it. */
async function withCode(grant: NewGrant, code: { redirectUri: string | null; codeChallenge: string | null; dpopJkt?: string | null; ttlMs: number } = { redirectUri: 'https://rp.example/cb', codeChallenge: CHALLENGE, ttlMs: MINUTE }, grantTtlMs?: number) {
  const created = await grants.createWithCode(grant, code, grantTtlMs);
  const record = (await grants.findCode(created.code))!;
  expect(record).toBeDefined();
  return { ...created, record };
}

/** A grant whose code was redeemed for a refresh token; returns the token and its record. */
async function withRefreshToken(who: { userId: string; clientId: string }) {
  const { grantId, record } = await withCode(newGrant(who));
  const redeemed = await grants.redeemCode(record, HOUR, 5 * MINUTE);
  if (typeof redeemed !== 'object' || !redeemed.refreshToken) throw new Error(`no refresh token: ${String(redeemed)}`);
  return { grantId, token: redeemed.refreshToken, record: (await grants.findRefreshToken(redeemed.refreshToken))! };
}

/** The refresh tokens stored for a grant: a refused or lost redemption must add none. */
async function refreshRows(grantId: string): Promise<number> {
  const [row] = await query<{ n: number }>(p.databaseUrl, 'select count(*)::int as n from refresh_tokens where grant_id = $1', [grantId]);
  return row!.n;
}

/** A user whose id is not a UUID: the fake mode's subjects are any string of up to 255 characters. */
async function userWithId(id: string): Promise<string> {
  await query(p.databaseUrl, 'insert into users (id, username) values ($1, $2)', [id, `u-${randomBytes(6).toString('hex')}`]);
  return id;
}

/** The grant `findGrant` must read back for `given`, stored for `who` under `id`: every field. */
function storedGrant(id: string, who: { userId: string; clientId: string }, given: ReturnType<typeof newGrant>, rest: { refreshCount?: number; revokedAt?: number | null; expiresAt: number; createdAt: number }) {
  return { id, clientId: who.clientId, userId: who.userId, scope: given.scope, authTime: given.authTime, sid: given.sid, nonce: given.nonce, acr: given.acr, amr: given.amr, resources: given.resources?.length ? given.resources : null, claims: given.claims ?? null, refreshCount: 0, revokedAt: null, ...rest };
}

/** How many outcomes of a burst were of each kind. */
const tally = (outcomes: RedeemOutcome[]) => {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    const kind = typeof o === 'object' ? (o.refreshToken ? 'refreshToken' : 'issued') : o;
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
};

const refreshTokenOf = (outcome: unknown): string => {
  if (typeof outcome !== 'object' || outcome === null || typeof (outcome as { refreshToken?: unknown }).refreshToken !== 'string') throw new Error(`expected a refresh token, got ${JSON.stringify(outcome)}`);
  return (outcome as { refreshToken: string }).refreshToken;
};

describe('GrantStore: grants', () => {
  it('create stores every field as given and findGrant reads each back; unset acr and amr are null', async () => {
    const who = await party();
    const given = newGrant(who);
    const id = await grants.create(given, 10 * MINUTE);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(await grants.findGrant(id)).toEqual(storedGrant(id, who, given, { expiresAt: clock.now() + 10 * MINUTE, createdAt: clock.now() }));
    expect((await grants.findGrant(id))!.amr).toEqual(['pwd', 'otp']);

    const bare = await grants.create({ clientId: who.clientId, userId: who.userId, scope: 'openid', authTime: clock.now(), sid: null, nonce: null }, MINUTE);
    expect(bare).not.toBe(id);
    expect(await grants.findGrant(bare)).toMatchObject({ sid: null, nonce: null, acr: null, amr: null, scope: 'openid' });
    expect(await grants.findGrant('00000000-0000-4000-8000-000000000000')).toBeUndefined();
    // Not a grant id at all: no grant, and no statement PostgreSQL's uuid cast would refuse.
    for (const id of ['not-a-uuid', '', "'; drop table grants; --"]) expect(await grants.findGrant(id)).toBeUndefined();
  });

  it('keeps the claims asked for by name (OIDC Core §5.5) and reads back only names of claims it knows', async () => {
    const who = await party();
    const id = await grants.create(newGrant(who, { claims: { userinfo: ['email', 'phone_number'], id_token: ['given_name'] } }), MINUTE);
    expect((await grants.findGrant(id))!.claims).toEqual({ userinfo: ['email', 'phone_number'], id_token: ['given_name'] });
    // A row changed by hand: whatever is not a known claim's name is dropped, not released.
    await query(p.databaseUrl, `update grants set claims = '{"userinfo":["email",1,"password_hash","__proto__"],"id_token":"x"}'::jsonb where id = $1`, [id]);
    expect((await grants.findGrant(id))!.claims).toEqual({ userinfo: ['email'], id_token: [] });
    expect((await grants.findGrant(await grants.create(newGrant(who), MINUTE)))!.claims).toBeNull();
  });

  it('keeps a user id of 255 characters (a fake-mode subject) exactly, and lists by it', async () => {
    const { clientId } = await party();
    // Visible ASCII with SQL's own quoting and pattern characters in it.
    const userId = await userWithId(`'%_"\\`.padEnd(255, 'z'));
    const id = await grants.create(newGrant({ userId, clientId }), MINUTE);
    expect((await grants.findGrant(id))?.userId).toBe(userId);
    expect((await grants.list({ userId }, 10)).map((g) => g.id)).toEqual([id]);
    expect(await grants.list({ userId: userId.slice(0, 254) }, 10)).toEqual([]);
  });

  it('isActive until the instant of expiry, not 1 ms longer; a tolerance extends that by exactly its length', async () => {
    const id = await grants.create(newGrant(await party()), 10 * MINUTE);
    const expiry = (await grants.findGrant(id))!.expiresAt;
    clock.set(expiry - 1);
    expect(await grants.isActive(id)).toBe(true);
    clock.set(expiry);
    expect(await grants.isActive(id)).toBe(false);
    // Access tokens are checked with a clock tolerance: the grant counts as alive that much longer.
    expect(await grants.isActive(id, 30 * SECOND)).toBe(true);
    clock.set(expiry + 30 * SECOND - 1);
    expect(await grants.isActive(id, 30 * SECOND)).toBe(true);
    clock.set(expiry + 30 * SECOND);
    expect(await grants.isActive(id, 30 * SECOND)).toBe(false);
    expect(await grants.isActive('00000000-0000-4000-8000-000000000000')).toBe(false);
  });

  it('revoke ends the grant at once, whatever the tolerance; a second revocation keeps the first time', async () => {
    const id = await grants.create(newGrant(await party()), HOUR);
    const other = await grants.create(newGrant(await party()), HOUR);
    const revokedAt = clock.now();
    await grants.revoke(id);
    expect(await grants.isActive(id)).toBe(false);
    expect(await grants.isActive(id, HOUR)).toBe(false);
    expect((await grants.findGrant(id))?.revokedAt).toBe(revokedAt);
    clock.advance(MINUTE);
    await grants.revoke(id);
    // When it was revoked is a fact for the audit trail: repeating the act does not move it.
    expect((await grants.findGrant(id))?.revokedAt).toBe(revokedAt);
    expect(await grants.isActive(other)).toBe(true);
    await expect(grants.revoke('00000000-0000-4000-8000-000000000000')).resolves.toBeUndefined();
    await expect(grants.revoke('not-a-uuid')).resolves.toBeUndefined();
  });

  it('revoking a grant ends its refresh tokens: the refresh is refused and writes nothing', async () => {
    // RFC 7009 §2.1: revoking the grant invalidates its refresh tokens; the refusal must not mark
    // the token used or count a refresh.
    const { grantId, token, record } = await withRefreshToken(await party());
    await grants.revoke(grantId);
    const before = await grants.findGrant(grantId);
    clock.advance(SECOND);
    expect(await grants.refresh(record, HOUR, null)).toBe('grant-refused');
    expect(await grants.findRefreshToken(token)).toEqual(record); // not marked used
    expect(await grants.findGrant(grantId)).toEqual(before); // neither counted nor extended
    expect(await refreshRows(grantId)).toBe(1);
  });

  it('revokeBySession ends the grants of one browser session, all or one client’s, and names each client once', async () => {
    const user = await p.createUser();
    const [a, b] = [await p.createClient(), await p.createClient()];
    const sid = `sid-logout-${randomBytes(6).toString('hex')}`;
    const ofA1 = await grants.create(newGrant({ userId: user.id, clientId: a.clientId }, { sid }), HOUR);
    const ofA2 = await grants.create(newGrant({ userId: user.id, clientId: a.clientId }, { sid }), HOUR);
    const ofB = await grants.create(newGrant({ userId: user.id, clientId: b.clientId }, { sid }), HOUR);
    const otherSession = await grants.create(newGrant({ userId: user.id, clientId: a.clientId }), HOUR);
    const noSession = await grants.create(newGrant({ userId: user.id, clientId: a.clientId }, { sid: null }), HOUR);

    // One client's logout (a client without logout_all) leaves the other clients' grants alone.
    const bAt = clock.now();
    expect(await grants.revokeBySession(sid, b.clientId)).toEqual([b.clientId]);
    expect(await grants.isActive(ofB)).toBe(false);
    expect(await grants.isActive(ofA1)).toBe(true);
    expect(await grants.isActive(ofA2)).toBe(true);

    clock.advance(MINUTE);
    const ended = await grants.revokeBySession(sid);
    // The back-channel logout goes to each client once, however many grants it had in the session.
    expect(ended.filter((c) => c === a.clientId)).toHaveLength(1);
    expect(new Set(ended).size).toBe(ended.length);
    expect(ended.every((c) => c === a.clientId || c === b.clientId)).toBe(true);
    for (const id of [ofA1, ofA2]) expect((await grants.findGrant(id))?.revokedAt).toBe(clock.now());
    expect((await grants.findGrant(ofB))?.revokedAt).toBe(bAt);
    expect(await grants.isActive(otherSession)).toBe(true);
    expect(await grants.isActive(noSession)).toBe(true);

    expect(await grants.revokeBySession('no-such-session')).toEqual([]);
    expect(await grants.revokeBySession(sid.slice(0, -1))).toEqual([]); // an exact match, never a prefix
  });

  it('revokeAllOfUser ends every grant of the user and only theirs, keeping earlier revocation times', async () => {
    const user = await p.createUser();
    const other = await p.createUser();
    const [a, b] = [await p.createClient(), await p.createClient()];
    const earlier = await grants.create(newGrant({ userId: user.id, clientId: a.clientId }), HOUR);
    await grants.revoke(earlier);
    const earlierAt = clock.now();
    clock.advance(MINUTE);
    const live = [await grants.create(newGrant({ userId: user.id, clientId: a.clientId }), HOUR), await grants.create(newGrant({ userId: user.id, clientId: b.clientId }, { sid: null }), HOUR)];
    const theirs = await grants.create(newGrant({ userId: other.id, clientId: a.clientId }), HOUR);
    const { grantId: refreshed, record } = await withRefreshToken({ userId: user.id, clientId: b.clientId });

    clock.advance(MINUTE);
    await grants.revokeAllOfUser(user.id);
    for (const id of [...live, refreshed]) {
      expect(await grants.isActive(id)).toBe(false);
      expect((await grants.findGrant(id))?.revokedAt).toBe(clock.now());
    }
    expect((await grants.findGrant(earlier))?.revokedAt).toBe(earlierAt);
    expect(await grants.isActive(theirs)).toBe(true);
    expect(await grants.refresh(record, HOUR, null)).toBe('grant-refused');
  });
});

describe('GrantStore: a user\'s own view', () => {
  it('revokeOfUserAndClient ends that user\'s grants with that client only, names the active ones, and keeps earlier revocation times', async () => {
    const [user, other] = [await p.createUser(), await p.createUser()];
    const [shop, elsewhere] = [await p.createClient(), await p.createClient()];
    const earlier = await grants.create(newGrant({ userId: user.id, clientId: shop.clientId }), HOUR);
    await grants.revoke(earlier);
    const earlierAt = clock.now();
    const expired = await grants.create(newGrant({ userId: user.id, clientId: shop.clientId }), MINUTE);
    clock.advance(2 * MINUTE);
    const live = await grants.create(newGrant({ userId: user.id, clientId: shop.clientId }), HOUR);
    const { grantId: refreshed, record } = await withRefreshToken({ userId: user.id, clientId: shop.clientId });
    const otherClient = await grants.create(newGrant({ userId: user.id, clientId: elsewhere.clientId }), HOUR);
    const otherUser = await grants.create(newGrant({ userId: other.id, clientId: shop.clientId }), HOUR);

    expect((await grants.revokeOfUserAndClient(user.id, shop.clientId)).sort()).toEqual([live, refreshed].sort());
    for (const id of [live, refreshed]) expect(await grants.isActive(id)).toBe(false);
    expect(await grants.refresh(record, HOUR, null)).toBe('grant-refused');
    expect((await grants.findGrant(expired))?.revokedAt).toBe(clock.now());
    expect((await grants.findGrant(earlier))?.revokedAt).toBe(earlierAt);
    expect(await grants.isActive(otherClient)).toBe(true);
    expect(await grants.isActive(otherUser)).toBe(true);
    expect(await grants.revokeOfUserAndClient(user.id, shop.clientId)).toEqual([]);
  });

  it('summaryOfUser sums a user\'s grants per client: active ones and their scopes, the oldest not revoked, the last issuance', async () => {
    const [user, other] = [await p.createUser(), await p.createUser()];
    const [shop, gone] = [await p.createClient(), await p.createClient()];
    const revoked = await grants.create(newGrant({ userId: user.id, clientId: shop.clientId }, { scope: 'openid phone' }), HOUR);
    await grants.revoke(revoked);
    clock.advance(MINUTE);
    const firstAt = clock.now();
    await grants.create(newGrant({ userId: user.id, clientId: shop.clientId }, { scope: 'openid profile' }), HOUR);
    clock.advance(MINUTE);
    const { record } = await withRefreshToken({ userId: user.id, clientId: shop.clientId });
    clock.advance(MINUTE);
    expect(typeof (await grants.refresh(record, HOUR, null))).toBe('object');
    const refreshedAt = clock.now();
    const dead = await grants.create(newGrant({ userId: user.id, clientId: gone.clientId }), HOUR);
    await grants.revoke(dead);
    await grants.create(newGrant({ userId: other.id, clientId: shop.clientId }, { scope: 'openid address' }), HOUR);

    const byClient = (a: { clientId: string }, b: { clientId: string }) => (a.clientId < b.clientId ? -1 : 1);
    expect((await grants.summaryOfUser(user.id)).sort(byClient)).toEqual(
      [
        { clientId: shop.clientId, activeGrants: 2, activeScopes: ['offline_access', 'openid', 'profile'], firstGrantedAt: firstAt, lastIssuedAt: refreshedAt },
        { clientId: gone.clientId, activeGrants: 0, activeScopes: [], firstGrantedAt: null, lastIssuedAt: refreshedAt },
      ].sort(byClient),
    );
    expect(await grants.summaryOfUser(`' or '1'='1`)).toEqual([]);
  });
});

describe('GrantStore.list', () => {
  it('reads back what findGrant does, revoked and expired grants included, newest first and by id within an instant', async () => {
    const user = await p.createUser();
    const [a, b] = [await p.createClient(), await p.createClient()];
    const older = await grants.create(newGrant({ userId: user.id, clientId: a.clientId }), MINUTE);
    clock.advance(SECOND);
    // Three grants in one instant: the order among them is by id, the same on every call.
    const sameInstant = [
      await grants.create(newGrant({ userId: user.id, clientId: a.clientId }), HOUR),
      await grants.create(newGrant({ userId: user.id, clientId: b.clientId }), HOUR),
      await grants.create(newGrant({ userId: user.id, clientId: a.clientId }), HOUR),
    ];
    await grants.revoke(sameInstant[1]!);
    clock.advance(2 * MINUTE); // `older` has expired: the administration still sees it

    const all = await grants.list({ userId: user.id }, 10);
    expect(all.map((g) => g.id)).toEqual([...[...sameInstant].sort(), older]);
    for (const g of all) expect(g).toEqual(await grants.findGrant(g.id));
    expect(all.find((g) => g.id === sameInstant[1])?.revokedAt).not.toBeNull();

    // At most `limit`, the newest ones; a fractional limit is rounded down.
    expect((await grants.list({ userId: user.id }, 2)).map((g) => g.id)).toEqual(all.slice(0, 2).map((g) => g.id));
    expect((await grants.list({ userId: user.id }, 3.9)).map((g) => g.id)).toEqual(all.slice(0, 3).map((g) => g.id));
    expect(await grants.list({ userId: user.id }, 1)).toHaveLength(1);

    // Both filters at once: their intersection, not their union.
    expect((await grants.list({ userId: user.id, clientId: b.clientId }, 10)).map((g) => g.id)).toEqual([sameInstant[1]]);
    expect(await grants.list({ userId: (await p.createUser()).id, clientId: a.clientId }, 10)).toEqual([]);
    expect((await grants.list({ clientId: b.clientId }, 10)).map((g) => g.id)).toEqual([sameInstant[1]]);
    // Filter values are data, never SQL.
    expect(await grants.list({ userId: `' or '1'='1` }, 10)).toEqual([]);
    await expect(grants.list({}, 10)).rejects.toThrow(/give a user, a client or both/);
  });
});

describe('GrantStore: authorization codes', () => {
  it('createWithCode stores the grant and its code; findCode reads every field back, the code kept only as its SHA-256', async () => {
    const who = await party();
    const given = newGrant(who);
    const { code, grantId, record } = await withCode(given, { redirectUri: 'https://rp.example/cb?x=1', codeChallenge: CHALLENGE, ttlMs: MINUTE });
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 random bits (RFC 6749 §10.10)
    expect(record).toEqual({
      codeHash: sha256(code),
      grantId,
      clientId: who.clientId,
      redirectUri: 'https://rp.example/cb?x=1',
      codeChallenge: CHALLENGE,
      scope: given.scope,
      expiresAt: clock.now() + MINUTE,
      consumedAt: null,
      dpopJkt: null,
    });
    // As long as its code, when nothing else was issued.
    expect(await grants.findGrant(grantId)).toEqual(storedGrant(grantId, who, given, { expiresAt: clock.now() + MINUTE, createdAt: clock.now() }));

    // A request without redirect_uri or PKCE: both stay null, not empty strings.
    const bare = await withCode(newGrant(who), { redirectUri: null, codeChallenge: null, ttlMs: MINUTE });
    expect(bare.record).toMatchObject({ redirectUri: null, codeChallenge: null });
    expect(bare.code).not.toBe(code);

    // What the table holds cannot be presented as the code; nor can anything over-long or unknown.
    expect(await grants.findCode(record.codeHash)).toBeUndefined();
    expect(await grants.findCode(randomBytes(32).toString('base64url'))).toBeUndefined();
    expect(await grants.findCode('x'.repeat(257))).toBeUndefined();
  });

  it('the grant of a code outlives it when tokens are issued with the code (hybrid flows), never the reverse', async () => {
    const who = await party();
    const hybrid = await withCode(newGrant(who), { redirectUri: null, codeChallenge: null, ttlMs: MINUTE }, 10 * MINUTE);
    expect(hybrid.record.expiresAt).toBe(clock.now() + MINUTE);
    expect((await grants.findGrant(hybrid.grantId))?.expiresAt).toBe(clock.now() + 10 * MINUTE);
    const shorter = await withCode(newGrant(who), { redirectUri: null, codeChallenge: null, ttlMs: 2 * MINUTE }, SECOND);
    expect((await grants.findGrant(shorter.grantId))?.expiresAt).toBe(clock.now() + 2 * MINUTE);

    clock.advance(10 * MINUTE - 1);
    expect(await grants.isActive(hybrid.grantId)).toBe(true);
    clock.advance(1);
    expect(await grants.isActive(hybrid.grantId)).toBe(false);
  });

  it('createWithCode is all or nothing: when the code cannot be stored, no grant is left behind', async () => {
    const who = await party();
    // A challenge longer than its column: the code's insert fails after the grant's.
    await expect(grants.createWithCode(newGrant(who), { redirectUri: null, codeChallenge: 'c'.repeat(129), ttlMs: MINUTE })).rejects.toThrow();
    expect(await grants.list({ userId: who.userId }, 10)).toEqual([]);
  });

  it('redeemCode with a refresh token marks the code used and stores the grant’s refresh token; the grant lives as long', async () => {
    const who = await party();
    const { code, grantId, record } = await withCode(newGrant(who));
    clock.advance(30 * SECOND);
    const token = refreshTokenOf(await grants.redeemCode(record, HOUR, 5 * MINUTE));
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await grants.findCode(code))?.consumedAt).toBe(clock.now());
    const stored = await grants.findRefreshToken(token);
    expect(stored).toEqual({ tokenHash: sha256(token), grantId, clientId: who.clientId, scope: record.scope, expiresAt: clock.now() + HOUR, rotatedAt: null, dpopJkt: null });
    const grant = (await grants.findGrant(grantId))!;
    expect(grant.refreshCount).toBe(0); // a code redemption is not a refresh
    expect(grant.expiresAt).toBe(clock.now() + HOUR);
    expect(await refreshRows(grantId)).toBe(1);

    // The refresh token never dies before the access token issued with it.
    const longAccess = await withCode(newGrant(who));
    const other = refreshTokenOf(await grants.redeemCode(longAccess.record, MINUTE, 2 * HOUR));
    expect((await grants.findRefreshToken(other))?.expiresAt).toBe(clock.now() + 2 * HOUR);
    expect((await grants.findGrant(longAccess.grantId))?.expiresAt).toBe(clock.now() + 2 * HOUR);

    clock.advance(HOUR - 1);
    expect(await grants.isActive(grantId)).toBe(true);
    clock.advance(1);
    expect(await grants.isActive(grantId)).toBe(false);
  });

  it('redeemCode without a refresh token marks the code used and keeps the grant for the access token’s life, never shorter', async () => {
    const who = await party();
    const { code, grantId, record } = await withCode(newGrant(who), { redirectUri: null, codeChallenge: null, ttlMs: 10 * MINUTE });
    const createdExpiry = (await grants.findGrant(grantId))!.expiresAt;
    clock.advance(MINUTE);
    expect(await grants.redeemCode(record, null, 5 * MINUTE)).toEqual({});
    expect((await grants.findCode(code))?.consumedAt).toBe(clock.now());
    expect((await grants.findGrant(grantId))?.expiresAt).toBe(createdExpiry); // already longer than the access token
    expect(await refreshRows(grantId)).toBe(0);

    const second = await withCode(newGrant(who), { redirectUri: null, codeChallenge: null, ttlMs: MINUTE });
    clock.advance(30 * SECOND);
    expect(await grants.redeemCode(second.record, null, 5 * MINUTE)).toEqual({});
    const until = clock.now() + 5 * MINUTE;
    expect((await grants.findGrant(second.grantId))?.expiresAt).toBe(until);
    clock.set(until - 1);
    expect(await grants.isActive(second.grantId)).toBe(true);
    clock.set(until);
    expect(await grants.isActive(second.grantId)).toBe(false);
  });

  it('of 20 parallel redemptions of one code exactly one yields a refresh token, the others are replayed; one token stored', async () => {
    // RFC 6749 §4.1.2: a code is used once; racing token requests must not each get tokens
    // (docs/SECURITY.md TK-02). The losers are 'replayed', which the token endpoint turns into
    // revoking the grant.
    const { code, grantId, record } = await withCode(newGrant(await party()));
    const outcomes = await burst(20, () => grants.redeemCode(record, HOUR, 5 * MINUTE));
    expect(tally(outcomes)).toEqual({ refreshToken: 1, replayed: 19 });
    const won = outcomes.filter((o) => typeof o === 'object');
    expect((await grants.findRefreshToken(refreshTokenOf(won[0])))?.grantId).toBe(grantId);
    expect(await refreshRows(grantId)).toBe(1);
    expect((await grants.findCode(code))?.consumedAt).toBe(clock.now());
  });

  it('of 20 parallel redemptions of one code without refresh tokens exactly one succeeds, the others are replayed', async () => {
    const { code, grantId, record } = await withCode(newGrant(await party()));
    const outcomes = await burst(20, () => grants.redeemCode(record, null, 5 * MINUTE));
    expect(tally(outcomes)).toEqual({ issued: 1, replayed: 19 });
    expect((await grants.findCode(code))?.consumedAt).toBe(clock.now());
    expect(await refreshRows(grantId)).toBe(0);
  });

  it('a code presented again after its redemption (no refresh token) is replayed and changes nothing', async () => {
    const { code, grantId, record } = await withCode(newGrant(await party()));
    expect(await grants.redeemCode(record, null, 5 * MINUTE)).toEqual({});
    const [grant, used] = [await grants.findGrant(grantId), await grants.findCode(code)];
    clock.advance(MINUTE);
    expect(await grants.redeemCode(record, null, 5 * MINUTE)).toBe('replayed');
    expect(await grants.findGrant(grantId)).toEqual(grant);
    expect(await grants.findCode(code)).toEqual(used);
  });

  it('a code presented again after its redemption (with a refresh token) is replayed and changes nothing', async () => {
    const { code, grantId, record } = await withCode(newGrant(await party()));
    refreshTokenOf(await grants.redeemCode(record, HOUR, 5 * MINUTE));
    const [grant, used] = [await grants.findGrant(grantId), await grants.findCode(code)];
    clock.advance(MINUTE);
    expect(await grants.redeemCode(record, HOUR, 5 * MINUTE)).toBe('replayed');
    // The redemption is one statement "so that all of it happens or none": a replay yields no
    // token, so it must not lengthen the grant's life either.
    expect(await grants.findGrant(grantId)).toEqual(grant);
    expect(await grants.findCode(code)).toEqual(used);
    expect(await refreshRows(grantId)).toBe(1);
  });

  it('a code of a revoked grant yields nothing: with a refresh token the code stays unused; without, it is spent', async () => {
    const who = await party();
    const withRefresh = await withCode(newGrant(who));
    await grants.revoke(withRefresh.grantId);
    const grant = await grants.findGrant(withRefresh.grantId);
    clock.advance(SECOND);
    expect(await grants.redeemCode(withRefresh.record, HOUR, 5 * MINUTE)).toBe('grant-refused');
    expect(await grants.findCode(withRefresh.code)).toEqual(withRefresh.record);
    expect(await grants.findGrant(withRefresh.grantId)).toEqual(grant);
    expect(await refreshRows(withRefresh.grantId)).toBe(0);

    const without = await withCode(newGrant(who));
    await grants.revoke(without.grantId);
    const revoked = await grants.findGrant(without.grantId);
    clock.advance(SECOND);
    expect(await grants.redeemCode(without.record, null, HOUR)).toBe('grant-refused');
    // Documented for this branch: the code is spent, but the revoked grant is not extended.
    expect((await grants.findCode(without.code))?.consumedAt).toBe(clock.now());
    expect(await grants.findGrant(without.grantId)).toEqual(revoked);
  });
});

describe('GrantStore: refresh tokens', () => {
  it('findRefreshToken and findRefreshTokenWithGrant read back the token and its grant exactly; unknown and over-long values find nothing', async () => {
    const who = await party();
    const { grantId, token, record } = await withRefreshToken(who);
    expect(record).toEqual({ tokenHash: sha256(token), grantId, clientId: who.clientId, scope: 'openid profile offline_access', expiresAt: clock.now() + HOUR, rotatedAt: null, dpopJkt: null });
    const joined = await grants.findRefreshTokenWithGrant(token);
    expect(joined?.record).toEqual(record);
    expect(joined?.grant).toEqual(await grants.findGrant(grantId));
    expect(joined?.grant).toMatchObject({ amr: ['pwd', 'otp'], acr: 'urn:example:loa:2', revokedAt: null });

    await grants.revoke(grantId);
    expect((await grants.findRefreshTokenWithGrant(token))?.grant).toEqual(await grants.findGrant(grantId));
    expect((await grants.findRefreshTokenWithGrant(token))?.grant?.revokedAt).toBe(clock.now());

    for (const wrong of [record.tokenHash, randomBytes(32).toString('base64url'), 'x'.repeat(257)]) {
      expect(await grants.findRefreshToken(wrong)).toBeUndefined();
      expect(await grants.findRefreshTokenWithGrant(wrong)).toBeUndefined();
    }
  });

  it('refresh rotates: the presented token is marked used, a successor carries the grant’s scope; the grant counts it and lives as long', async () => {
    const who = await party();
    const { grantId, token, record } = await withRefreshToken(who);
    clock.advance(MINUTE);
    const next = refreshTokenOf(await grants.refresh(record, 2 * HOUR, null));
    expect(next).not.toBe(token);
    expect((await grants.findRefreshToken(token))?.rotatedAt).toBe(clock.now());
    expect(await grants.findRefreshToken(next)).toEqual({ tokenHash: sha256(next), grantId, clientId: who.clientId, scope: record.scope, expiresAt: clock.now() + 2 * HOUR, rotatedAt: null, dpopJkt: null });
    const grant = (await grants.findGrant(grantId))!;
    expect(grant.refreshCount).toBe(1);
    expect(grant.expiresAt).toBe(clock.now() + 2 * HOUR);

    // The successor rotates in turn; a shorter lifetime never shortens the grant.
    clock.advance(MINUTE);
    const third = refreshTokenOf(await grants.refresh((await grants.findRefreshToken(next))!, MINUTE, null));
    expect((await grants.findRefreshToken(third))?.expiresAt).toBe(clock.now() + MINUTE);
    expect(await grants.findGrant(grantId)).toMatchObject({ refreshCount: 2, expiresAt: grant.expiresAt });

    clock.set(grant.expiresAt - 1);
    expect(await grants.isActive(grantId)).toBe(true);
    clock.set(grant.expiresAt);
    expect(await grants.isActive(grantId)).toBe(false);
  });

  it('with maxRefresh a grant refreshes that many times; the next refresh is refused and writes nothing', async () => {
    const { grantId, record } = await withRefreshToken(await party());
    let current: RefreshTokenRecord = record;
    let value = '';
    for (let i = 0; i < 2; i++) {
      value = refreshTokenOf(await grants.refresh(current, HOUR, 2));
      current = (await grants.findRefreshToken(value))!;
      clock.advance(SECOND);
    }
    const before = await grants.findGrant(grantId);
    expect(before?.refreshCount).toBe(2);
    expect(await grants.refresh(current, HOUR, 2)).toBe('grant-refused');
    expect(await grants.findRefreshToken(value)).toEqual(current); // not marked used
    expect(await grants.findGrant(grantId)).toEqual(before);
    expect(await refreshRows(grantId)).toBe(3);
    // The refused token is still unused: with a higher limit it refreshes.
    expect(typeof (await grants.refresh(current, HOUR, 3))).toBe('object');

    // No limit: refreshes go on past any count.
    let unlimited: RefreshTokenRecord = (await withRefreshToken(await party())).record;
    for (let i = 0; i < 4; i++) unlimited = (await grants.findRefreshToken(refreshTokenOf(await grants.refresh(unlimited, HOUR, null))))!;
    expect((await grants.findGrant(unlimited.grantId))?.refreshCount).toBe(4);
  });

  it('of 20 parallel refreshes with one token exactly one yields a successor, the others are replayed; one successor stored', async () => {
    // RFC 9700 §4.14.2: with rotation a refresh token is used once; of parallel uses one gets the
    // successor and the rest are replays (docs/SECURITY.md TK-19).
    const { grantId, token, record } = await withRefreshToken(await party());
    clock.advance(SECOND);
    const outcomes = await burst(20, () => grants.refresh(record, HOUR, null));
    expect(tally(outcomes)).toEqual({ refreshToken: 1, replayed: 19 });
    const won = outcomes.filter((o) => typeof o === 'object');
    expect((await grants.findRefreshToken(refreshTokenOf(won[0])))).toMatchObject({ grantId, rotatedAt: null });
    expect((await grants.findRefreshToken(token))?.rotatedAt).toBe(clock.now());
    expect(await refreshRows(grantId)).toBe(2);
  });

  it('a rotated refresh token presented again is replayed and changes nothing: no refresh counted, no longer life', async () => {
    const { grantId, token, record } = await withRefreshToken(await party());
    refreshTokenOf(await grants.refresh(record, HOUR, null));
    const [grant, used] = [await grants.findGrant(grantId), await grants.findRefreshToken(token)];
    expect(grant?.refreshCount).toBe(1);
    clock.advance(MINUTE);
    expect(await grants.refresh(record, HOUR, null)).toBe('replayed');
    // No successor was issued: no refresh happened to count (MAX_REFRESH counts refreshes), and
    // the grant has no new token to live for.
    expect(await grants.findGrant(grantId)).toEqual(grant);
    expect(await grants.findRefreshToken(token)).toEqual(used);
    expect(await refreshRows(grantId)).toBe(2);
  });

  it('with maxRefresh, 20 parallel refreshes with one token still give one successor and 19 replays, and count one refresh', async () => {
    // RFC 9700 §4.14.2: the losers are replays of a used token, which the token endpoint answers by
    // revoking the grant; a limit on refreshes must not turn them into another refusal, nor be used
    // up by refreshes that yielded nothing.
    const { grantId, record } = await withRefreshToken(await party());
    clock.advance(SECOND);
    const outcomes = await burst(20, () => grants.refresh(record, HOUR, 5));
    expect(tally(outcomes)).toEqual({ refreshToken: 1, replayed: 19 });
    const won = outcomes.filter((o) => typeof o === 'object');
    expect((await grants.findGrant(grantId))?.refreshCount).toBe(1);
    const successor = (await grants.findRefreshToken(refreshTokenOf(won[0])))!;
    expect(typeof (await grants.refresh(successor, HOUR, 5))).toBe('object');
  });
});

describe('GrantStore: DPoP bindings (RFC 9449 §5, §10)', () => {
  it('DP-07 DP-13 a code keeps its dpop_jkt; a refresh token redeemed with a key is bound to it, and its successor too', async () => {
    const who = await party();
    const jkt = 'A'.repeat(43);
    const { record } = await withCode(newGrant(who), { redirectUri: null, codeChallenge: null, dpopJkt: jkt, ttlMs: MINUTE });
    expect(record.dpopJkt).toBe(jkt);
    const first = refreshTokenOf(await grants.redeemCode(record, HOUR, MINUTE, jkt));
    const stored = (await grants.findRefreshToken(first))!;
    expect(stored.dpopJkt).toBe(jkt);
    const next = refreshTokenOf(await grants.refresh(stored, HOUR, null));
    expect((await grants.findRefreshTokenWithGrant(next))?.record.dpopJkt).toBe(jkt);
  });
});

describe('GrantStore: revoked access tokens', () => {
  it('remembers a revoked jti, only that one; revoking it again is harmless', async () => {
    const jti = randomBytes(16).toString('base64url');
    const other = randomBytes(16).toString('base64url');
    expect(await grants.isAccessTokenRevoked(jti)).toBe(false);
    await grants.revokeAccessToken(jti, clock.now() + 5 * MINUTE);
    expect(await grants.isAccessTokenRevoked(jti)).toBe(true);
    expect(await grants.isAccessTokenRevoked(other)).toBe(false);
    expect(await grants.isAccessTokenRevoked(jti.slice(0, -1))).toBe(false);
    // RFC 7009 §2.2: revoking an already revoked token succeeds all the same.
    await expect(grants.revokeAccessToken(jti, clock.now() + HOUR)).resolves.toBeUndefined();
    await Promise.all(Array.from({ length: 10 }, () => grants.revokeAccessToken(other, clock.now() + MINUTE)));
    expect(await grants.isAccessTokenRevoked(other)).toBe(true);
  });
});
