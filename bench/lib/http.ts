/**
 * The few HTTP moves the benchmark makes outside autocannon: a browser logging in through the
 * provider's real pages (to get a session), and the requests of a relying party.
 */
import { createHash, randomBytes } from 'node:crypto';

export function basicAuth(id: string, secret: string): string {
  // RFC 6749 §2.3.1: form-urlencoded before base64.
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

export const FORM = 'application/x-www-form-urlencoded';

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export { CookieJar } from '../../test/support/cookie-jar.js';
import { CookieJar } from '../../test/support/cookie-jar.js';

async function browse(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (jar.cookies.size) headers.set('cookie', jar.header());
  const res = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.store(res);
  return res;
}

export interface AuthorizeParams {
  clientId: string;
  redirectUri: string;
  scope: string;
  challenge: string;
}

export function authorizePath(p: AuthorizeParams): string {
  const q = new URLSearchParams({
    client_id: p.clientId,
    redirect_uri: p.redirectUri,
    response_type: 'code',
    scope: p.scope,
    state: 'bench-state',
    code_challenge: p.challenge,
    code_challenge_method: 'S256',
  });
  return `/authorize?${q}`;
}

/**
 * A browser logs in through the provider's own pages (login form with CSRF token, consent when
 * asked) and ends at the client's redirect URI; returns the jar holding the provider session.
 * Later authorization requests with this jar get a code at once: that is how pools of codes are
 * made without paying a password hash per code.
 */
export async function loginSession(issuer: string, a: AuthorizeParams, user: { username: string; password: string }): Promise<CookieJar> {
  const jar = new CookieJar();
  let url = issuer + authorizePath(a);
  let res = await browse(jar, url);
  for (let hops = 0; hops < 8; hops++) {
    if (res.status !== 302 && res.status !== 303) throw new Error(`login: unexpected ${res.status} at ${url}: ${(await res.text()).slice(0, 300)}`);
    const location = new URL(res.headers.get('location')!, url);
    if (!location.pathname.includes('/interaction/')) {
      if (!location.searchParams.get('code')) throw new Error(`login ended without a code: ${location}`);
      return jar;
    }
    url = location.toString();
    res = await browse(jar, url);
    if (res.status === 302 || res.status === 303) continue;
    const html = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    if (res.status !== 200 || !action || !csrf) throw new Error(`login: no form at ${url} (${res.status}): ${html.slice(0, 300)}`);
    const fields: Record<string, string> = action.endsWith('/login') ? { csrf, username: user.username, password: user.password } : { csrf, decision: 'allow' };
    res = await browse(jar, new URL(action, url).toString(), { method: 'POST', headers: { 'content-type': FORM }, body: form(fields) });
  }
  throw new Error('login: too many redirects');
}

/** POST /token with client_secret_basic; throws unless 200. */
export async function tokenRequest(issuer: string, authorization: string, fields: Record<string, string>): Promise<Record<string, string>> {
  const res = await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': FORM, authorization }, body: form(fields) });
  const body = (await res.json()) as Record<string, string>;
  if (res.status !== 200) throw new Error(`token request (${fields.grant_type}) failed: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** POST `{ me }` to a GraphQL server with a bearer token. */
export async function queryMe(url: string, token?: string): Promise<{ status: number; body: { data?: { me?: string | null }; errors?: unknown[] } }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: '{ me }' }),
  });
  const text = await res.text();
  let body: { data?: { me?: string | null }; errors?: unknown[] } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = { errors: [text.slice(0, 200)] };
  }
  return { status: res.status, body };
}
