/**
 * Device sign-in (RFC 8628) over real HTTP with an injected clock: the device authorization
 * endpoint, the verification page through the provider's own sign-in pages, and the polling of
 * the token endpoint — pending, slow_down, expired_token, access_denied, tokens once
 * (docs/SECURITY.md DV-01…DV-09).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { browse, CookieJar, formOf, postForm, signInFields, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const clock = new ManualClock();
let provider: TestProvider;
let user: { id: string; username: string; password: string };
let tv: { clientId: string; clientSecret?: string };
let cli: { clientId: string; clientSecret?: string };
let web: { clientId: string; clientSecret?: string };
beforeAll(async () => {
  provider = await startProvider({}, { clock, captureLogs: true });
  user = await provider.createUser();
  // A public, third-party client (consent asked), and a confidential first-party one.
  tv = await provider.createClient({ name: 'Living Room TV', public: true, redirectUris: [], responseTypes: [], grantTypes: [GRANT, 'refresh_token'] });
  cli = await provider.createClient({ name: 'Deploy CLI', firstParty: true, redirectUris: [], responseTypes: [], grantTypes: [GRANT] });
  web = await provider.createClient({ name: 'Web app', firstParty: true, redirectUris: ['https://rp.example/cb'] });
});
afterAll(async () => {
  await provider?.close();
});

type Client = { clientId: string; clientSecret?: string };
interface DeviceAnswer { device_code: string; user_code: string; verification_uri: string; verification_uri_complete: string; expires_in: number; interval: number }

function deviceRequest(p: TestProvider, client: Client, fields: Record<string, string> = {}): Promise<Response> {
  const h: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const body = new URLSearchParams(fields);
  if (client.clientSecret !== undefined) h.authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;
  else body.set('client_id', client.clientId);
  return fetch(`${p.issuer}/device/authorization`, { method: 'POST', headers: h, body });
}

async function started(client: Client, scope = 'openid profile offline_access'): Promise<DeviceAnswer> {
  const res = await deviceRequest(provider, client, { scope });
  const body = (await res.json()) as DeviceAnswer;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

const poll = (client: Client, deviceCode: string) => tokenRequest(provider, { grant_type: GRANT, device_code: deviceCode }, client);

async function pollError(client: Client, deviceCode: string): Promise<string> {
  const res = await poll(client, deviceCode);
  const body = (await res.json()) as { error?: string };
  expect(res.status, JSON.stringify(body)).toBe(400);
  return body.error!;
}

/** The verification page as a person uses it: the link, the code confirmed, then the sign-in pages until the end page. */
async function verify(p: TestProvider, jar: CookieJar, answer: DeviceAnswer, o: { consent?: 'allow' | 'deny'; confirm?: 'confirm' | 'deny' } = {}): Promise<{ status: number; html: string }> {
  let res = await browse(jar, answer.verification_uri_complete);
  let html = await res.text();
  expect(res.status).toBe(200);
  expect(html).toContain(`value="${answer.user_code}"`);
  let { action, csrf } = formOf(html);
  res = await postForm(jar, new URL(action, p.issuer).toString(), { csrf, user_code: answer.user_code });
  html = await res.text();
  expect(res.status, html.slice(0, 400)).toBe(200);
  ({ action, csrf } = formOf(html));
  res = await postForm(jar, new URL(action, p.issuer).toString(), { csrf, user_code: answer.user_code, decision: o.confirm ?? 'confirm' });
  let url = new URL(action, p.issuer).toString();
  for (let hops = 0; hops < 8; hops++) {
    if (res.status !== 302 && res.status !== 303) return { status: res.status, html: await res.text() };
    url = new URL(res.headers.get('location')!, url).toString();
    if (process.env.DEBUG_DEVICE) console.log(url);
    res = await browse(jar, url);
    if (res.status === 302 || res.status === 303) continue;
    html = await res.text();
    if (!url.includes('/interaction/')) return { status: res.status, html };
    ({ action, csrf } = formOf(html));
    res = action.endsWith('/login') ? await postForm(jar, new URL(action, url).toString(), signInFields(html, csrf, user.username)) : await postForm(jar, new URL(action, url).toString(), { csrf, decision: o.consent ?? 'allow' });
  }
  throw new Error('too many redirects');
}

const countRows = async (sql: string, params: unknown[] = []) => (await provider.db.orm.em.fork().getConnection().execute<{ n: number }[]>(sql, params))[0]!.n;

describe('the device authorization endpoint (RFC 8628 §3.1–3.2)', () => {
  it('DV-01 answers a device code, a user code XXXX-XXXX without ambiguous letters, the verification URIs, expires_in 600 and interval 5; only a digest is stored', async () => {
    const res = await deviceRequest(provider, tv, { scope: 'openid profile' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as DeviceAnswer;
    expect(Object.keys(body).sort()).toEqual(['device_code', 'expires_in', 'interval', 'user_code', 'verification_uri', 'verification_uri_complete']);
    expect(body.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(body.verification_uri).toBe(`${provider.issuer}/device`);
    expect(body.verification_uri_complete).toBe(`${provider.issuer}/device?user_code=${body.user_code}`);
    expect(body.expires_in).toBe(600);
    expect(body.interval).toBe(5);
    const stored = await provider.db.orm.em.fork().getConnection().execute<Record<string, unknown>[]>('select * from device_requests');
    expect(JSON.stringify(stored)).not.toContain(body.device_code);
  });

  it('DV-02 refuses a client whose grant types lack the device grant (unauthorized_client), and wrong credentials (invalid_client)', async () => {
    const res = await deviceRequest(provider, web, { scope: 'openid' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('unauthorized_client');
    const wrong = await deviceRequest(provider, { clientId: cli.clientId, clientSecret: 'wrong' }, { scope: 'openid' });
    expect(wrong.status).toBe(401);
    expect(provider.logs.some((l) => l.event === 'device.refused' && l.error === 'unauthorized_client')).toBe(true);
    // Nor may it poll with the grant at /token.
    const answer = await started(tv);
    const polled = await tokenRequest(provider, { grant_type: GRANT, device_code: answer.device_code }, web);
    expect(((await polled.json()) as { error: string }).error).toBe('unauthorized_client');
  });

  it('lists the endpoint and the grant in discovery', async () => {
    const doc = (await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(doc.device_authorization_endpoint).toBe(`${provider.issuer}/device/authorization`);
    expect(doc.grant_types_supported).toContain(GRANT);
  });
});

describe('polling (RFC 8628 §3.4–3.5)', () => {
  it('DV-03 is authorization_pending until the user approves, slow_down (interval + 5 s) when faster than the interval, then tokens once: ID token with openid, refresh token with offline_access', async () => {
    const answer = await started(tv);
    expect(await pollError(tv, answer.device_code)).toBe('authorization_pending');
    // At once again: too fast; the interval is now 10 s.
    expect(await pollError(tv, answer.device_code)).toBe('slow_down');
    // Still too fast for the new interval: slow_down again, and 15 s from now on (§3.5: "this and all subsequent requests").
    clock.advance(6_000);
    expect(await pollError(tv, answer.device_code)).toBe('slow_down');
    clock.advance(15_000);
    expect(await pollError(tv, answer.device_code)).toBe('authorization_pending');
    const end = await verify(provider, new CookieJar(), answer);
    expect(end.status).toBe(200);
    expect(end.html).toContain('You may return to your device');
    clock.advance(15_000);
    const res = await poll(tv, answer.device_code);
    const tokens = (await res.json()) as Record<string, string>;
    expect(res.status, JSON.stringify(tokens)).toBe(200);
    expect(tokens.id_token).toBeTruthy();
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.scope.split(' ').sort()).toEqual(['offline_access', 'openid', 'profile']);
    // The refresh token works.
    const refreshed = await tokenRequest(provider, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, tv);
    expect(refreshed.status).toBe(200);
    clock.advance(15_000);
    expect(await pollError(tv, answer.device_code)).toBe('invalid_grant');
  });

  it('DV-04 a device code of another client is refused without touching it', async () => {
    const answer = await started(tv);
    expect(await pollError(cli, answer.device_code)).toBe('invalid_grant');
    clock.advance(6_000);
    expect(await pollError(tv, answer.device_code)).toBe('authorization_pending');
    expect(await pollError(cli, 'not-a-device-code')).toBe('invalid_grant');
  });

  it('DV-05 a denied consent, or "No" on the confirmation, ends in access_denied', async () => {
    // A third-party client the user never consented to: the consent page is asked.
    const radio = await provider.createClient({ name: 'Radio', public: true, redirectUris: [], responseTypes: [], grantTypes: [GRANT] });
    const answer = await started(radio);
    const end = await verify(provider, new CookieJar(), answer, { consent: 'deny' });
    expect(end.html).toContain('Denied');
    expect(await pollError(radio, answer.device_code)).toBe('access_denied');
    const other = await started(cli);
    const cancelled = await verify(provider, new CookieJar(), other, { confirm: 'deny' });
    expect(cancelled.html).toContain('Denied');
    expect(await pollError(cli, other.device_code)).toBe('access_denied');
    expect(provider.logs.some((l) => l.event === 'device.denied')).toBe(true);
  });

  it('DV-06 expires at expires_in exactly: pending a millisecond before, expired_token at it, and the code no longer accepted at /device', async () => {
    const answer = await started(cli, 'openid');
    clock.advance(answer.expires_in * 1000 - 1);
    expect(await pollError(cli, answer.device_code)).toBe('authorization_pending');
    clock.advance(1);
    expect(await pollError(cli, answer.device_code)).toBe('expired_token');
    const jar = new CookieJar();
    const page = await (await browse(jar, answer.verification_uri_complete)).text();
    const { action, csrf } = formOf(page);
    const res = await postForm(jar, new URL(action, provider.issuer).toString(), { csrf, user_code: answer.user_code });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('not valid');
  });

  it('DV-07 a burst of 10 parallel polls after approval gets exactly one set of tokens', async () => {
    const answer = await started(cli, 'openid profile');
    await verify(provider, new CookieJar(), answer);
    clock.advance(10_000);
    const answers = await Promise.all(Array.from({ length: 10 }, () => poll(cli, answer.device_code)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(await countRows(`select count(*)::int as n from grants where client_id = ? and revoked_at is null`, [cli.clientId])).toBeGreaterThanOrEqual(1);
  });
});

describe('the verification page (RFC 8628 §3.3, §5.1)', () => {
  it('DV-08 wrong user codes are audited, and throttled per address: past the limit even the right code waits', async () => {
    const throttled = await startProvider({ JWT_OIDC_LOGIN_ADDRESS_FAILURE_LIMIT: '3' }, { captureLogs: true });
    try {
      const client = await throttled.createClient({ name: 'Kiosk', firstParty: true, redirectUris: [], responseTypes: [], grantTypes: [GRANT] });
      const res0 = await deviceRequest(throttled, client, { scope: 'openid' });
      const answer = (await res0.json()) as DeviceAnswer;
      const jar = new CookieJar();
      const statuses: number[] = [];
      for (const code of ['BCDF-GHJK', 'bcdf-ghjl', 'ZZZZ-ZZZZ', 'XXXX-XXXX']) {
        const { action, csrf } = formOf(await (await browse(jar, `${throttled.issuer}/device`)).text());
        statuses.push((await postForm(jar, new URL(action, throttled.issuer).toString(), { csrf, user_code: code })).status);
      }
      expect(statuses).toEqual([400, 400, 400, 429]);
      const { action, csrf } = formOf(await (await browse(jar, `${throttled.issuer}/device`)).text());
      const right = await postForm(jar, new URL(action, throttled.issuer).toString(), { csrf, user_code: answer.user_code.toLowerCase().replace('-', '') });
      expect(right.status).toBe(429);
      expect(right.headers.get('retry-after')).toBeTruthy();
      expect(throttled.logs.filter((l) => l.event === 'device.user_code_failed')).toHaveLength(3);
      expect(throttled.logs.some((l) => l.event === 'device.user_code_throttled')).toBe(true);
    } finally {
      await throttled.close();
    }
  });

  it('DV-09 a code is compared without case or dash; the form needs its CSRF token', async () => {
    const answer = await started(cli, 'openid');
    const jar = new CookieJar();
    const { action, csrf } = formOf(await (await browse(jar, `${provider.issuer}/device`)).text());
    const forged = await postForm(new CookieJar(), new URL(action, provider.issuer).toString(), { csrf, user_code: answer.user_code });
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('expired');
    const typed = await postForm(jar, new URL(action, provider.issuer).toString(), { csrf, user_code: ` ${answer.user_code.toLowerCase().replace('-', '')} ` });
    expect(typed.status).toBe(200);
    expect(await typed.text()).toContain('Deploy CLI');
  });
});
