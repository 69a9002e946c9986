/**
 * Changing one's email address (docs/ACCOUNTS.md "Changing the email address",
 * src/interaction/email-change.ts) against a real SMTP server on loopback: `changeMyEmail` mails a
 * single-use link to the new address and nothing changes until it is confirmed (a GET changes
 * nothing, the POST needs its CSRF cookie); then the address is verified and the old one told.
 * An address of another account gets the same answer and a notice; the link dies with use, age,
 * a newer request or another change of the address; a burst across two instances changes once;
 * two accounts confirming the same address at once: one gets it. Rows EC-01…EC-06.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { User } from '../../src/db/entities/user.js';
import { UserService } from '../../src/users/user-service.js';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../support/smtp.js';
import { browse, CookieJar, formOf, gql, PASSWORD, postForm, startInstanceOf, startProvider, tokensFor, type TestProvider } from '../support/provider.js';

const LIFETIME = 600;
const CHANGE = 'mutation($c: String!, $e: String!) { changeMyEmail(currentPassword: $c, email: $e) }';
let smtp: TestSmtpServer;
let p: TestProvider;
const clock = new ManualClock();
/** The account page: a first-party application. */
let account: { clientId: string; clientSecret?: string; redirectUri: string };

beforeAll(async () => {
  smtp = await startSmtpServer();
  p = await startProvider({ JWT_OIDC_SMTP_URL: smtp.url, JWT_OIDC_PRODUCT_NAME: 'Acme Identity', JWT_OIDC_EMAIL_VERIFICATION_LIFETIME: String(LIFETIME) }, { clock, captureLogs: true });
  account = await p.createClient({ name: 'Account', firstParty: true, redirectUris: ['https://account.example/cb'] });
});
afterAll(async () => {
  await p?.close();
  await smtp?.close();
});

let serial = 0;
const fresh = (tag: string) => `${tag}${++serial}x${Date.now().toString(36)}@example.net`;

/** A user (address `<username>@example.com`) and a token of the account page for them. */
async function member(): Promise<{ id: string; username: string; email: string; token: string }> {
  const user = await p.createUser();
  const tokens = await tokensFor(p, account, user, 'openid profile email');
  return { ...user, email: `${user.username}@example.com`, token: tokens.access_token };
}

const emailOf = async (id: string) => {
  const user = await p.db.orm.em.fork().findOneOrFail(User, { id });
  return { email: user.email, verified: user.emailVerified };
};
const sentTo = (m: ReceivedMail, to: string) => m.to.some((a) => a.toLowerCase() === to.toLowerCase());
const isLink = (m: ReceivedMail, to: string) => m.to.includes(to) && m.subject.includes('Confirm your new email address');

async function linkFor(to: string): Promise<string> {
  const mail = await smtp.waitForMail((m) => isLink(m, to), 10_000);
  const link = /https?:\/\/\S+\/account\/email\/[\w-]{43}/.exec(mail.text)?.[0];
  expect(link, mail.text).toBeDefined();
  expect(mail.html).toContain(link);
  return link!;
}

/** Opens `link` and presses its button, as a browser does; `csrf` overrides the field posted. */
async function confirm(link: string, jar = new CookieJar(), csrf?: string): Promise<{ status: number; body: string }> {
  const page = await browse(jar, link);
  const html = await page.text();
  if (page.status !== 200) return { status: page.status, body: html };
  const form = formOf(html);
  const res = await postForm(jar, new URL(form.action, link).toString(), { csrf: csrf ?? form.csrf });
  return { status: res.status, body: await res.text() };
}

const problem = (body: { errors?: { extensions?: { code?: string; field?: string } }[] }) => body.errors?.[0]?.extensions;

describe('changeMyEmail and its link', () => {
  it('EC-01 the link goes to the new address; the account keeps its address until it is confirmed, then it is verified and the old one told', async () => {
    const me = await member();
    const to = fresh('new');
    const asked = await gql(p, CHANGE, { c: PASSWORD, e: `  ${to} ` }, me.token);
    expect(asked.body).toEqual({ data: { changeMyEmail: true } });
    const link = await linkFor(to);
    expect(await emailOf(me.id)).toEqual({ email: me.email, verified: false });

    // Opening the link (a mail scanner does) changes nothing.
    const jar = new CookieJar();
    const shown = await browse(jar, link);
    const page = await shown.text();
    expect(shown.status).toBe(200);
    expect(shown.headers.get('cache-control')).toBe('no-store');
    expect(page).toContain(to);
    expect(page).toContain(me.username);
    expect(await emailOf(me.id)).toEqual({ email: me.email, verified: false });

    const form = formOf(page);
    const done = await postForm(jar, new URL(form.action, link).toString(), { csrf: form.csrf });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Email address changed');
    expect(await emailOf(me.id)).toEqual({ email: to, verified: true });
    const notice = await smtp.waitForMail((m) => m.to.includes(me.email) && m.subject.includes('The email address of your account changed'), 10_000);
    expect(notice.text).toContain(to);
    expect(notice.text).not.toMatch(/\/account\/email\//);
    // What applications see from now on.
    const info = await fetch(`${p.issuer}/userinfo`, { headers: { authorization: `Bearer ${me.token}` } });
    expect(await info.json()).toMatchObject({ email: to, email_verified: true });
    expect(p.logs.some((l) => l.event === 'email.changed' && l.outcome === 'success' && l.actor === me.id)).toBe(true);
  });

  it('EC-01 a wrong current password, a malformed address or the account\'s own: refused beside the field, nothing mailed', async () => {
    const me = await member();
    const before = smtp.messages.length;
    const to = fresh('nope');
    expect(problem((await gql(p, CHANGE, { c: 'not my password', e: to }, me.token)).body)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'currentPassword' });
    expect(problem((await gql(p, CHANGE, { c: PASSWORD, e: 'no-at-sign' }, me.token)).body)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
    expect(problem((await gql(p, CHANGE, { c: PASSWORD, e: me.email.toUpperCase() }, me.token)).body)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.messages.slice(before).filter((m) => m.to.includes(to) || m.to.includes(me.email))).toEqual([]);
    expect(p.logs.some((l) => l.event === 'email.change_requested' && l.outcome === 'failure' && l.actor === me.id)).toBe(true);
  });

  it('EC-01 only from a first-party application: a third-party token is FORBIDDEN, no token UNAUTHENTICATED', async () => {
    const shop = await p.createClient({ name: 'Shop', redirectUris: ['https://shop.example/cb'] });
    const user = await p.createUser();
    const third = await tokensFor(p, shop, user, 'openid profile email');
    expect(problem((await gql(p, CHANGE, { c: PASSWORD, e: fresh('x') }, third.access_token)).body)?.code).toBe('FORBIDDEN');
    expect(problem((await gql(p, CHANGE, { c: PASSWORD, e: fresh('x') })).body)?.code).toBe('UNAUTHENTICATED');
  });

  it('EC-02 an address of another account: the same answer, no link, a notice to that address, nothing changed', async () => {
    const [me, other] = await Promise.all([member(), member()]);
    const free = await gql(p, CHANGE, { c: PASSWORD, e: fresh('free') }, me.token);
    const held = await gql(p, CHANGE, { c: PASSWORD, e: other.email.toUpperCase() }, me.token);
    expect([held.status, held.body]).toEqual([free.status, free.body]);
    const notice = await smtp.waitForMail((m) => sentTo(m, other.email) && m.subject.includes('Someone tried to use your address'), 10_000);
    expect(notice.text).not.toContain(me.username);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.messages.some((m) => sentTo(m, other.email) && m.subject.includes('Confirm'))).toBe(false);
    expect(await emailOf(me.id)).toEqual({ email: me.email, verified: false });
  });

  it('EC-03 single use, and valid for EMAIL_VERIFICATION_LIFETIME to the second', async () => {
    const me = await member();
    const to = fresh('once');
    await gql(p, CHANGE, { c: PASSWORD, e: to }, me.token);
    const link = await linkFor(to);
    expect((await confirm(link)).status).toBe(200);
    const again = await confirm(link);
    expect(again.status).toBe(400);
    expect(again.body).toContain('This link no longer works');

    const late = await member();
    const lateTo = fresh('late');
    await gql(p, CHANGE, { c: PASSWORD, e: lateTo }, late.token);
    const lateLink = await linkFor(lateTo);
    const jar = new CookieJar();
    const form = formOf(await (await browse(jar, lateLink)).text());
    const post = () => postForm(jar, new URL(form.action, lateLink).toString(), { csrf: form.csrf });
    const start = clock.now();
    try {
      clock.advance((LIFETIME - 1) * 1000);
      expect((await browse(new CookieJar(), lateLink)).status).toBe(200);
      clock.advance(1000);
      expect((await post()).status).toBe(400);
      expect(await emailOf(late.id)).toEqual({ email: late.email, verified: false });
    } finally {
      clock.set(start);
    }
  });

  it('EC-03 a newer request ends the earlier link; a change of the address meanwhile voids it', async () => {
    const me = await member();
    const [first, second] = [fresh('first'), fresh('second')];
    await gql(p, CHANGE, { c: PASSWORD, e: first }, me.token);
    const firstLink = await linkFor(first);
    await gql(p, CHANGE, { c: PASSWORD, e: second }, me.token);
    const secondLink = await linkFor(second);
    expect((await confirm(firstLink)).status).toBe(400);

    // An administrator sets another address: the link asked for the old one changes nothing.
    await new UserService(p.db.orm.em).update({ id: me.id }, { email: 'set-by-admin@example.org' });
    expect((await confirm(secondLink)).status).toBe(400);
    expect((await emailOf(me.id)).email).toBe('set-by-admin@example.org');
  });

  it('EC-04 the POST needs this browser\'s CSRF cookie and field; a refused post leaves the link usable', async () => {
    const me = await member();
    const to = fresh('csrf');
    await gql(p, CHANGE, { c: PASSWORD, e: to }, me.token);
    const link = await linkFor(to);
    // A cross-site form: the field of another page, without this browser's cookie.
    const forged = await postForm(new CookieJar(), link, { csrf: 'x'.repeat(32) });
    expect(forged.status).toBe(400);
    expect((await confirm(link, new CookieJar(), 'y'.repeat(32))).status).toBe(400);
    expect(await emailOf(me.id)).toEqual({ email: me.email, verified: false });
    expect((await confirm(link)).status).toBe(200);
    expect((await emailOf(me.id)).email).toBe(to);
  });

  it('EC-05 an address taken by another account between the request and the confirmation is not given', async () => {
    const [me, other] = await Promise.all([member(), member()]);
    const to = fresh('race');
    await gql(p, CHANGE, { c: PASSWORD, e: to }, me.token);
    const link = await linkFor(to);
    await new UserService(p.db.orm.em).update({ id: other.id }, { email: to.toUpperCase() });
    const answer = await confirm(link);
    expect(answer.status).toBe(409);
    expect(answer.body).toContain('This address is not available');
    expect((await emailOf(me.id)).email).toBe(me.email);
  });

  it('EC-06 at most 3 requests per account within the window: then TOO_MANY_REQUESTS with retryAfter', async () => {
    const me = await member();
    for (let i = 0; i < 3; i++) expect((await gql(p, CHANGE, { c: PASSWORD, e: fresh('flood') }, me.token)).body).toEqual({ data: { changeMyEmail: true } });
    const fourth = await gql(p, CHANGE, { c: PASSWORD, e: fresh('flood') }, me.token);
    expect(fourth.status).toBe(429);
    expect(problem(fourth.body)).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
  });
});

describe('bursts across two instances on one database', () => {
  it('EC-03 one link posted 20 times at once, half at each instance: one change, one notice to the old address', async () => {
    const second = await startInstanceOf(p, { JWT_OIDC_SMTP_URL: smtp.url, JWT_OIDC_EMAIL_VERIFICATION_LIFETIME: String(LIFETIME) });
    try {
      const me = await member();
      const to = fresh('burst');
      await gql(p, CHANGE, { c: PASSWORD, e: to }, me.token);
      const link = await linkFor(to);
      const path = new URL(link).pathname;
      // Each browser loads the page (its CSRF cookie) at one instance, then all post together.
      const browsers = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const at = i % 2 === 0 ? p.url : second.url;
          const jar = new CookieJar();
          const form = formOf(await (await browse(jar, `${at}${path}`)).text());
          return { jar, url: `${at}${path}`, csrf: form.csrf };
        }),
      );
      const answers = await Promise.all(browsers.map((b) => postForm(b.jar, b.url, { csrf: b.csrf }).then((r) => r.status)));
      expect(answers.filter((s) => s === 200)).toHaveLength(1);
      expect(answers.filter((s) => s === 400)).toHaveLength(19);
      expect(await emailOf(me.id)).toEqual({ email: to, verified: true });
      await smtp.waitForMail((m) => m.to.includes(me.email) && m.subject.includes('changed'), 10_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(smtp.messages.filter((m) => m.to.includes(me.email) && m.subject.includes('changed'))).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it('EC-05 two accounts confirming the same new address at once, at two instances: exactly one gets it', async () => {
    const second = await startInstanceOf(p, { JWT_OIDC_SMTP_URL: smtp.url, JWT_OIDC_EMAIL_VERIFICATION_LIFETIME: String(LIFETIME) });
    try {
      for (let round = 0; round < 3; round++) {
        const [a, b] = await Promise.all([member(), member()]);
        const to = fresh('both');
        await gql(p, CHANGE, { c: PASSWORD, e: to }, a.token);
        await gql(second, CHANGE, { c: PASSWORD, e: to }, b.token);
        const links = await waitForLinks(to, 2);
        const [ra, rb] = await Promise.all([confirm(links[0]!.replace(new URL(links[0]!).origin, p.url)), confirm(links[1]!.replace(new URL(links[1]!).origin, second.url))]);
        expect([ra.status, rb.status].sort()).toEqual([200, 409]);
        const holders = await p.db.orm.em.fork().count(User, { email: to });
        expect(holders).toBe(1);
      }
    } finally {
      await second.close();
    }
  });
});

/** The links of the first `count` link mails to `to`. */
async function waitForLinks(to: string, count: number): Promise<string[]> {
  const until = Date.now() + 10_000;
  for (;;) {
    const links = smtp.messages.filter((m) => isLink(m, to)).map((m) => /https?:\/\/\S+\/account\/email\/[\w-]{43}/.exec(m.text)![0]);
    if (links.length >= count || Date.now() > until) {
      expect(links.length).toBeGreaterThanOrEqual(count);
      return links.slice(0, count);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
