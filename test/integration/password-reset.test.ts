/**
 * Password reset by mail (docs/ACCOUNTS.md, src/interaction/password-reset.ts) against a real
 * SMTP server on loopback: the link arrives, works once, expires, ends with a later password
 * change, belongs to one user; the request's answer does not tell whether the account exists;
 * requests are throttled; the forms need their CSRF cookie. Rows AC-01…AC-05 of docs/SECURITY.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { UserService } from '../../src/users/user-service.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { browse, CookieJar, formOf, postForm, startInstanceOf, startProvider, tokensFor, type TestProvider } from '../support/provider.js';

const NEW_PASSWORD = 'a brand new passphrase';
let smtp: TestSmtpServer;
let provider: TestProvider;
const clock = new ManualClock();

beforeAll(async () => {
  smtp = await startSmtpServer();
  provider = await startProvider({ JWT_OIDC_SMTP_URL: smtp.url, JWT_OIDC_PRODUCT_NAME: 'Acme Identity' }, { clock });
});
afterAll(async () => {
  await provider?.close();
  await smtp?.close();
});

let serial = 0;
/** A user with an email address (where the link goes). */
async function userWithMail(tag: string): Promise<{ id: string; username: string; password: string; email: string }> {
  const email = `${tag}-${++serial}-${Date.now()}@example.com`;
  return { ...(await provider.createUser({ email })), email };
}

const resetUrl = () => `${provider.issuer}/account/password-reset`;

/** Asks for a link for `name` as a browser does; the answer. */
async function ask(name: string, jar = new CookieJar()): Promise<{ status: number; body: string; ms: number }> {
  const form = formOf(await (await browse(jar, resetUrl())).text());
  const started = performance.now();
  const res = await postForm(jar, form.action, { csrf: form.csrf, login: name });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - started };
}

/** The link of the next reset mail to `to`. */
async function linkFor(to: string): Promise<string> {
  const mail = await smtp.waitForMail((m) => m.to.includes(to) && m.subject.includes('Reset your password'), 10_000);
  const link = /https?:\/\/\S+\/account\/password-reset\/[\w-]{43}/.exec(mail.text)?.[0];
  expect(link, mail.text).toBeDefined();
  return link!;
}

/** Sets `password` through `link` as a browser does. */
async function choose(link: string, password: string, confirm = password, jar = new CookieJar()): Promise<{ status: number; body: string }> {
  const page = await browse(jar, link);
  const html = await page.text();
  if (page.status !== 200) return { status: page.status, body: html };
  const form = formOf(html);
  const res = await postForm(jar, form.action, { csrf: form.csrf, password, confirm });
  return { status: res.status, body: await res.text() };
}

async function passwordWorks(username: string, password: string): Promise<boolean> {
  const client = await provider.createClient();
  return tokensFor(provider, client, { username, password }).then(
    () => true,
    () => false,
  );
}

describe('password reset by mail', () => {
  it('mails a link that sets a new password once; every session and grant ends; the old password stops working', async () => {
    const user = await userWithMail('reset');
    const client = await provider.createClient();
    const before = await tokensFor(provider, client, user);

    const answer = await ask(user.username);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('Check your mail');
    const link = await linkFor(user.email);
    const mail = smtp.messages.at(-1)!;
    expect(mail.subject).toBe('Acme Identity: Reset your password');
    expect(mail.html).toContain(link);

    const set = await choose(link, NEW_PASSWORD);
    expect(set.status, set.body).toBe(200);
    expect(set.body).toContain('Password changed');
    // The grant made before is gone, with its tokens.
    expect((await fetch(`${provider.issuer}/userinfo`, { headers: { authorization: `Bearer ${before.access_token}` } })).status).toBe(401);
    expect(await passwordWorks(user.username, user.password)).toBe(false);
    expect(await passwordWorks(user.username, NEW_PASSWORD)).toBe(true);

    // Used once: the link is dead now.
    const again = await choose(link, 'yet another passphrase');
    expect(again.status).toBe(400);
    expect(again.body).toContain('This link no longer works');
    expect(await passwordWorks(user.username, NEW_PASSWORD)).toBe(true);
  });

  it('AC-01 answers the same for an account, an unknown name and an account without email: status, body and time', async () => {
    const withMail = await userWithMail('same');
    const withoutMail = await provider.createUser({ email: null });
    const names = [withMail.username, `nobody-${Date.now()}`, withoutMail.username, withMail.email, `nobody-${Date.now()}@example.com`];
    const answers = [];
    for (const name of names) answers.push(await ask(name));
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.body).toBe(answers[0]!.body);
    }
    // Time: the answer leaves before any lookup. Medians of interleaved rounds (so that load on
    // this shared machine falls on both alike), with a tolerance for that noise: a lookup-dependent
    // answer (scrypt, a mail sent inline) would differ by far more.
    // Fresh names each round: the per-name throttle (AC-03) must not answer instead.
    const existing = await Promise.all([1, 2, 3, 4, 5].map(() => userWithMail('timing')));
    const times: number[][] = [[], []];
    for (let round = 0; round < 5; round++) {
      for (const [i, name] of [existing[round]!.username, `unknown-${round}-${Date.now()}`].entries()) {
        const answer = await ask(name);
        expect(answer.status).toBe(200);
        times[i]!.push(answer.ms);
      }
    }
    const medians = times.map((t) => t.sort((x, y) => x - y)[2]!);
    expect(Math.abs(medians[0]! - medians[1]!), `medians ${medians.join(' / ')} ms`).toBeLessThan(Math.max(60, Math.min(...medians)));
  });

  it('AC-02 a link expires at PASSWORD_RESET_LIFETIME (injected clock), and a later password change ends it', async () => {
    const user = await userWithMail('expiry');
    await ask(user.username);
    const link = await linkFor(user.email);
    clock.set(clock.now() + 30 * 60_000 - 1000);
    expect((await browse(new CookieJar(), link)).status).toBe(200);
    clock.set(clock.now() + 2000);
    const expired = await choose(link, NEW_PASSWORD);
    expect(expired.status).toBe(400);
    expect(await passwordWorks(user.username, user.password)).toBe(true);

    const other = await userWithMail('changed');
    await ask(other.username);
    const link2 = await linkFor(other.email);
    await new UserService(provider.provider!.orm.em).setPassword({ id: other.id }, 'set by an administrator');
    expect((await choose(link2, NEW_PASSWORD)).status).toBe(400);
    expect(await passwordWorks(other.username, 'set by an administrator')).toBe(true);
  });

  it('AC-02 a link belongs to its user: using it changes that user only', async () => {
    const a = await userWithMail('a');
    const b = await userWithMail('b');
    await ask(a.username);
    const link = await linkFor(a.email);
    expect((await choose(link, NEW_PASSWORD)).status).toBe(200);
    expect(await passwordWorks(b.username, b.password)).toBe(true);
    expect(await passwordWorks(b.username, NEW_PASSWORD)).toBe(false);
  });

  it('AC-05 a burst of 20 uses of one link at once, half at each of two instances on one database, sets the password exactly once', async () => {
    const second = await startInstanceOf(provider, { JWT_OIDC_SMTP_URL: smtp.url });
    try {
      const user = await userWithMail('burst');
      await ask(user.username);
      const link = await linkFor(user.email);
      // Every browser loads the form first (all valid), then all post at once, each its own password.
      const at = (i: number, url: string) => url.replace(provider.issuer, i % 2 === 0 ? provider.url : second.url);
      const jars = Array.from({ length: 20 }, () => new CookieJar());
      const forms = await Promise.all(jars.map(async (jar, i) => formOf(await (await browse(jar, at(i, link))).text())));
      const results = await Promise.all(forms.map((f, i) => postForm(jars[i]!, at(i, f.action), { csrf: f.csrf, password: `${NEW_PASSWORD} ${i}`, confirm: `${NEW_PASSWORD} ${i}` })));
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 400)).toHaveLength(19);
      const winner = statuses.indexOf(200);
      expect(await passwordWorks(user.username, `${NEW_PASSWORD} ${winner}`)).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('AC-04 refuses a post without the cookie of its form (CSRF), leaving the link usable', async () => {
    const user = await userWithMail('csrf');
    await ask(user.username);
    const link = await linkFor(user.email);
    const form = formOf(await (await browse(new CookieJar(), link)).text());
    const forged = await postForm(new CookieJar(), form.action, { csrf: form.csrf, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(forged.status).toBe(400);
    expect(await passwordWorks(user.username, user.password)).toBe(true);
    // Nor a request for a link without its cookie: nothing is mailed.
    const request = formOf(await (await browse(new CookieJar(), resetUrl())).text());
    const sent = smtp.messages.length;
    expect((await postForm(new CookieJar(), request.action, { csrf: request.csrf, login: user.username })).status).toBe(400);
    // The link still works.
    expect((await choose(link, NEW_PASSWORD)).status).toBe(200);
    expect(smtp.messages.length).toBe(sent);
  });

  it('AC-03 throttles requests per name typed, existing or not: the fourth within the window is 429 with Retry-After', async () => {
    const user = await userWithMail('throttle');
    for (const name of [user.username, `ghost-${Date.now()}`]) {
      for (let i = 0; i < 3; i++) expect((await ask(name)).status).toBe(200);
      const jar = new CookieJar();
      const form = formOf(await (await browse(jar, resetUrl())).text());
      const refused = await postForm(jar, form.action, { csrf: form.csrf, login: name });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it('keeps the rules of passwords, beside the field, and says when the two differ', async () => {
    const user = await userWithMail('rules');
    await ask(user.username);
    const link = await linkFor(user.email);
    const short = await choose(link, 'short');
    expect(short.status).toBe(400);
    expect(short.body).toMatch(/id="password-error">[^<]*at least 8 characters/);
    const differ = await choose(link, NEW_PASSWORD, 'something else entirely');
    expect(differ.status).toBe(400);
    expect(differ.body).toContain('The two passwords differ.');
    expect((await choose(link, NEW_PASSWORD)).status).toBe(200);
  });

  it('AC-06 a link asked for with someone else\'s sign-in signs nobody in there: only the browser holding that sign-in continues it', async () => {
    const victim = await userWithMail('victim');
    const client = await provider.createClient();
    // The attacker starts a sign-in and names it in a reset request for the victim's account.
    const attacker = new CookieJar();
    const started = await browse(attacker, `${provider.issuer}/authorize?${new URLSearchParams({ client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid', state: 's', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`);
    const interaction = new URL(started.headers.get('location')!, provider.issuer);
    const uid = interaction.pathname.split('/').at(-1)!;
    const form = formOf(await (await browse(attacker, `${resetUrl()}?interaction=${uid}`)).text());
    expect((await postForm(attacker, form.action, { csrf: form.csrf, login: victim.username, interaction: uid })).status).toBe(200);
    const link = await linkFor(victim.email);

    // The victim sets a password from the mail, in their own browser: the form posts under the
    // attacker's interaction, but without its cookie nothing continues there.
    const victimJar = new CookieJar();
    const page = await (await browse(victimJar, link)).text();
    const victimForm = formOf(page);
    expect(victimForm.action).toContain(`/interaction/${uid}/reset/`);
    const set = await postForm(victimJar, victimForm.action, { csrf: victimForm.csrf, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(set.status).toBe(200);
    expect(await set.text()).toContain('Password changed');
    // The attacker's sign-in still asks for a password: nobody is signed in there.
    const after = await browse(attacker, interaction.toString());
    expect(after.status).toBe(200);
    expect(await after.text()).toContain('name="password"');
    expect(await passwordWorks(victim.username, NEW_PASSWORD)).toBe(true);
  });
});

