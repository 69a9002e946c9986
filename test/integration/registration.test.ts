/**
 * Self-registration (docs/ACCOUNTS.md "Registration", src/interaction/registration.ts) against a
 * real SMTP server on loopback: the account waits for its address, the mailed link confirms it
 * once (a GET changes nothing), the password then signs in and `email_verified` is true; an
 * address that has an account already gets the same answer and its owner a notice; a burst makes
 * one account; registrations are throttled; the forms need their CSRF cookie; with registration
 * off there is nothing. Rows RG-01…RG-08 of docs/SECURITY.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { UserService } from '../../src/users/user-service.js';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../support/smtp.js';
import { authorizeUrl, browse, CookieJar, formOf, login, pkcePair, postForm, startInstanceOf, startProvider, tokenRequest, tokensFor, type TestProvider } from '../support/provider.js';

const PASSWORD = 'my own new passphrase';
const NOT_CONFIRMED = 'Confirm your email address first: we sent you a link.';
let smtp: TestSmtpServer;
let provider: TestProvider;
/** Registration off (the default). */
let closed: TestProvider;
const clock = new ManualClock();

beforeAll(async () => {
  smtp = await startSmtpServer();
  [provider, closed] = await Promise.all([
    startProvider({ JWT_OIDC_SMTP_URL: smtp.url, JWT_OIDC_REGISTRATION: 'open', JWT_OIDC_PRODUCT_NAME: 'Acme Identity' }, { clock }),
    startProvider({ JWT_OIDC_SMTP_URL: smtp.url }),
  ]);
});
afterAll(async () => {
  await provider?.close();
  await closed?.close();
  await smtp?.close();
});

let serial = 0;
/** A fresh username and address. */
function someone(tag: string): { username: string; email: string } {
  const n = `${tag}${++serial}x${Date.now().toString(36)}`;
  return { username: n, email: `${n}@example.com` };
}

const registerUrl = (p: TestProvider = provider) => `${p.issuer}/account/register`;
const users = () => new UserService(provider.db.orm.em);

interface Answer {
  status: number;
  body: string;
  headers: Headers;
}

/** Registers as a browser does: loads the form, posts it. `fields` override what is posted. */
async function register(who: { username: string; email: string }, fields: Record<string, string> = {}, jar = new CookieJar(), p: TestProvider = provider): Promise<Answer> {
  const form = formOf(await (await browse(jar, registerUrl(p))).text());
  const res = await postForm(jar, form.action, { csrf: form.csrf, username: who.username, email: who.email, password: PASSWORD, confirm: PASSWORD, ...fields });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

const isLink = (m: ReceivedMail, to: string) => m.to.includes(to) && m.subject.includes('Confirm your email address');
const isNotice = (m: ReceivedMail, to: string) => m.to.includes(to) && m.subject.includes('Someone tried to register with your address');

/** The link of the next confirmation mail to `to`. */
async function linkFor(to: string): Promise<string> {
  const mail = await smtp.waitForMail((m) => isLink(m, to), 10_000);
  const link = /https?:\/\/\S+\/account\/verify\/[\w-]{43}/.exec(mail.text)?.[0];
  expect(link, mail.text).toBeDefined();
  return link!;
}

/** Opens `link` and presses its button, as a browser does. */
async function confirm(link: string, jar = new CookieJar()): Promise<Answer> {
  const page = await browse(jar, link);
  const html = await page.text();
  if (page.status !== 200) return { status: page.status, body: html, headers: page.headers };
  const form = formOf(html);
  const res = await postForm(jar, new URL(form.action, link).toString(), { csrf: form.csrf });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** The sign-in page's answer to `username` and `password`, posted from an application's request. */
async function signIn(username: string, password = PASSWORD): Promise<Answer> {
  const client = await provider.createClient();
  const jar = new CookieJar();
  const started = await browse(jar, authorizeUrl(provider, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid', state: 's', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
  const interaction = new URL(started.headers.get('location')!, provider.issuer).toString();
  const form = formOf(await (await browse(jar, interaction)).text());
  const res = await postForm(jar, new URL(form.action, interaction).toString(), { csrf: form.csrf, username, password });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

async function signsIn(username: string, password = PASSWORD): Promise<boolean> {
  const client = await provider.createClient();
  const { location } = await login(provider, { clientId: client.clientId, redirectUri: client.redirectUri, username, password });
  return location.searchParams.has('code');
}

/** A sign-in started at an application, in `jar`: its interaction's uid and URL. */
async function startSignIn(jar: CookieJar, p: TestProvider = provider): Promise<{ uid: string; url: string; client: { clientId: string; redirectUri: string; clientSecret?: string }; verifier: string }> {
  const client = await p.createClient({ firstParty: true });
  const { verifier, challenge } = pkcePair();
  const started = await browse(jar, authorizeUrl(p, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid email', state: 'st', code_challenge: challenge, code_challenge_method: 'S256' }));
  const url = new URL(started.headers.get('location')!, p.issuer).toString();
  return { uid: url.split('/').at(-1)!, url, client, verifier };
}

describe('registration', () => {
  it('register → mail → link → confirmed: the password signs in and email_verified is true; before, the login is refused with the way to a new link', async () => {
    const who = someone('ada');
    const answer = await register(who);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('Check your mail');
    expect(answer.body).toContain('for 24 hours');
    const link = await linkFor(who.email);
    const mail = smtp.messages.find((m) => isLink(m, who.email))!;
    expect(mail.subject).toBe('Acme Identity: Confirm your email address');
    expect(mail.text).toContain(`"${who.username}"`);
    expect(mail.html).toContain(link);

    const user = await users().findByUsername(who.username);
    expect(user).toMatchObject({ email: who.email, emailVerified: false, pendingVerification: true, active: true, admin: false });

    // RG-02: not yet.
    const refused = await signIn(who.username);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain(NOT_CONFIRMED);
    expect(refused.body).toMatch(/<a href="[^"]+\/account\/verify\?interaction=[\w-]+">Send the link again<\/a>/);

    const confirmed = await confirm(link);
    expect(confirmed.status, confirmed.body).toBe(200);
    expect(confirmed.body).toContain('Email confirmed, you can sign in now');
    expect(await users().findByUsername(who.username)).toMatchObject({ emailVerified: true, pendingVerification: false });

    const client = await provider.createClient();
    const tokens = await tokensFor(provider, client, { username: who.username, password: PASSWORD });
    const userinfo = (await (await fetch(`${provider.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json()) as Record<string, unknown>;
    expect(userinfo).toMatchObject({ sub: user!.id, email: who.email, email_verified: true, preferred_username: who.username });
  });

  it('RG-02 refuses the right password of an account that waits for its address, and accounts made by administrators sign in as before', async () => {
    const who = someone('waiting');
    await register(who);
    await linkFor(who.email);
    const refused = await signIn(who.username);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain(NOT_CONFIRMED);
    expect(refused.headers.get('set-cookie') ?? '').not.toMatch(/jwt-oidc\.session=[^;]/);
    // A wrong password says only that, as for anyone.
    const wrong = await signIn(who.username, 'not the password');
    expect(wrong.status).toBe(401);
    expect(wrong.body).not.toContain(NOT_CONFIRMED);

    // Made by an administrator or the CLI, with an address never confirmed: signs in.
    const made = await provider.createUser({ email: `${someone('admin-made').email}`, emailVerified: false });
    expect(await signsIn(made.username, made.password)).toBe(true);
    // An administrator who vouches for the address lets a waiting account in.
    await users().update({ username: who.username }, { emailVerified: true });
    expect(await signsIn(who.username)).toBe(true);
  });

  it('RG-01 answers an address that has an account exactly as a new one (status, body); its owner gets a notice, and nothing is created', async () => {
    const owner = await provider.createUser({ email: someone('owner').email });
    const ownerEmail = (await users().findByUsername(owner.username))!.email!;
    const fresh = someone('fresh');
    const intruder = someone('intruder');

    const forNew = await register(fresh);
    // The same address, another case: the same account's.
    const forTaken = await register({ username: intruder.username, email: ownerEmail.toUpperCase() });
    expect(forTaken.status).toBe(forNew.status);
    expect(forTaken.body).toBe(forNew.body);
    expect(forTaken.headers.get('set-cookie')).toBe(forNew.headers.get('set-cookie'));
    expect(forTaken.headers.get('content-type')).toBe(forNew.headers.get('content-type'));

    await linkFor(fresh.email);
    const notice = await smtp.waitForMail((m) => isNotice(m, ownerEmail), 10_000);
    expect(notice.text).toContain(`"${owner.username}"`);
    expect(notice.text).toMatch(/\/account\/password-reset\b/);
    expect(notice.text).not.toMatch(/\/account\/verify\//);
    expect(await users().findByUsername(intruder.username)).toBeNull();
    expect(smtp.messages.filter((m) => isLink(m, ownerEmail) || m.to.includes(ownerEmail.toUpperCase()))).toHaveLength(0);
    const holders = (await users().list({ search: ownerEmail })).filter((u) => u.email?.toLowerCase() === ownerEmail.toLowerCase());
    expect(holders.map((u) => u.username)).toEqual([owner.username]);
  });

  it('says a taken username beside the username, keeps what was typed (never the passwords), and checks every field', async () => {
    const existing = await provider.createUser();
    const who = someone('taken');
    const taken = await register({ username: existing.username.toUpperCase(), email: who.email });
    expect(taken.status).toBe(400);
    expect(taken.body).toMatch(/<p class="error" id="username-error">This username is taken\. Choose another\.<\/p>/);
    expect(taken.body).toContain('aria-invalid="true"');
    expect(taken.body).toContain(`value="${who.email}"`);
    expect(taken.body).not.toContain(PASSWORD);

    const bad = await register({ username: 'has space', email: 'not-an-address' }, { password: 'short', confirm: 'short' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/id="username-error">Must not contain spaces\./);
    expect(bad.body).toMatch(/id="email-error">Must be an email address\./);
    expect(bad.body).toMatch(/id="password-error">Must be at least 8 characters\./);
    expect(bad.body).toContain('value="has space"');

    const differ = await register(who, { confirm: `${PASSWORD}!` });
    expect(differ.status).toBe(400);
    expect(differ.body).toMatch(/id="confirm-error">The two passwords differ\./);
    expect(differ.body).not.toContain(PASSWORD);

    const mailLike = await register({ username: who.email, email: who.email });
    expect(mailLike.status).toBe(400);
    expect(mailLike.body).toContain('id="username-error"');
    expect(await users().findByUsername(who.username)).toBeNull();
  });

  it('RG-03 a link works once', async () => {
    const who = someone('once');
    await register(who);
    const link = await linkFor(who.email);
    // Two browsers load the form; the first confirms, the second is too late.
    const late = new CookieJar();
    const lateForm = formOf(await (await browse(late, link)).text());
    expect((await confirm(link)).status).toBe(200);
    const again = await postForm(late, new URL(lateForm.action, link).toString(), { csrf: lateForm.csrf });
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('This link no longer works');
    const reopened = await browse(new CookieJar(), link);
    expect(reopened.status).toBe(400);
    expect(await reopened.text()).toMatch(/href="[^"]+\/account\/verify">Send a new link/);
  });

  it('RG-03 a burst of 20 confirmations of one link, half at each of two instances on one database: one succeeds', async () => {
    const second = await startInstanceOf(provider, { JWT_OIDC_SMTP_URL: smtp.url, JWT_OIDC_REGISTRATION: 'open' });
    try {
      const who = someone('burst2');
      await register(who);
      const link = await linkFor(who.email);
      const at = (i: number, url: string) => url.replace(provider.issuer, i % 2 === 0 ? provider.url : second.url);
      const jars = Array.from({ length: 20 }, () => new CookieJar());
      const forms = await Promise.all(jars.map(async (jar, i) => formOf(await (await browse(jar, at(i, link))).text())));
      const statuses = (await Promise.all(forms.map((f, i) => postForm(jars[i]!, at(i, new URL(f.action, link).toString()), { csrf: f.csrf })))).map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 400)).toHaveLength(19);
      expect(await users().findByUsername(who.username)).toMatchObject({ emailVerified: true, pendingVerification: false });
    } finally {
      await second.close();
    }
  });

  it('RG-04 a mail scanner fetching the link (GET, HEAD, twice) changes nothing; the person then confirms', async () => {
    const who = someone('scanned');
    await register(who);
    const link = await linkFor(who.email);
    for (const method of ['GET', 'HEAD', 'GET']) {
      const res = await fetch(link, { method, redirect: 'manual' });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toContain('no-store');
    }
    expect(await users().findByUsername(who.username)).toMatchObject({ emailVerified: false, pendingVerification: true });
    expect((await signIn(who.username)).status).toBe(403);
    expect((await confirm(link)).status).toBe(200);
    expect(await signsIn(who.username)).toBe(true);
  });

  it('RG-05 refuses a registration or a confirmation posted without its form\'s cookie (CSRF): nothing created, mailed or confirmed', async () => {
    const who = someone('forged');
    const form = formOf(await (await browse(new CookieJar(), registerUrl())).text());
    const sent = smtp.messages.length;
    const forged = await postForm(new CookieJar(), form.action, { csrf: form.csrf, username: who.username, email: who.email, password: PASSWORD, confirm: PASSWORD });
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('This form has expired');
    expect(await users().findByUsername(who.username)).toBeNull();

    await register(who);
    const link = await linkFor(who.email);
    const page = formOf(await (await browse(new CookieJar(), link)).text());
    const forgedConfirm = await postForm(new CookieJar(), new URL(page.action, link).toString(), { csrf: page.csrf });
    expect(forgedConfirm.status).toBe(400);
    expect(await users().findByUsername(who.username)).toMatchObject({ pendingVerification: true });
    // The forged registration mailed nothing: the only mail since is the real one's link.
    expect(smtp.messages.slice(sent).map((m) => m.to.join())).toEqual([who.email]);
    expect((await confirm(link)).status).toBe(200);
  });

  it('RG-07 a burst of 10 identical registrations at once makes exactly one account', async () => {
    const who = someone('burst');
    const jars = Array.from({ length: 10 }, () => new CookieJar());
    const forms = await Promise.all(jars.map(async (jar) => formOf(await (await browse(jar, registerUrl())).text())));
    const answers = await Promise.all(forms.map((f, i) => postForm(jars[i]!, f.action, { csrf: f.csrf, username: who.username, email: who.email, password: PASSWORD, confirm: PASSWORD })));
    const statuses = answers.map((r) => r.status);
    for (const s of statuses) expect([200, 400, 429]).toContain(s);
    const accepted = statuses.filter((s) => s === 200).length;
    expect(accepted).toBeGreaterThanOrEqual(1);
    // Each accepted one is done once its mail is out: the one link, and a notice for each other.
    await linkFor(who.email);
    await expect.poll(() => smtp.messages.filter((m) => isNotice(m, who.email)).length, { timeout: 10_000 }).toBe(accepted - 1);
    const found = (await users().list({ search: who.email })).filter((u) => u.email === who.email);
    expect(found).toHaveLength(1);
    expect(smtp.messages.filter((m) => isLink(m, who.email))).toHaveLength(1);
  });

  it('a password reset of an account that waits for its address confirms it (the link went to that address) and signs in', async () => {
    const who = someone('reset');
    await register(who);
    await linkFor(who.email);
    const jar = new CookieJar();
    const form = formOf(await (await browse(jar, `${provider.issuer}/account/password-reset`)).text());
    expect((await postForm(jar, form.action, { csrf: form.csrf, login: who.email })).status).toBe(200);
    const mail = await smtp.waitForMail((m) => m.to.includes(who.email) && m.subject.includes('Reset your password'), 10_000);
    const link = /https?:\/\/\S+\/account\/password-reset\/[\w-]{43}/.exec(mail.text)![0];
    const resetJar = new CookieJar();
    const page = formOf(await (await browse(resetJar, link)).text());
    expect((await postForm(resetJar, page.action, { csrf: page.csrf, password: 'chosen through the reset', confirm: 'chosen through the reset' })).status).toBe(200);
    expect(await users().findByUsername(who.username)).toMatchObject({ emailVerified: true, pendingVerification: false });
    expect(await signsIn(who.username, 'chosen through the reset')).toBe(true);
  });

  it('RG-06 throttles registrations per address typed: the fourth within the window is 429 with Retry-After', async () => {
    const who = someone('flood');
    for (let i = 0; i < 3; i++) expect((await register({ username: `${who.username}n${i}`, email: who.email })).status).toBe(200);
    const refused = await register({ username: `${who.username}n3`, email: who.email.toUpperCase() });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body).toContain('Too many attempts');
    expect(refused.body).toContain(`value="${who.email.toUpperCase()}"`);
  });

  it('RG-06 throttles registrations per client address (LOGIN_ADDRESS_FAILURE_LIMIT), taken usernames and new addresses alike', async () => {
    const strict = await startProvider({ JWT_OIDC_REGISTRATION: 'open', JWT_OIDC_LOGIN_ADDRESS_FAILURE_LIMIT: '3' });
    try {
      const taken = await strict.createUser();
      expect((await register({ username: taken.username, email: someone('probe').email }, {}, new CookieJar(), strict)).status).toBe(400);
      for (let i = 0; i < 2; i++) expect((await register(someone('addr'), {}, new CookieJar(), strict)).status).toBe(200);
      const refused = await register({ username: taken.username, email: someone('probe').email }, {}, new CookieJar(), strict);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.body).not.toContain('username-error');
    } finally {
      await strict.close();
    }
  });

  it('sends a new link to a waiting account from /account/verify, the same answer for any name; the first link still works', async () => {
    const who = someone('resend');
    await register(who);
    const first = await linkFor(who.email);
    const ask = async (name: string) => {
      const jar = new CookieJar();
      const form = formOf(await (await browse(jar, `${provider.issuer}/account/verify`)).text());
      const res = await postForm(jar, form.action, { csrf: form.csrf, login: name });
      return { status: res.status, body: await res.text() };
    };
    const known = await ask(who.username);
    const unknown = await ask(`nobody-${Date.now()}`);
    const confirmedAlready = await ask((await provider.createUser()).username);
    expect(known.status).toBe(200);
    expect(unknown).toEqual(known);
    expect(confirmedAlready).toEqual(known);
    await expect.poll(() => smtp.messages.filter((m) => isLink(m, who.email)).length, { timeout: 10_000 }).toBe(2);
    expect((await confirm(first)).status).toBe(200);
  });

  it('RG-08 a link opened in another browser confirms the address and signs nobody in there; in the browser that registered, the sign-in goes on', async () => {
    const registering = new CookieJar();
    const signIn1 = await startSignIn(registering);
    const signInPage = await (await browse(registering, signIn1.url)).text();
    const registerLink = /<a href="([^"]+)">Create an account<\/a>/.exec(signInPage)?.[1]?.replace(/&amp;/g, '&');
    expect(registerLink).toBe(`${provider.issuer}/account/register?interaction=${signIn1.uid}`);
    const who = someone('elsewhere');
    const form = formOf(await (await browse(registering, registerLink!)).text());
    expect((await postForm(registering, form.action, { csrf: form.csrf, interaction: signIn1.uid, username: who.username, email: who.email, password: PASSWORD, confirm: PASSWORD })).status).toBe(200);
    const link = await linkFor(who.email);

    // Another browser: the form posts under the sign-in, but without its cookie nothing goes on there.
    const other = new CookieJar();
    const page = formOf(await (await browse(other, link)).text());
    expect(page.action).toContain(`/interaction/${signIn1.uid}/verify/`);
    const elsewhere = await postForm(other, page.action, { csrf: page.csrf });
    expect(elsewhere.status).toBe(200);
    expect(await elsewhere.text()).toContain('Email confirmed, you can sign in now');
    const after = await browse(registering, signIn1.url);
    expect(await after.text()).toContain('name="password"');

    // In the registering browser, a second registration's link continues its sign-in to the application.
    const signIn2 = await startSignIn(registering);
    const who2 = someone('samebrowser');
    const form2 = formOf(await (await browse(registering, `${registerUrl()}?interaction=${signIn2.uid}`)).text());
    await postForm(registering, form2.action, { csrf: form2.csrf, interaction: signIn2.uid, username: who2.username, email: who2.email, password: PASSWORD, confirm: PASSWORD });
    const link2 = await linkFor(who2.email);
    const confirmForm = formOf(await (await browse(registering, link2)).text());
    const done = await postForm(registering, confirmForm.action, { csrf: confirmForm.csrf });
    expect(done.status).toBe(303);
    const callback = new URL(done.headers.get('location')!);
    expect(`${callback.origin}${callback.pathname}`).toBe(signIn2.client.redirectUri);
    const res = await tokenRequest(provider, { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: signIn2.client.redirectUri, code_verifier: signIn2.verifier }, signIn2.client);
    expect(res.status).toBe(200);
  });

  it('with registration off (the default): /account/register and /account/verify are 404, and the sign-in page has no link', async () => {
    for (const path of ['/account/register', '/account/verify', '/account/verify/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
      expect((await fetch(`${closed.issuer}${path}`)).status).toBe(404);
      expect((await fetch(`${closed.issuer}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=x' })).status).toBe(404);
    }
    const jar = new CookieJar();
    const { url } = await startSignIn(jar, closed);
    const page = await (await browse(jar, url)).text();
    expect(page).toContain('name="password"');
    expect(page).not.toContain('Create an account');
    expect(page).not.toContain('/account/register');
  });

  // Last: the clock jumps a day ahead for the provider.
  it('RG-03 a link expires at EMAIL_VERIFICATION_LIFETIME (injected clock); a new one can be asked for', async () => {
    const who = someone('expiry');
    await register(who);
    const link = await linkFor(who.email);
    clock.set(clock.now() + 24 * 3600_000 - 1000);
    expect((await browse(new CookieJar(), link)).status).toBe(200);
    clock.set(clock.now() + 2000);
    const expired = await confirm(link);
    expect(expired.status).toBe(400);
    expect(expired.body).toContain('This link no longer works');
    expect(await users().findByUsername(who.username)).toMatchObject({ pendingVerification: true });
  });
});
