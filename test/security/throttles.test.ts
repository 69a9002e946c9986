/**
 * Throttles under attack (docs/SECURITY.md SE-04, TK-13): what one request at a time cannot show.
 * Bursts of parallel logins, two provider instances on one database, addresses spoofed through a
 * trusted proxy (`X-Forwarded-For` from loopback), and lockouts aimed at someone else:
 * - RC-01 a burst checks at most LOGIN_FAILURE_LIMIT passwords, one at a time per account;
 * - RC-02 failures cannot lock out the right credentials: client ids are public, and a browser
 *   that signed in before keeps its own budget (device cookie); bogus requests spend no client's
 *   TOKEN_RATE_LIMIT;
 * - RC-03 the limits hold across instances, and an IPv6 address counts per /64;
 * - RC-09 audit records carry a keyed digest of what was typed as the username.
 */
import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKey } from '../../src/provider/throttle/login-keys.js';
import { query } from '../support/database.js';
import { asTestProvider, authorizeUrl, browse, CookieJar, formOf, PASSWORD, pkcePair, postForm, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';
import { startTestServer } from '../support/server.js';

type Client = { clientId: string; clientSecret?: string; redirectUri: string };

const LIMIT = 5;
const SECRET = 't'.repeat(40); // startProvider's key encryption secret
const BASE = { JWT_OIDC_LOGIN_FAILURE_LIMIT: String(LIMIT), JWT_OIDC_LOGIN_FAILURE_WINDOW: '300', JWT_OIDC_TRUST_PROXY: 'loopback' };

/** An address of the documentation ranges (RFC 5737, RFC 3849), as a proxy would forward it. */
const from = (ip: string) => ({ 'x-forwarded-for': ip });

/** The URL of `url` on another instance `on` (same issuer path, that instance's origin). */
const at = (on: TestProvider, url: string) => `${on.url}${new URL(url).pathname}${new URL(url).search}`;

interface Form {
  jar: CookieJar;
  action: string;
  csrf: string;
}

/** A browser opens a login form (on instance `p`; `prompt=login`: also when it is signed in). */
async function openForm(p: TestProvider, client: Client, jar = new CookieJar()): Promise<Form> {
  const url = authorizeUrl(p, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid', prompt: 'login', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
  const res = await browse(jar, url);
  expect(res.status, await res.clone().text()).toBe(303);
  const page = await browse(jar, res.headers.get('location')!);
  expect(page.status).toBe(200);
  return { jar, ...formOf(await page.text()) };
}

const post = (form: Form, username: string, password: string, headers: Record<string, string> = {}, on?: TestProvider) =>
  postForm(form.jar, on ? at(on, form.action) : form.action, { csrf: form.csrf, username, password }, headers);

const failuresIn = async (p: TestProvider, key: string) =>
  Number((await query<{ n: string }>(p.databaseUrl, 'select count(*) as n from failure_events where key = $1', [key]))[0]!.n);

/** A token request to instance `on` itself (tokenRequest goes to the issuer, which is the first instance). */
const tokenAt = (on: TestProvider, fields: Record<string, string>, auth: { clientId: string; clientSecret?: string }, headers: Record<string, string>) =>
  tokenRequest({ ...on, issuer: on.url }, fields, auth, headers);

const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {});

let a: TestProvider;
let b: TestProvider;
let client: Client;

beforeAll(async () => {
  a = await startProvider(BASE, { captureLogs: true });
  // A second instance on the same database, with the same issuer and secret (one deployment).
  const second = await startTestServer({ ...BASE, DATABASE_URL: a.databaseUrl, JWT_OIDC_ISSUER: a.issuer, JWT_OIDC_KEY_ENCRYPTION_SECRET: SECRET, JWT_OIDC_LOGIN_ADDRESS_FAILURE_LIMIT: '10000' });
  b = asTestProvider(second);
  client = await a.createClient({ firstParty: true, grantTypes: ['authorization_code', 'client_credentials'] });
  await b.provider!.clients.reload(); // b also learns of it by notification; not waiting for that
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe('RC-01: a burst of parallel logins', () => {
  it('RC-01 31 forms posted at once (30 wrong passwords and the right one): at most LIMIT passwords are checked, the rest 429', async () => {
    const victim = await a.createUser();
    const forms = await Promise.all(Array.from({ length: 31 }, () => openForm(a, client)));
    const answers = await Promise.all(forms.map((f, i) => post(f, victim.username, i === 15 ? PASSWORD : `wrong ${i}`, from('203.0.113.10'))));
    const statuses = answers.map((r) => r.status);
    const t = tally(statuses);
    // Checked attempts are the 401s and the 303 (a success, refunded); everything else waited.
    expect(t[401] ?? 0, JSON.stringify(t)).toBeLessThanOrEqual(LIMIT);
    expect(t[303] ?? 0, JSON.stringify(t)).toBeLessThanOrEqual(1);
    expect((t[401] ?? 0) + (t[303] ?? 0) + (t[429] ?? 0), JSON.stringify(t)).toBe(31);
    for (const r of answers.filter((x) => x.status === 429)) expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    const checked = a.logs.filter((l) => l.event === 'login.failure' || (l.event === 'login.success' && l.actor === victim.id));
    expect(checked.length, 'password checks in the audit log').toBe((t[401] ?? 0) + (t[303] ?? 0));
    // Nothing is left pending: every reservation was settled.
    expect(Number((await query<{ n: string }>(a.databaseUrl, 'select count(*) as n from failure_events where pending'))[0]!.n)).toBe(0);
  });

  it('RC-01 the same burst split over two instances on one database: still at most LIMIT checks in all', async () => {
    const victim = await a.createUser();
    const forms = await Promise.all(Array.from({ length: 30 }, () => openForm(a, client)));
    const answers = await Promise.all(forms.map((f, i) => post(f, victim.username, `wrong ${i}`, from('203.0.113.11'), i % 2 ? b : undefined)));
    const t = tally(answers.map((r) => r.status));
    expect(t[401] ?? 0, JSON.stringify(t)).toBeGreaterThan(0);
    expect(t[401] ?? 0, JSON.stringify(t)).toBeLessThanOrEqual(LIMIT);
    expect(await failuresIn(a, `account:${victim.username}`)).toBe(t[401]);
  });
});

describe('RC-01: one account, several tabs', () => {
  it('RC-01 the right password posted from three tabs at once: each is checked in turn, all three sign in', async () => {
    const user = await a.createUser();
    const forms = await Promise.all([0, 1, 2].map(() => openForm(a, client)));
    const answers = await Promise.all(forms.map((f, i) => post(f, user.username, PASSWORD, from('203.0.113.13'), i === 1 ? b : undefined)));
    expect(answers.map((r) => r.status)).toEqual([303, 303, 303]);
  });
});

describe('RC-03: the limits hold whatever the number of instances', () => {
  it('RC-03 LIMIT failures at one instance lock the account at the other too, the right password included', async () => {
    const victim = await a.createUser();
    for (let i = 0; i < LIMIT; i++) expect((await post(await openForm(a, client), victim.username, `wrong ${i}`, from('203.0.113.12'))).status).toBe(401);
    const res = await post(await openForm(a, client), victim.username, PASSWORD, from('203.0.113.12'), b);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(60);
  });

  it('RC-03 an IPv6 address counts per /64: failures from two addresses of one /64 add up, another /64 has its own budget', async () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:bbbb:cccc:dddd:2'));
    expect(addressKey('2001:0db8:0001:0002::')).toBe('address:2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:3::1')).not.toBe(addressKey('2001:db8:1:2::1'));
    expect(addressKey('::ffff:203.0.113.5')).toBe('address:203.0.113.5');
    expect(addressKey('203.0.113.5')).toBe('address:203.0.113.5');
    expect(addressKey('::1')).toBe('address:0:0:0:0::/64');

    const p = await startProvider({ ...BASE, JWT_OIDC_LOGIN_ADDRESS_FAILURE_LIMIT: '4' });
    try {
      const c = await p.createClient({ firstParty: true });
      for (let i = 0; i < 4; i++) {
        const res = await post(await openForm(p, c), `nobody-${i}`, 'x', from(`2001:db8:7:7::${i + 1}`));
        expect(res.status, `failure ${i}`).toBe(401);
      }
      const user = await p.createUser();
      expect((await post(await openForm(p, c), user.username, PASSWORD, from('2001:db8:7:7:ffff::9'))).status, 'same /64').toBe(429);
      expect((await post(await openForm(p, c), user.username, PASSWORD, from('2001:db8:7:8::1'))).status, 'another /64').toBe(303);
    } finally {
      await p.close();
    }
  });
});

describe('RC-02: lockouts aimed at someone else', () => {
  it('RC-02 a browser that signed in before keeps its own budget while the account is locked for everyone else; a forged device cookie does not', async () => {
    const owner = await a.createUser();
    const browser = new CookieJar();
    expect((await post(await openForm(a, client, browser), owner.username, PASSWORD, from('203.0.113.20'))).status).toBe(303);
    const device = [...browser.cookies.entries()].find(([name]) => name.endsWith('jwt-oidc.device'));
    expect(device, 'a device cookie after signing in').toBeDefined();

    // The attacker locks the account from elsewhere.
    for (let i = 0; i < LIMIT; i++) await post(await openForm(a, client), owner.username, `guess ${i}`, from('198.51.100.1'));
    expect((await post(await openForm(a, client), owner.username, PASSWORD, from('198.51.100.2'))).status, 'locked for other browsers').toBe(429);
    // The owner's browser still signs in, on either instance.
    expect((await post(await openForm(a, client, browser), owner.username, PASSWORD, from('203.0.113.20'), b)).status, 'the owner').toBe(303);

    // A copied cookie with another id, or the owner's cookie for another username, brings nothing.
    const forged = new CookieJar();
    const [name, value] = device!;
    forged.cookies.set(name, `${randomBytes(16).toString('base64url')}.${value.split('.')[1]}`);
    expect((await post(await openForm(a, client, forged), owner.username, PASSWORD, from('198.51.100.3'))).status, 'forged').toBe(429);
  });

  it('RC-02 a device has a budget of its own, as bounded as the account\'s', async () => {
    const owner = await a.createUser();
    const browser = new CookieJar();
    expect((await post(await openForm(a, client, browser), owner.username, PASSWORD)).status).toBe(303);
    for (let i = 0; i < LIMIT; i++) expect((await post(await openForm(a, client, browser), owner.username, `typo ${i}`)).status).toBe(401);
    expect((await post(await openForm(a, client, browser), owner.username, PASSWORD)).status).toBe(429);
  });

  it('RC-02 20 wrong secrets for a client from one address do not lock out its right secret from another; the address is throttled on both instances', async () => {
    const p = await startProvider({ ...BASE, JWT_OIDC_LOGIN_ADDRESS_FAILURE_LIMIT: '10' });
    const q = asTestProvider(await startTestServer({ ...BASE, DATABASE_URL: p.databaseUrl, JWT_OIDC_ISSUER: p.issuer, JWT_OIDC_KEY_ENCRYPTION_SECRET: SECRET, JWT_OIDC_LOGIN_ADDRESS_FAILURE_LIMIT: '10' }));
    try {
      const m2m = await p.createClient({ grantTypes: ['client_credentials'] });
      await q.provider!.clients.reload();
      const statuses = [];
      for (let i = 0; i < 20; i++) {
        statuses.push((await tokenRequest(p, { grant_type: 'client_credentials' }, { clientId: m2m.clientId, clientSecret: `wrong-${i}` }, from('198.51.100.30'))).status);
      }
      expect(statuses).toEqual([...Array(10).fill(401), ...Array(10).fill(429)]);
      expect((await tokenRequest(p, { grant_type: 'client_credentials' }, m2m, from('198.51.100.30'))).status, 'the guessing address, right secret or not').toBe(429);
      // The other instance learns of the address's failures at its first one (failures.ts).
      expect((await tokenAt(q, { grant_type: 'client_credentials' }, { clientId: m2m.clientId, clientSecret: 'wrong' }, from('198.51.100.30'))).status).toBe(401);
      expect((await tokenAt(q, { grant_type: 'client_credentials' }, m2m, from('198.51.100.30'))).status, 'then refuses it too').toBe(429);
      for (const [on, ip] of [[p, '203.0.113.31'], [q, '203.0.113.32']] as const) {
        const res = await tokenAt(on, { grant_type: 'client_credentials' }, m2m, from(ip));
        expect(res.status, `${ip}: ${await res.clone().text()}`).toBe(200);
      }
    } finally {
      await q.close();
      await p.close();
    }
  });

  it('RC-02 requests that fail client authentication or name a grant the client may not use spend no TOKEN_RATE_LIMIT', async () => {
    const p = await startProvider({ ...BASE, JWT_OIDC_TOKEN_RATE_LIMIT: '5', JWT_OIDC_LOGIN_ADDRESS_FAILURE_LIMIT: '10000' });
    try {
      const m2m = await p.createClient({ grantTypes: ['client_credentials'] });
      const spa = await p.createClient({ public: true, redirectUris: ['http://localhost:5173/cb'] });
      // A flood with the public ids: bogus grants, grants they may not use, wrong secrets.
      const flood = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          i % 3 === 0
            ? tokenRequest(p, { grant_type: 'bogus' }, { clientId: spa.clientId }, from(`198.51.100.${40 + (i % 10)}`))
            : i % 3 === 1
              ? tokenRequest(p, { grant_type: 'authorization_code', code: 'x' }, m2m, from('198.51.100.50'))
              : tokenRequest(p, { grant_type: 'client_credentials' }, { clientId: m2m.clientId, clientSecret: 'wrong' }, from('198.51.100.51')),
        ),
      );
      expect(flood.every((r) => r.status >= 400 && r.status !== 500)).toBe(true);
      // The client's own budget is whole: 5 requests pass, the 6th is over the limit.
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await tokenRequest(p, { grant_type: 'client_credentials' }, m2m, from('203.0.113.40'))).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    } finally {
      await p.close();
    }
  });
});

describe('RC-09: audit records', () => {
  it('RC-09 what was typed as the username is logged as an HMAC under a key derived from the server secret, not a plain hash', async () => {
    const typed = `hunter2-${randomBytes(2).toString('hex')}`;
    expect((await post(await openForm(a, client), typed, 'x', from('203.0.113.90'))).status).toBe(401);
    const record = a.logs.find((l) => l.event === 'login.failure' && l.ip === '203.0.113.90');
    expect(record).toBeDefined();
    const logged = String(record!.username);
    const plain = createHash('sha256').update(typed).digest('base64url');
    expect(plain.startsWith(logged.slice(0, 12))).toBe(false);
    const key = Buffer.from(hkdfSync('sha256', Buffer.from(SECRET), Buffer.from('jwt-oidc'), Buffer.from('jwt-oidc audit-digest v1'), 32));
    expect(logged).toBe(createHmac('sha256', key).update(typed).digest('base64url').slice(0, 16));
    expect(JSON.stringify(a.logs)).not.toContain(typed);
  });
});
