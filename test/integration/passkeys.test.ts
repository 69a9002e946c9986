/**
 * Passkeys without a browser (src/users/passkeys.ts, src/users/factor-store.ts,
 * src/graphql/passkey-resolver.ts, src/interaction/passkey-step.ts), against a real provider
 * with an injected clock and a software authenticator (test/support/soft-authenticator.ts: an
 * ES256 key, WebAuthn L2 §6.1 authenticator data, attestation `none`): registration over
 * GraphQL, the single use and the lifetime of challenges, the signature counter (WebAuthn L2
 * §6.1.1) and its compare-and-set, origin and RP ID, another user's credential, user
 * verification and the user handle of passwordless sign-in. Rows PK-* of docs/SECURITY.md.
 */
import { randomBytes, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { InteractionRequest } from '../../src/provider/stores/interaction-request.js';
import { advancePasskeyCounter, confirmPendingPasskey, listPasskeys, replacePendingPasskey } from '../../src/users/factor-store.js';
import { PASSKEY_CEREMONY_MS, PasskeyService, relyingPartyOf } from '../../src/users/passkeys.js';
import { BE_BS, softAuthenticator, UP, UV, type SoftAuthenticator } from '../support/soft-authenticator.js';
import { authorizeUrl, browse, CookieJar, gql, login, pkcePair, postForm, startProvider, tokenRequest, tokensFor, type TestProvider } from '../support/provider.js';

const clock = new ManualClock(Date.now());
let p: TestProvider;
let account: { clientId: string; clientSecret?: string; redirectUri: string };
let shop: { clientId: string; clientSecret?: string; redirectUri: string };

beforeAll(async () => {
  p = await startProvider({ JWT_OIDC_PASSKEY_LOGIN: 'true' }, { captureLogs: true, clock });
  account = await p.createClient({ name: 'Account', firstParty: true, redirectUris: ['https://account.example/cb'] });
  shop = await p.createClient({ name: 'Shop', redirectUris: ['https://shop.example/cb'] });
});
afterAll(() => p?.close());

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const authenticator = () => softAuthenticator(p.issuer);
type Authenticator = SoftAuthenticator;

const passkeys = () => new PasskeyService({ em: p.db.orm.em, clock, rp: relyingPartyOf(p.issuer, 'Test') });

/** A user with the authenticator's credential registered directly in the store; its user handle. */
async function registered(a: Authenticator, user?: { id: string }, flags = { backedUp: false, deviceType: 'singleDevice' }): Promise<{ userId: string; userHandle: string; factorId: string }> {
  const userId = user?.id ?? (await p.createUser()).id;
  const userHandle = b64(randomBytes(32));
  const now = clock.now();
  const factorId = await replacePendingPasskey(p.db.orm.em, { userId, challenge: 'c', userHandle, now });
  await p.db.orm.em.fork().transactional((em) =>
    confirmPendingPasskey(em, { userId, id: factorId, challenge: 'c', name: 'Key', credential: { credentialId: a.credentialId, publicKey: a.publicKey, counter: 0, transports: ['internal'], ...flags }, now, since: now - 1000 }),
  );
  return { userId, userHandle, factorId };
}

/** An interaction with a passkey challenge offered; `take` spends it as the sign-in posts do. */
async function offered(challenge = b64(randomBytes(32))) {
  const { uid } = await p.provider!.interactions.create({ clientId: shop.clientId } as unknown as InteractionRequest, null);
  await p.provider!.interactions.offerPasskeyChallenge(uid, challenge);
  return { uid, challenge, take: (c: string) => p.provider!.interactions.takePasskeyChallenge(uid, c, clock.now() - PASSKEY_CEREMONY_MS) };
}

describe('challenges', () => {
  it('PK-01 a challenge is spent once: of ten parallel takes exactly one wins; another value never', async () => {
    const { challenge, take } = await offered();
    expect(await take('not the challenge')).toBe(false);
    const results = await Promise.all(Array.from({ length: 10 }, () => take(challenge)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await take(challenge)).toBe(false);
  });

  it('PK-09 a challenge lives 5 minutes under the injected clock, and an answer to an old one is refused', async () => {
    const first = await offered();
    clock.advance(PASSKEY_CEREMONY_MS - 1000);
    expect(await first.take(first.challenge)).toBe(true);
    const second = await offered();
    clock.advance(PASSKEY_CEREMONY_MS + 1000);
    expect(await second.take(second.challenge)).toBe(false);
  });
});

describe('assertions', () => {
  it('PK-02 a counter that does not increase is refused as a cloned authenticator; the counter moves by compare-and-set', async () => {
    const a = authenticator();
    const { userId, factorId } = await registered(a);
    const verify = async (counter: number) => {
      const { challenge, take } = await offered();
      return passkeys().verifyAssertion({ responseJson: a.assert({ challenge, counter }), takeChallenge: take, userId, requireUserVerification: false });
    };
    expect(await verify(5)).toMatchObject({ ok: true, userId, amr: ['hwk', 'user'] });
    const [row] = await listPasskeys(p.db.orm.em, userId);
    expect(row).toMatchObject({ counter: 5 });
    expect(row!.lastUsedAt?.getTime()).toBe(clock.now());
    for (const behind of [5, 4, 0]) expect(await verify(behind)).toMatchObject({ ok: false, reason: 'cloned' });
    expect(await verify(6)).toMatchObject({ ok: true });

    // Parallel moves from the value seen: exactly one.
    const moves = await Promise.all(Array.from({ length: 10 }, () => advancePasskeyCounter(p.db.orm.em, { id: factorId, seen: 6, counter: 7, backedUp: false, now: clock.now() })));
    expect(moves.filter(Boolean)).toHaveLength(1);
    expect(await verify(7)).toMatchObject({ ok: false, reason: 'cloned' });
  });

  it('PK-02 an authenticator without a counter (always 0) is accepted each time; a backed-up passkey is swk', async () => {
    const a = authenticator();
    const { userId } = await registered(a, undefined, { backedUp: true, deviceType: 'multiDevice' });
    for (let i = 0; i < 2; i++) {
      const { challenge, take } = await offered();
      expect(await passkeys().verifyAssertion({ responseJson: a.assert({ challenge, counter: 0, flags: UP | UV | BE_BS }), takeChallenge: take, userId, requireUserVerification: false })).toMatchObject({ ok: true, amr: ['swk', 'user'] });
    }
  });

  it('PK-06 an answer for another origin or another RP ID is refused, and spends the challenge', async () => {
    const a = authenticator();
    const { userId } = await registered(a);
    for (const wrong of [{ origin: 'https://evil.example' }, { rpId: 'evil.example' }]) {
      const { challenge, take } = await offered();
      expect(await passkeys().verifyAssertion({ responseJson: a.assert({ challenge, counter: 1, ...wrong }), takeChallenge: take, userId, requireUserVerification: false })).toMatchObject({ ok: false, reason: 'invalid' });
      expect(await passkeys().verifyAssertion({ responseJson: a.assert({ challenge, counter: 1 }), takeChallenge: take, userId, requireUserVerification: false })).toMatchObject({ ok: false, reason: 'challenge' });
    }
  });

  it('PK-05 another user\'s passkey is no second factor of this user; a changed signature is refused', async () => {
    const a = authenticator();
    await registered(a);
    const someoneElse = await p.createUser();
    const { challenge, take } = await offered();
    expect(await passkeys().verifyAssertion({ responseJson: a.assert({ challenge, counter: 1 }), takeChallenge: take, userId: someoneElse.id, requireUserVerification: false })).toMatchObject({ ok: false, reason: 'other-user' });

    const b = authenticator();
    const { userId } = await registered(b);
    const second = await offered();
    const forged = JSON.parse(b.assert({ challenge: second.challenge, counter: 1 }));
    forged.response.signature = b64(sign('sha256', Buffer.from('something else'), b.key));
    expect(await passkeys().verifyAssertion({ responseJson: JSON.stringify(forged), takeChallenge: second.take, userId, requireUserVerification: false })).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('PK-07 passwordless: user verification required, and the user handle must be the passkey\'s', async () => {
    const a = authenticator();
    const { userId, userHandle } = await registered(a);
    const attempt = async (o: { flags?: number; userHandle?: string }) => {
      const { challenge, take } = await offered();
      return passkeys().verifyAssertion({ responseJson: a.assert({ challenge, counter: 1, ...o }), takeChallenge: take, requireUserVerification: true });
    };
    expect(await attempt({ flags: UP, userHandle })).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await attempt({ userHandle: b64(randomBytes(32)) })).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await attempt({})).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await attempt({ userHandle })).toMatchObject({ ok: true, userId, userVerified: true });
  });
});

const START = 'mutation($c: String!) { startPasskeyRegistration(currentPassword: $c) { id options } }';
const FINISH = 'mutation($id: ID!, $r: String!, $n: String!) { finishPasskeyRegistration(id: $id, response: $r, name: $n) { factor { id kind name } recoveryCodes } }';
const FACTORS = '{ me { factors { id kind name lastUsedAt } } }';
const REMOVE = 'mutation($id: ID!, $c: String!) { removeMyFactor(id: $id, currentPassword: $c) }';

function refusal(answer: Awaited<ReturnType<typeof gql>>) {
  expect(answer.body.errors, answer.text).toHaveLength(1);
  expect(answer.text).not.toMatch(/stacktrace|node_modules|select |update |INTERNAL_SERVER_ERROR/i);
  return { code: answer.body.errors[0].extensions.code, field: answer.body.errors[0].extensions.field };
}

describe('registration over GraphQL', () => {
  it('PK-03 needs the current password and a first-party token; options for a discoverable passkey of the issuer\'s host, a user handle that is no PII', async () => {
    const user = await p.createUser();
    const token = (await tokensFor(p, account, user, 'openid profile')).access_token;
    expect(refusal(await gql(p, START, { c: 'not the password' }, token))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'currentPassword' });
    const shopToken = (await tokensFor(p, shop, user, 'openid profile')).access_token;
    expect(refusal(await gql(p, START, { c: user.password }, shopToken))).toMatchObject({ code: 'FORBIDDEN' });

    const answer = await gql(p, START, { c: user.password }, token);
    const options = JSON.parse(answer.body.data.startPasskeyRegistration.options);
    expect(options.rp).toEqual({ id: 'localhost', name: expect.any(String) });
    expect(options.user.name).toBe(user.username);
    expect(Buffer.from(options.user.id, 'base64url').toString('utf8')).not.toContain(user.username);
    expect(Buffer.from(options.user.id, 'base64url').toString('utf8')).not.toContain(user.id);
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'preferred', userVerification: 'preferred' });
    expect(options.excludeCredentials).toEqual([]);
  });

  it('PK-03 a verified response adds the passkey once (recovery codes with the first factor only); listed, removable; an expired or foreign registration is NOT_FOUND', async () => {
    const user = await p.createUser();
    const token = (await tokensFor(p, account, user, 'openid profile')).access_token;
    const start = async () => {
      const s = (await gql(p, START, { c: user.password }, token)).body.data.startPasskeyRegistration;
      return { id: s.id as string, options: JSON.parse(s.options) };
    };
    const a = authenticator();
    const first = await start();
    expect(refusal(await gql(p, FINISH, { id: first.id, r: '{"nope":1}', n: 'Laptop' }, token))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'response' });
    expect(refusal(await gql(p, FINISH, { id: first.id, r: a.register('another challenge'), n: 'Laptop' }, token))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'response' });
    const other = await p.createUser();
    const otherToken = (await tokensFor(p, account, other, 'openid profile')).access_token;
    expect(refusal(await gql(p, FINISH, { id: first.id, r: a.register(first.options.challenge), n: 'Laptop' }, otherToken))).toMatchObject({ code: 'NOT_FOUND' });

    const added = await gql(p, FINISH, { id: first.id, r: a.register(first.options.challenge), n: 'Laptop' }, token);
    expect(added.body.errors, added.text).toBeUndefined();
    expect(added.body.data.finishPasskeyRegistration.factor).toEqual({ id: first.id, kind: 'passkey', name: 'Laptop' });
    expect(added.body.data.finishPasskeyRegistration.recoveryCodes).toHaveLength(10);
    expect(p.logs.some((l) => l.event === 'mfa.enrolled' && l.kind === 'passkey' && l.actor === user.id)).toBe(true);
    // Once: the same answer again.
    expect(refusal(await gql(p, FINISH, { id: first.id, r: a.register(first.options.challenge), n: 'Laptop' }, token))).toMatchObject({ code: 'NOT_FOUND' });

    // The second: its own authenticator excluded; no new recovery codes.
    clock.advance(1000);
    const second = await start();
    expect(second.options.excludeCredentials).toEqual([{ id: a.credentialId, type: 'public-key', transports: ['internal'] }]);
    expect(second.options.user.id).toBe(first.options.user.id);
    const b = authenticator();
    const again = await gql(p, FINISH, { id: second.id, r: b.register(second.options.challenge), n: 'Phone' }, token);
    expect(again.body.data.finishPasskeyRegistration.recoveryCodes).toBeNull();

    // A registered credential cannot be registered again, by anyone.
    const theirs = (await gql(p, START, { c: other.password }, otherToken)).body.data.startPasskeyRegistration;
    expect(refusal(await gql(p, FINISH, { id: theirs.id, r: a.register(JSON.parse(theirs.options).challenge), n: 'Mine' }, otherToken))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'response' });

    // Expired.
    const late = await start();
    clock.advance(PASSKEY_CEREMONY_MS + 1000);
    expect(refusal(await gql(p, FINISH, { id: late.id, r: authenticator().register(late.options.challenge), n: 'Late' }, token))).toMatchObject({ code: 'NOT_FOUND' });

    const listed = (await gql(p, FACTORS, undefined, token)).body.data.me.factors;
    expect(listed.map((f: { kind: string; name: string }) => `${f.kind}:${f.name}`)).toEqual(['passkey:Laptop', 'passkey:Phone']);
    expect((await gql(p, REMOVE, { id: first.id, c: user.password }, token)).body.data.removeMyFactor).toBe(true);
    expect((await gql(p, FACTORS, undefined, token)).body.data.me.factors).toHaveLength(1);
  });
});

describe('passwordless sign-in over HTTP', () => {
  /** The login page's passkey form: where it posts, its CSRF token, the options' challenge. */
  async function loginPage(jar: CookieJar) {
    const started = await browse(jar, authorizeUrl(p, { client_id: account.clientId, redirect_uri: account.redirectUri, response_type: 'code', scope: 'openid', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
    const page = await browse(jar, new URL(started.headers.get('location')!, p.issuer).toString());
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    const form = /<form method="post" action="([^"]+)" data-passkey-options="([^"]+)">\s*<input type="hidden" name="csrf" value="([^"]+)">/.exec(html)!;
    const options = JSON.parse(form[2]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
    expect(options.allowCredentials).toEqual([]);
    expect(options.userVerification).toBe('required');
    return { action: form[1]!.replace(/&amp;/g, '&'), csrf: form[3]!, challenge: options.challenge as string };
  }

  it('PK-10 the user handle of a disabled account signs nobody in; an active one starts a session', async () => {
    const a = authenticator();
    const { userId, userHandle } = await registered(a);
    await p.db.orm.em.fork().getConnection().execute('update users set active = false where id = ?', [userId]);
    const jar = new CookieJar();
    const form = await loginPage(jar);
    const refused = await postForm(jar, form.action, { csrf: form.csrf, response: a.assert({ challenge: form.challenge, counter: 1, userHandle }) });
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain('That passkey could not sign you in.');
    expect(p.logs.some((l) => l.event === 'login.refused' && l.actor === userId && l.kind === 'passkey')).toBe(true);

    await p.db.orm.em.fork().getConnection().execute('update users set active = true where id = ?', [userId]);
    const again = await loginPage(jar);
    const ok = await postForm(jar, again.action, { csrf: again.csrf, response: a.assert({ challenge: again.challenge, counter: 2, userHandle }) });
    expect(ok.status).toBe(303);
    expect(new URL(ok.headers.get('location')!).origin).toBe('https://account.example');
  });

  it('PK-11 without the page\'s CSRF token nothing is checked', async () => {
    const a = authenticator();
    const { userHandle } = await registered(a);
    const jar = new CookieJar();
    const form = await loginPage(jar);
    const res = await postForm(jar, form.action, { csrf: 'wrong', response: a.assert({ challenge: form.challenge, counter: 1, userHandle }) });
    expect(res.status).toBe(400);
  });
});

describe('step-up and the scripts', () => {
  it('PK-04 a password-only session is stepped up with a passkey: the tokens say pwd, hwk, user, mfa and the mfa acr', async () => {
    const user = await p.createUser();
    const pkce = pkcePair();
    const params = { client_id: account.clientId, redirect_uri: account.redirectUri, response_type: 'code', scope: 'openid', nonce: 'n' };
    const { jar, location } = await login(p, { clientId: account.clientId, redirectUri: account.redirectUri, username: user.username, password: user.password, scope: 'openid' });
    expect(location.searchParams.get('code')).toBeTruthy();
    const a = authenticator();
    await registered(a, user);

    const started = await browse(jar, authorizeUrl(p, { ...params, acr_values: 'urn:jwt-oidc:mfa', code_challenge: pkce.challenge, code_challenge_method: 'S256' }));
    const interaction = new URL(started.headers.get('location')!, p.issuer);
    const step = await browse(jar, interaction.toString());
    expect(step.status).toBe(303);
    const page = await browse(jar, new URL(step.headers.get('location')!, p.issuer).toString());
    const html = await page.text();
    const form = /<form method="post" action="([^"]+\/mfa\/passkey)" data-passkey-options="([^"]+)">\s*<input type="hidden" name="csrf" value="([^"]+)">/.exec(html)!;
    const options = JSON.parse(form[2]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
    expect(options.allowCredentials).toEqual([{ id: a.credentialId, type: 'public-key', transports: ['internal'] }]);
    const done = await postForm(jar, form[1]!, { csrf: form[3]!, response: a.assert({ challenge: options.challenge, counter: 1 }) });
    expect(done.status, await done.clone().text()).toBe(303);
    const code = new URL(done.headers.get('location')!).searchParams.get('code')!;
    const tokens = await tokenRequest(p, { grant_type: 'authorization_code', code, redirect_uri: account.redirectUri, code_verifier: pkce.verifier }, account);
    const claims = JSON.parse(Buffer.from(((await tokens.json()) as { id_token: string }).id_token.split('.')[1]!, 'base64url').toString('utf8'));
    expect(claims.amr).toEqual(['pwd', 'hwk', 'user', 'mfa']);
    expect(claims.acr).toBe('urn:jwt-oidc:mfa');
  });

  it('PK-08 the scripts are the issuer\'s own files: JavaScript, not sniffed', async () => {
    for (const path of ['/webauthn/simplewebauthn-browser.js', '/webauthn/passkey.js']) {
      const res = await fetch(`${p.issuer}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.text()).toMatch(path.includes('simplewebauthn') ? /SimpleWebAuthnBrowser/ : /startAuthentication/);
    }
  });
});
