/**
 * The console's sign-in (console/src/auth/session.ts) against a scripted provider: the code
 * exchange with PKCE, the checks of state, issuer, audience and nonce, renewals once for many
 * callers, an ended session, and returning only to the console's own paths.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Auth, CONSOLE_SCOPE, SessionExpired } from '../src/auth/session';
import type { ConsoleConfig } from '../src/config';

const CONFIG: ConsoleConfig = { issuer: 'https://id.example.com', graphql: 'https://id.example.com/graphql', clientId: 'jwt-oidc-console', base: '/admin', productName: 'Acme' };
const DISCOVERY = {
  authorization_endpoint: 'https://id.example.com/authorize',
  token_endpoint: 'https://id.example.com/token',
  end_session_endpoint: 'https://id.example.com/session/end',
  revocation_endpoint: 'https://id.example.com/token/revocation',
};

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const idToken = (claims: Record<string, unknown>) => `${b64({ alg: 'ES256' })}.${b64(claims)}.sig`;

interface Call {
  url: string;
  form?: URLSearchParams;
}

/** The browser globals the module uses, for one test. */
let storage: Map<string, string>;
let assigned: string[];
let replaced: string[];
let here: string;

beforeEach(() => {
  storage = new Map();
  assigned = [];
  replaced = [];
  here = 'https://id.example.com/admin/users?search=ada';
  Object.assign(globalThis, {
    sessionStorage: { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => storage.set(k, v), removeItem: (k: string) => storage.delete(k) },
    location: {
      get href() {
        return here;
      },
      get origin() {
        return new URL(here).origin;
      },
      assign: (u: string) => assigned.push(u),
    },
    history: { replaceState: (_s: unknown, _t: string, u: string) => replaced.push(u) },
    window: { opener: null, name: '' },
  });
});
afterEach(() => {
  for (const k of ['sessionStorage', 'location', 'history', 'window']) delete (globalThis as Record<string, unknown>)[k];
});

/** A provider that answers token requests with `token(form)`; every call recorded. `discovery` replaces its document. */
function provider(token: (form: URLSearchParams) => { status: number; body: unknown }, discovery: Record<string, unknown> = DISCOVERY) {
  const calls: Call[] = [];
  const fetchFn = (async (input: string, init?: RequestInit) => {
    const form = init?.body instanceof URLSearchParams ? init.body : undefined;
    calls.push({ url: String(input), form });
    if (String(input).endsWith('/.well-known/openid-configuration')) return Response.json(discovery);
    if (String(input) === discovery.pushed_authorization_request_endpoint) return Response.json({ request_uri: 'urn:ietf:params:oauth:request_uri:abc', expires_in: 60 }, { status: 201 });
    if (String(input) === DISCOVERY.token_endpoint) {
      const answer = token(form!);
      return Response.json(answer.body, { status: answer.status });
    }
    return new Response(null, { status: 200 });
  }) as typeof fetch;
  return { calls, fetchFn };
}

let clock = 1_000_000;
const now = () => clock;

/** Starts a sign-in, then comes back to the callback with what `back` gives. */
async function signIn(auth: Auth, back: (params: URLSearchParams) => Record<string, string>): Promise<void> {
  await auth.start();
  const request = new URL(assigned.at(-1)!);
  here = `https://id.example.com/admin/callback?${new URLSearchParams(back(request.searchParams))}`;
  await auth.start();
}

const goodTokens = (nonce: string, extra: Record<string, unknown> = {}) => ({
  status: 200,
  body: { access_token: 'at-1', refresh_token: 'rt-1', expires_in: 300, id_token: idToken({ iss: CONFIG.issuer, aud: CONFIG.clientId, sub: 'u-1', nonce, ...extra }) },
});

describe('signing in', () => {
  it('asks for the code with S256 PKCE, state and nonce, exchanges it with the verifier, and returns to the page it came from', async () => {
    let nonce = '';
    const { calls, fetchFn } = provider(() => goodTokens(nonce));
    const auth = new Auth(CONFIG, { fetch: fetchFn, now });
    await signIn(auth, (q) => {
      nonce = q.get('nonce')!;
      return { code: 'c-1', state: q.get('state')! };
    });
    const request = new URL(assigned[0]!);
    expect(Object.fromEntries(request.searchParams)).toMatchObject({ response_type: 'code', client_id: 'jwt-oidc-console', redirect_uri: 'https://id.example.com/admin/callback', scope: CONSOLE_SCOPE, code_challenge_method: 'S256' });
    const exchange = calls.find((c) => c.url === DISCOVERY.token_endpoint)!.form!;
    const verifier = exchange.get('code_verifier')!;
    const challenge = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))).toString('base64url');
    expect(request.searchParams.get('code_challenge')).toBe(challenge);
    expect(Object.fromEntries(exchange)).toMatchObject({ grant_type: 'authorization_code', code: 'c-1', client_id: 'jwt-oidc-console' });
    expect(replaced).toEqual(['/admin/users?search=ada']);
    expect(auth.state).toEqual({ status: 'signed-in', sub: 'u-1' });
    expect(await auth.accessToken()).toBe('at-1');
    // The one-time values are gone once used.
    expect(storage.size).toBe(0);
  });

  it('pushes the request first when the provider requires it (RFC 9126): the browser carries only client_id and request_uri', async () => {
    const required = { ...DISCOVERY, pushed_authorization_request_endpoint: 'https://id.example.com/par', require_pushed_authorization_requests: true };
    const { calls, fetchFn } = provider(() => goodTokens('x'), required);
    await new Auth(CONFIG, { fetch: fetchFn, now }).start();
    expect(Object.fromEntries(new URL(assigned[0]!).searchParams)).toEqual({ client_id: 'jwt-oidc-console', request_uri: 'urn:ietf:params:oauth:request_uri:abc' });
    const pushed = calls.find((c) => c.url === required.pushed_authorization_request_endpoint)!.form!;
    expect(Object.fromEntries(pushed)).toMatchObject({ response_type: 'code', client_id: 'jwt-oidc-console', redirect_uri: 'https://id.example.com/admin/callback', scope: CONSOLE_SCOPE, code_challenge_method: 'S256' });
    // Offered but not required: the plain request, as before.
    const optional = provider(() => goodTokens('x'), { ...required, require_pushed_authorization_requests: false });
    await new Auth(CONFIG, { fetch: optional.fetchFn, now }).start();
    expect(new URL(assigned[1]!).searchParams.get('response_type')).toBe('code');
    expect(optional.calls.some((c) => c.url === required.pushed_authorization_request_endpoint)).toBe(false);
  });

  it('refuses a callback whose state is not the one sent, without asking for tokens', async () => {
    const { calls, fetchFn } = provider(() => goodTokens('x'));
    const auth = new Auth(CONFIG, { fetch: fetchFn, now });
    await signIn(auth, () => ({ code: 'c-1', state: 'forged' }));
    expect(auth.state.status).toBe('failed');
    expect(calls.some((c) => c.url === DISCOVERY.token_endpoint)).toBe(false);
  });

  it.each([
    ['another issuer', { iss: 'https://evil.example' }],
    ['another audience', { aud: 'other-client' }],
    ['another nonce', { nonce: 'replayed' }],
  ])('refuses an ID token of %s', async (_what, claims) => {
    let nonce = '';
    const { fetchFn } = provider(() => goodTokens(nonce, claims));
    const auth = new Auth(CONFIG, { fetch: fetchFn, now });
    await signIn(auth, (q) => {
      nonce = q.get('nonce')!;
      return { code: 'c-1', state: q.get('state')! };
    });
    expect(auth.state).toMatchObject({ status: 'failed', message: expect.stringContaining('not for this page') });
    await expect(auth.accessToken()).rejects.toBeInstanceOf(SessionExpired);
  });

  it('says that the user cancelled, from the error the provider sent back', async () => {
    const { fetchFn } = provider(() => goodTokens('x'));
    const auth = new Auth(CONFIG, { fetch: fetchFn, now });
    await signIn(auth, (q) => ({ error: 'access_denied', state: q.get('state')! }));
    expect(auth.state).toEqual({ status: 'failed', message: 'Sign-in was cancelled.' });
  });

  it('returns only to a path of the console, never elsewhere', async () => {
    const { fetchFn } = provider(() => goodTokens('x'));
    const auth = new Auth(CONFIG, { fetch: fetchFn, now });
    for (const target of ['//evil.example/admin/', 'https://evil.example/', '/other', '/administrator']) {
      storage.clear();
      await auth.redirect(target);
      expect(JSON.parse([...storage.values()][0]!).returnTo, target).toBe('/admin/');
    }
    await auth.redirect('/admin/keys');
    expect(JSON.parse([...storage.values()][0]!).returnTo).toBe('/admin/keys');
  });
});

describe('renewing', () => {
  async function signedIn(token: (form: URLSearchParams) => { status: number; body: unknown }) {
    let nonce = '';
    let first = true;
    const scripted = provider((form) => {
      if (first) {
        first = false;
        return goodTokens(nonce);
      }
      return token(form);
    });
    const auth = new Auth(CONFIG, { fetch: scripted.fetchFn, now });
    await signIn(auth, (q) => {
      nonce = q.get('nonce')!;
      return { code: 'c-1', state: q.get('state')! };
    });
    return { auth, calls: scripted.calls };
  }

  it('uses the access token until 30 s before it expires, then renews it once for every caller at a time, with the rotated refresh token next', async () => {
    let n = 1;
    const { auth, calls } = await signedIn(() => ({ status: 200, body: { access_token: `at-${++n}`, refresh_token: `rt-${n}`, expires_in: 300 } }));
    expect(await auth.accessToken()).toBe('at-1');
    clock += 269_000;
    expect(await auth.accessToken()).toBe('at-1');
    clock += 2_000;
    const tokens = await Promise.all([auth.accessToken(), auth.accessToken(), auth.accessToken()]);
    expect(tokens).toEqual(['at-2', 'at-2', 'at-2']);
    const refreshes = calls.filter((c) => c.form?.get('grant_type') === 'refresh_token');
    expect(refreshes.map((c) => c.form!.get('refresh_token'))).toEqual(['rt-1']);
    clock += 280_000;
    expect(await auth.accessToken()).toBe('at-3');
    expect(calls.filter((c) => c.form?.get('grant_type') === 'refresh_token').map((c) => c.form!.get('refresh_token'))).toEqual(['rt-1', 'rt-2']);
  });

  it('ends the session when the provider refuses the refresh token: SessionExpired, and the shell is told', async () => {
    const { auth } = await signedIn(() => ({ status: 400, body: { error: 'invalid_grant' } }));
    const seen: string[] = [];
    auth.subscribe(() => seen.push(auth.state.status));
    await expect(auth.refresh()).rejects.toBeInstanceOf(SessionExpired);
    expect(seen).toEqual(['expired']);
    await expect(auth.accessToken()).rejects.toBeInstanceOf(SessionExpired);
  });

  it('keeps the session when the provider fails for a moment (5xx): an error, not an ended session', async () => {
    const { auth } = await signedIn(() => ({ status: 503, body: {} }));
    await expect(auth.refresh()).rejects.toThrow('HTTP 503');
    expect(auth.state.status).toBe('signed-in');
  });
});

describe('another page of the build (the account page)', () => {
  it('asks for its own scopes at its own callback, keeps its pending sign-in apart, and returns to its own paths only', async () => {
    const { fetchFn } = provider(() => ({ status: 200, body: {} }));
    here = 'https://id.example.com/auth/account';
    const auth = new Auth({ ...CONFIG, issuer: 'https://id.example.com/auth', clientId: 'jwt-oidc-account', base: '/auth/account' }, { fetch: fetchFn, now, scope: 'openid profile email offline_access', name: 'jwt-oidc-account' });
    await auth.start();
    const request = new URL(assigned.at(-1)!);
    expect(Object.fromEntries(request.searchParams)).toMatchObject({ client_id: 'jwt-oidc-account', redirect_uri: 'https://id.example.com/auth/account/callback', scope: 'openid profile email offline_access' });
    expect([...storage.keys()]).toEqual(['jwt-oidc-account.signin']);
    expect(JSON.parse(storage.get('jwt-oidc-account.signin')!).returnTo).toBe('/auth/account');
    await auth.redirect('/admin/users');
    expect(JSON.parse(storage.get('jwt-oidc-account.signin')!).returnTo).toBe('/auth/account/');
  });
});
