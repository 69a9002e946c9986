/**
 * First run: `/admin/setup` creates the first administrator (src/interaction/first-admin.ts).
 * From this machine without a code; from elsewhere (any forwarding header) only with the setup
 * code the server printed, wrong codes throttled; a burst of submissions makes exactly one
 * administrator; afterwards the page is gone for good; ADMIN_CONSOLE=false removes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browse, CookieJar, formOf, postForm, startPair, startProvider, type TestProvider } from '../support/provider.js';

const REMOTE = { 'x-forwarded-for': '203.0.113.9' };
const PASSWORD = 'correct horse battery staple';

let local: TestProvider;
let remote: TestProvider;
let off: TestProvider;

beforeAll(async () => {
  [local, remote, off] = await Promise.all([startProvider(), startProvider(), startProvider({ JWT_OIDC_ADMIN_CONSOLE: 'false' })]);
}, 120_000);

afterAll(async () => {
  await Promise.all([local?.close(), remote?.close(), off?.close()]);
});

const setupUrl = (p: TestProvider) => `${p.url}/admin/setup`;

/** A browser that opened the setup page: its cookies and the form's token. */
async function opened(p: TestProvider, headers: Record<string, string> = {}) {
  const jar = new CookieJar();
  const res = await browse(jar, setupUrl(p), { headers });
  const html = await res.text();
  return { jar, res, html, csrf: res.status === 200 ? formOf(html).csrf : '' };
}

async function submit(p: TestProvider, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const { jar, csrf } = await opened(p, headers);
  const res = await postForm(jar, setupUrl(p), { csrf, confirm: fields.password ?? '', ...fields }, headers);
  return { status: res.status, html: await res.text(), headers: res.headers };
}

async function admins(p: TestProvider): Promise<string[]> {
  const rows = await p.db.orm.em.fork().getConnection().execute<{ username: string }[]>('select username from users where admin');
  return rows.map((r) => r.username);
}

describe('the server tells where to start', () => {
  it('prints the setup URL and code on its terminal (not in the log) while no administrator exists', () => {
    expect(remote.setupCode).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(remote.terminal()).toContain(`No administrator yet. Create the first one in a browser: ${remote.issuer}/admin/setup`);
    expect(remote.terminal()).toContain(`setup code ${remote.setupCode}`);
    expect(JSON.stringify(remote.logs)).not.toContain(remote.setupCode!);
    expect(off.setupCode).toBeUndefined();
    expect(off.terminal()).toBe('');
  });
});

describe('from this machine', () => {
  it('the page asks no code; it is served under the strict page policy, never framed or stored', async () => {
    const { res, html } = await opened(local);
    expect(res.status).toBe(200);
    expect(html).toContain('<h1>Create the first administrator</h1>');
    expect(html).not.toContain('name="code"');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'.*form-action 'self'.*frame-ancestors 'none'/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.getSetCookie()[0]).toMatch(/^jwt-oidc\.setup=[A-Za-z0-9_-]{32}; Path=\/; Max-Age=3600; HttpOnly; SameSite=Strict$/);
  });

  it('SE-16 refuses a post without the cookie of its page, and passwords that differ, keeping what was typed beside the field at fault', async () => {
    const { csrf } = await opened(local);
    const stale = await postForm(new CookieJar(), setupUrl(local), { csrf, username: 'ops', password: PASSWORD, confirm: PASSWORD });
    expect(stale.status).toBe(400);
    expect(await stale.text()).toContain('This form has expired. Please try again.');

    const differ = await submit(local, { username: 'ops', email: 'ops@example.com', password: PASSWORD, confirm: `${PASSWORD}!` });
    expect(differ.status).toBe(400);
    expect(differ.html).toMatch(/id="confirm" name="confirm" aria-describedby="confirm-error" aria-invalid="true"/);
    expect(differ.html).toContain('<p class="error" id="confirm-error">The two passwords differ.</p>');
    expect(differ.html).toContain('value="ops"');
    expect(differ.html).toContain('value="ops@example.com"');
    expect(differ.html).not.toContain(PASSWORD);

    const short = await submit(local, { username: 'ops', password: 'short' });
    expect(short.status).toBe(400);
    expect(short.html).toMatch(/aria-describedby="password-hint password-error" aria-invalid="true"/);
    expect(await admins(local)).toEqual([]);
  });

  it('RC-15 SE-16 a burst of 20 submissions at once (twice the connection pool) makes exactly one administrator; then the page is gone for good', async () => {
    const forms = await Promise.all(Array.from({ length: 20 }, () => opened(local)));
    const answers = await Promise.all(forms.map(({ jar, csrf }, i) => postForm(jar, setupUrl(local), { csrf, username: `ops${i}`, password: PASSWORD, confirm: PASSWORD }).then(async (r) => ({ status: r.status, html: await r.text() }))));
    const created = answers.filter((a) => a.status === 200);
    const statuses = answers.map((a) => a.status).join(' ');
    expect(created, statuses).toHaveLength(1);
    expect(answers.filter((a) => a.status === 404), statuses).toHaveLength(19);
    const [name] = await admins(local);
    expect(await admins(local)).toHaveLength(1);
    expect(created[0]!.html).toContain(`<strong>${name}</strong> administers this provider now.`);

    expect((await browse(new CookieJar(), setupUrl(local))).status).toBe(404);
    const late = await postForm(forms[0]!.jar, setupUrl(local), { csrf: forms[0]!.csrf, username: 'late', password: PASSWORD, confirm: PASSWORD });
    expect(late.status).toBe(404);
    expect(await admins(local)).toEqual([name]);
  });
});

describe('two instances on one database', () => {
  it('RC-15 a burst of 20 submissions spread over both makes exactly one administrator; then both pages are gone', async () => {
    const [a, b] = await startPair();
    try {
      const forms = await Promise.all(Array.from({ length: 20 }, (_, i) => opened(i % 2 ? a : b).then((f) => ({ ...f, on: i % 2 ? a : b }))));
      const answers = await Promise.all(forms.map(({ jar, csrf, on }, i) => postForm(jar, setupUrl(on), { csrf, username: `ops${i}`, password: PASSWORD, confirm: PASSWORD }).then((r) => r.status)));
      expect(answers.filter((s) => s === 200), answers.join(' ')).toHaveLength(1);
      expect(answers.filter((s) => s === 404), answers.join(' ')).toHaveLength(19);
      expect(await admins(a)).toHaveLength(1);
      for (const on of [a, b]) expect((await browse(new CookieJar(), setupUrl(on))).status).toBe(404);
    } finally {
      await b.close();
      await a.close();
    }
  });
});

describe('from elsewhere', () => {
  it('SE-14 through a proxy on this machine the request is not local: the code is asked; none or a wrong one is refused beside the field', async () => {
    const { html } = await opened(remote, REMOTE);
    expect(html).toContain('name="code"');
    for (const code of ['', 'AAAA-AAAA-AAAA']) {
      const r = await submit(remote, { code, username: 'ops', password: PASSWORD }, REMOTE);
      expect(r.status).toBe(400);
      expect(r.html).toContain('<p class="error" id="code-error">This is not the setup code the server printed.</p>');
    }
    expect(await admins(remote)).toEqual([]);
  });

  it('the code the server printed creates the administrator, typed in lower case with spaces', async () => {
    const typed = remote.setupCode!.toLowerCase().replace(/-/g, ' ');
    const r = await submit(remote, { code: typed, username: 'ops', password: PASSWORD }, REMOTE);
    expect(r.status, r.html).toBe(200);
    expect(await admins(remote)).toEqual(['ops']);
  });

  it('SE-15 wrong codes are throttled per address: after 10, 429 with Retry-After, even for the right one', async () => {
    const p = await startProvider();
    try {
      for (let i = 0; i < 10; i++) expect((await submit(p, { code: `WRONG-${i}`, username: 'ops', password: PASSWORD }, REMOTE)).status).toBe(400);
      const throttled = await submit(p, { code: p.setupCode!, username: 'ops', password: PASSWORD }, REMOTE);
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(throttled.html).toMatch(/Too many wrong setup codes/);
      expect(await admins(p)).toEqual([]);
      // This machine is not throttled by what came from elsewhere.
      expect((await submit(p, { username: 'ops', password: PASSWORD })).status).toBe(200);
    } finally {
      await p.close();
    }
  });
});

describe('ADMIN_CONSOLE=false', () => {
  it('has no setup page', async () => {
    expect((await browse(new CookieJar(), setupUrl(off))).status).toBe(404);
    expect((await postForm(new CookieJar(), setupUrl(off), { username: 'ops', password: PASSWORD, confirm: PASSWORD })).status).toBe(404);
  });
});
