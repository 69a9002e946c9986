/**
 * Invitations (docs/ACCOUNTS.md "Invitations"; src/users/invitations.ts, src/interaction/invitation.ts)
 * against a real SMTP server on loopback and two instances on one PostgreSQL: only
 * administrators invite, and only with REGISTRATION invite or open; the mailed link creates the
 * invited address's account once (IV-01), until its lifetime (IV-02), from its own form (IV-03),
 * with the invited address and admin flag whatever is posted (IV-05); an address that has an
 * account is refused (IV-04). The account then signs in at a client.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { UserService } from '../../src/users/user-service.js';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../support/smtp.js';
import { adminUserTokens, browse, CookieJar, formOf, gql, postForm, startInstanceOf, startProvider, tokensFor, type TestProvider } from '../support/provider.js';

const PASSWORD = 'an invited passphrase';
const LIFETIME = 3 * 24 * 3600;
const INVITE = 'mutation Invite($email: String!, $admin: Boolean) { inviteUser(email: $email, admin: $admin) { email admin expiresAt } }';
const NO_LONGER = 'This link no longer works';

let smtp: TestSmtpServer;
/** REGISTRATION=invite, on a clock the tests move. */
let provider: TestProvider;
/** A second instance of `provider`, on its database. */
let second: TestProvider;
/** REGISTRATION=off (the default). */
let closed: TestProvider;
let open: TestProvider;
let adminToken: string;
const clock = new ManualClock();

beforeAll(async () => {
  smtp = await startSmtpServer();
  const env = { JWT_OIDC_SMTP_URL: smtp.url, JWT_OIDC_REGISTRATION: 'invite', JWT_OIDC_INVITATION_LIFETIME: String(LIFETIME), JWT_OIDC_PRODUCT_NAME: 'Acme Identity' };
  [provider, closed, open] = await Promise.all([
    startProvider(env, { clock, captureLogs: true }),
    startProvider({ JWT_OIDC_SMTP_URL: smtp.url }),
    startProvider({ JWT_OIDC_SMTP_URL: smtp.url, JWT_OIDC_REGISTRATION: 'open' }),
  ]);
  second = await startInstanceOf(provider, env);
  adminToken = (await adminUserTokens(provider)).tokens.access_token;
});
afterAll(async () => {
  await second?.close();
  await Promise.all([provider?.close(), closed?.close(), open?.close()]);
  await smtp?.close();
});

let serial = 0;
function someone(tag: string): { username: string; email: string } {
  const n = `${tag}${++serial}x${Date.now().toString(36)}`;
  return { username: n, email: `${n}@example.com` };
}

const users = () => new UserService(provider.db.orm.em);
const isInvitation = (m: ReceivedMail, to: string) => m.to.includes(to) && m.subject.includes('You are invited to');
const LINK = /https?:\/\/\S+\/account\/invitation\/[\w-]{43}/;
/** The links handed out already: the next mail to an address has a new one. */
const seen = new Set<string>();

async function invite(email: string, admin = false, token = adminToken, p: TestProvider = provider) {
  return gql(p, INVITE, { email, admin }, token);
}

/** The link of the next invitation mailed to `to`. */
async function linkFor(to: string): Promise<string> {
  const mail = await smtp.waitForMail((m) => isInvitation(m, to) && !seen.has(LINK.exec(m.text)?.[0] ?? ''), 10_000);
  const link = LINK.exec(mail.text)![0];
  seen.add(link);
  return link;
}

/** Invites a fresh address; its link. */
async function invited(tag: string, admin = false): Promise<{ who: { username: string; email: string }; link: string }> {
  const who = someone(tag);
  const res = await invite(who.email, admin);
  expect(res.body.errors, res.text).toBeUndefined();
  return { who, link: await linkFor(who.email) };
}

interface Answer {
  status: number;
  body: string;
  headers: Headers;
}

/** Opens `link` and posts its form as a browser does (on `at`, another instance, when given); `fields` override what is posted. */
async function accept(link: string, username: string, fields: Record<string, string> = {}, jar = new CookieJar(), at?: TestProvider): Promise<Answer> {
  const on = (url: string) => (at ? `${at.url}${new URL(url).pathname}` : url);
  const page = await browse(jar, on(link));
  const html = await page.text();
  if (page.status !== 200) return { status: page.status, body: html, headers: page.headers };
  const form = formOf(html);
  const res = await postForm(jar, on(new URL(form.action, link).toString()), { csrf: form.csrf, username, password: PASSWORD, confirm: PASSWORD, ...fields });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

async function tokenRows(): Promise<{ digest: string; data: unknown; user_id: string | null }[]> {
  const client = new pg.Client({ connectionString: provider.databaseUrl });
  await client.connect();
  try {
    return (await client.query("select digest, data, user_id from account_tokens where kind = 'invitation'")).rows;
  } finally {
    await client.end();
  }
}

describe('inviting (GraphQL)', () => {
  it('invite → mail → link → account: the invited address, verified; the user signs in at a client with the code flow', async () => {
    const who = someone('ada');
    const res = await invite(who.email);
    expect(res.body.errors, res.text).toBeUndefined();
    expect(res.body.data.inviteUser).toEqual({ email: who.email, admin: false, expiresAt: new Date(clock.now() + LIFETIME * 1000).toISOString() });
    const link = await linkFor(who.email);
    const mail = smtp.messages.find((m) => isInvitation(m, who.email))!;
    expect(mail.subject).toBe('Acme Identity: You are invited to Acme Identity');
    expect(mail.text).toContain('3 days, until ');
    expect(mail.html).toContain(link);
    expect(link.startsWith(`${provider.issuer}/account/invitation/`)).toBe(true);

    const page = await browse(new CookieJar(), link);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(html).toContain(`<strong id="invited-email">${who.email}</strong>`);
    expect(html).not.toMatch(/name="email"/);

    const ready = await accept(link, who.username);
    expect(ready.status, ready.body).toBe(200);
    expect(ready.body).toContain('Your account is ready');
    expect(ready.body).toContain(`<a href="${provider.issuer}/account">`);
    const user = await users().findByUsername(who.username);
    expect(user).toMatchObject({ email: who.email, emailVerified: true, pendingVerification: false, admin: false, active: true });

    const client = await provider.createClient();
    const tokens = await tokensFor(provider, client, { username: who.username, password: PASSWORD });
    const userinfo = (await (await fetch(`${provider.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json()) as Record<string, unknown>;
    expect(userinfo).toMatchObject({ sub: user!.id, email: who.email, email_verified: true, preferred_username: who.username });

    // Audit: who invited (by id) and the address's domain only; then the new account by id.
    const invitedEvent = provider.logs.find((l) => l.event === 'user.invited' && l.toDomain === 'example.com');
    expect(invitedEvent).toMatchObject({ audit: true, outcome: 'success', admin: false, replaced: 0 });
    expect(JSON.stringify(invitedEvent)).not.toContain(who.email);
    expect(provider.logs.find((l) => l.event === 'invitation.accepted' && l.actor === user!.id)).toMatchObject({ audit: true, outcome: 'success', admin: false });
  });

  it('IV-04 only administrators invite: FORBIDDEN without the admin scope or rights, UNAUTHENTICATED without a token; nothing is mailed', async () => {
    const who = someone('nobody');
    const plain = await provider.createUser();
    const client = await provider.createClient({ firstParty: true });
    const userToken = (await tokensFor(provider, client, plain, 'openid profile')).access_token;
    const [forbidden, anonymous] = await Promise.all([invite(who.email, false, userToken), invite(who.email, false, '')]);
    expect(forbidden.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(forbidden.body.data).toBeNull();
    expect((await tokenRows()).filter((r) => (r.data as { email: string }).email === who.email)).toEqual([]);
    await expect(smtp.waitForMail((m) => m.to.includes(who.email), 500)).rejects.toThrow();
  });

  it('IV-04 with REGISTRATION=off an invitation is refused with INVITATIONS_DISABLED naming the setting, and there is no link page', async () => {
    const admin = (await adminUserTokens(closed)).tokens.access_token;
    const res = await invite('someone@example.com', false, admin, closed);
    expect(res.body.errors[0].extensions).toEqual({ code: 'INVITATIONS_DISABLED' });
    expect(res.body.errors[0].message).toContain('JWT_OIDC_REGISTRATION');
    expect((await fetch(`${closed.issuer}/account/invitation/${'a'.repeat(43)}`)).status).toBe(404);
  });

  it('IV-04 refuses an address that has an account (compared without case) as BAD_USER_INPUT on email, and an address that is none', async () => {
    const existing = await provider.createUser();
    const [taken, bad] = await Promise.all([invite(`${existing.username}@EXAMPLE.com`.toUpperCase()), invite('not an address')]);
    expect(taken.body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'email' });
    expect(taken.body.errors[0].message).toBe('email: a user has this email address already');
    expect(bad.body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'email' });
  });

  it('with REGISTRATION=invite nobody registers at the sign-in page; with open, invitations work too', async () => {
    expect((await fetch(`${provider.issuer}/account/register`)).status).toBe(404);
    const client = await provider.createClient();
    const jar = new CookieJar();
    const started = await browse(jar, `${provider.issuer}/authorize?client_id=${client.clientId}&redirect_uri=${encodeURIComponent(client.redirectUri)}&response_type=code&scope=openid&state=s&code_challenge=${'c'.repeat(43)}&code_challenge_method=S256`);
    const signIn = await (await browse(jar, new URL(started.headers.get('location')!, provider.issuer).toString())).text();
    expect(signIn).not.toContain('Create an account');

    const admin = (await adminUserTokens(open)).tokens.access_token;
    const who = someone('opened');
    const res = await invite(who.email, false, admin, open);
    expect(res.body.data?.inviteUser.email, res.text).toBe(who.email);
    expect((await fetch(`${open.issuer}/account/register`)).status).toBe(200);
  });

  it('IV-02 inviting an address again replaces its link: the older one no longer works, the new one does', async () => {
    const { who, link: first } = await invited('again');
    expect((await invite(who.email)).body.errors).toBeUndefined();
    const latest = await linkFor(who.email);
    expect(latest).not.toBe(first);
    const old = await browse(new CookieJar(), first);
    expect(old.status).toBe(400);
    expect(await old.text()).toContain(NO_LONGER);
    expect((await accept(first, who.username)).body).toContain(NO_LONGER);
    expect(await users().findByUsername(who.username)).toBeNull();
    expect((await accept(latest, who.username)).status).toBe(200);
    expect(await users().findByUsername(who.username)).not.toBeNull();
  });
});

describe('the link', () => {
  it('IV-01 works once: a second post of the same link is "no longer works", and nothing more is created', async () => {
    const { who, link } = await invited('once');
    expect((await accept(link, who.username)).status).toBe(200);
    const again = await accept(link, `${who.username}-2`);
    expect(again.status).toBe(400);
    expect(again.body).toContain(NO_LONGER);
    expect(again.body).toContain('Ask the administrator who invited you for a new one.');
    expect(await users().findByUsername(`${who.username}-2`)).toBeNull();
  });

  it('IV-01 is stored as its SHA-256 digest only, with no user until it is used', async () => {
    const { who, link } = await invited('digest');
    const token = link.split('/').at(-1)!;
    const rows = (await tokenRows()).filter((r) => (r.data as { email: string }).email === who.email);
    expect(rows).toEqual([{ digest: createHash('sha256').update(token).digest('base64url'), data: { email: who.email, admin: false, invitedBy: expect.any(String) }, user_id: null }]);
    expect(JSON.stringify(await tokenRows())).not.toContain(token);
  });

  it('IV-01 a burst of 20 posts of one link, split across two instances, creates exactly one account', async () => {
    const { who, link } = await invited('burst');
    // Each browser loads its form first, then all post at once.
    const browsers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const at = i % 2 === 0 ? provider : second;
        const jar = new CookieJar();
        const form = formOf(await (await browse(jar, `${at.url}${new URL(link).pathname}`)).text());
        return { at, jar, form, username: `${who.username}-${i}` };
      }),
    );
    const answers = await Promise.all(
      browsers.map(async ({ at, jar, form, username }) => {
        const res = await postForm(jar, `${at.url}${new URL(form.action).pathname}`, { csrf: form.csrf, username, password: PASSWORD, confirm: PASSWORD });
        return { status: res.status, body: await res.text() };
      }),
    );
    const ready = answers.filter((a) => a.status === 200 && a.body.includes('Your account is ready'));
    const refused = answers.filter((a) => a.status === 400 && a.body.includes(NO_LONGER));
    expect(ready).toHaveLength(1);
    expect(refused).toHaveLength(19);
    const client = new pg.Client({ connectionString: provider.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query('select username from users where lower(email) = lower($1)', [who.email]);
      expect(rows).toHaveLength(1);
    } finally {
      await client.end();
    }
  });

  it('an acceptance and a re-invitation of the same address at the same moment: one wins, cleanly (no deadlock, no 500)', async () => {
    for (let round = 0; round < 5; round++) {
      const { who, link } = await invited(`race${round}`);
      const jar = new CookieJar();
      const form = formOf(await (await browse(jar, link)).text());
      const [posted, again] = await Promise.all([postForm(jar, form.action, { csrf: form.csrf, username: who.username, password: PASSWORD, confirm: PASSWORD }), invite(who.email)]);
      const body = await posted.text();
      const created = await users().findByUsername(who.username);
      if (created) {
        // Accepted first: the re-invitation finds the address taken.
        expect(posted.status).toBe(200);
        expect(again.body.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'email' });
      } else {
        // Re-invited first: the older link no longer works; the new one does.
        expect(posted.status).toBe(400);
        expect(body).toContain(NO_LONGER);
        expect(again.body.errors, again.text).toBeUndefined();
        expect((await accept(await linkFor(who.email), who.username)).status).toBe(200);
      }
    }
  });

  it('IV-02 works until INVITATION_LIFETIME (injected clock): at lifetime − 1 s it shows its form, at the lifetime it is refused', async () => {
    const start = clock.now();
    try {
      const { who, link } = await invited('expiry');
      clock.set(start + (LIFETIME - 1) * 1000);
      const page = await browse(new CookieJar(), link);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(who.email);
      clock.set(start + LIFETIME * 1000);
      const late = await browse(new CookieJar(), link);
      expect(late.status).toBe(400);
      expect(await late.text()).toContain(NO_LONGER);
      clock.set(start + (LIFETIME - 1) * 1000);
      // A form loaded in time and posted late is refused as well.
      const jar = new CookieJar();
      const form = formOf(await (await browse(jar, link)).text());
      clock.set(start + LIFETIME * 1000);
      const posted = await postForm(jar, form.action, { csrf: form.csrf, username: who.username, password: PASSWORD, confirm: PASSWORD });
      expect(posted.status).toBe(400);
      expect(await posted.text()).toContain(NO_LONGER);
      expect(await users().findByUsername(who.username)).toBeNull();
    } finally {
      clock.set(Date.now());
    }
  });

  it('a taken username is said beside the field, the username typed comes back (never the passwords), and the link stays usable', async () => {
    const taken = await provider.createUser();
    const { who, link } = await invited('taken');
    const jar = new CookieJar();
    const answer = await accept(link, taken.username.toUpperCase(), {}, jar);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatch(/<p class="error" id="username-error">This username is taken\. Choose another\.<\/p>/);
    expect(answer.body).toContain(`value="${taken.username.toUpperCase()}"`);
    expect(answer.body).not.toContain(PASSWORD);
    const problems = await accept(link, 'has@sign', { password: 'short', confirm: 'short' });
    expect(problems.status).toBe(400);
    expect(problems.body).toContain('id="username-error">Must not contain');
    expect(problems.body).toContain('id="password-error">Must be at least 8 characters.');
    const differ = await accept(link, who.username, { confirm: 'another passphrase' });
    expect(differ.body).toContain('id="confirm-error">The two passwords differ.');
    expect((await accept(link, who.username, {}, jar)).status).toBe(200);
    expect(await users().findByUsername(who.username)).toMatchObject({ email: who.email });
  });

  it('IV-03 refuses a post without its form\'s cookie, or with a token that does not match it: nothing is created, the link stays usable', async () => {
    const { who, link } = await invited('csrf');
    const jar = new CookieJar();
    const form = formOf(await (await browse(jar, link)).text());
    const fields = { username: who.username, password: PASSWORD, confirm: PASSWORD };
    const [noCookie, wrong, missing] = await Promise.all([
      postForm(new CookieJar(), form.action, { ...fields, csrf: form.csrf }),
      postForm(jar, form.action, { ...fields, csrf: 'x'.repeat(32) }),
      postForm(jar, form.action, fields),
    ]);
    for (const res of [noCookie, wrong, missing]) {
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('This form has expired. Please try again.');
    }
    expect(await users().findByUsername(who.username)).toBeNull();
    expect((await accept(link, who.username)).status).toBe(200);
  });

  it('IV-05 creates the invited address\'s account with the invitation\'s admin flag, whatever else is posted', async () => {
    const { who, link } = await invited('root', true);
    const answer = await accept(link, who.username, { email: 'mallory@evil.example', admin: 'false', emailVerified: 'false' });
    expect(answer.status, answer.body).toBe(200);
    expect(await users().findByUsername(who.username)).toMatchObject({ email: who.email, emailVerified: true, admin: true });
    const mallory = await provider.db.orm.em.fork().getConnection().execute("select count(*)::int as n from users where email = 'mallory@evil.example'");
    expect(mallory[0].n).toBe(0);
  });

  it('throttles posts per client address (LOGIN_ADDRESS_FAILURE_LIMIT), across links: the third within the window is 429 with Retry-After', async () => {
    const strict = await startProvider({ JWT_OIDC_SMTP_URL: smtp.url, JWT_OIDC_REGISTRATION: 'invite', JWT_OIDC_LOGIN_ADDRESS_FAILURE_LIMIT: '2' });
    try {
      const admin = (await adminUserTokens(strict)).tokens.access_token;
      const links: string[] = [];
      for (const tag of ['t1', 't2', 't3']) {
        const who = someone(tag);
        expect((await invite(who.email, false, admin, strict)).body.errors).toBeUndefined();
        links.push(await linkFor(who.email));
      }
      const taken = (await strict.createUser()).username;
      // Two attempts that fail (a taken username) count as two, then even a good one waits.
      expect((await accept(links[0]!, taken)).status).toBe(400);
      expect((await accept(links[1]!, taken)).status).toBe(400);
      const third = await accept(links[2]!, someone('fresh').username);
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(third.body).toMatch(/Too many attempts\. Try again in \d+ minutes?\./);
    } finally {
      await strict.close();
    }
  });

  it('an unknown or malformed link shows "no longer works" without a stack or a 500', async () => {
    for (const token of ['a'.repeat(43), 'short', '%00']) {
      const res = await browse(new CookieJar(), `${provider.issuer}/account/invitation/${token}`);
      expect(res.status).toBe(400);
      const body = await res.text();
      expect(body).toContain(NO_LONGER);
      expect(body).not.toMatch(/at \w+ \(|Error:/);
    }
  });
});
