/**
 * The service in client mode (a BFF) on loopback, logging users in at a real upstream provider,
 * and the moves of a browser against it.
 */
import { expect } from 'vitest';
import { browse, formOf, postForm, type CookieJar } from './provider.js';
import { startTestServer, type TestServer } from './server.js';

/** A port free right now (the BFF's callback URL must be registered before it starts). */
export { freePort } from '../../src/util/free-port.js';

export interface Bff extends TestServer {
  /** `http://127.0.0.1:<port>`: the BFF's public URL. */
  publicUrl: string;
}

/** Starts the service in client mode on `port` against `discovery`, with `env` on top. */
export async function startBff(port: number, discovery: string, env: Record<string, string>, options: { captureLogs?: boolean } = {}): Promise<Bff> {
  const publicUrl = `http://127.0.0.1:${port}`;
  const server = await startTestServer(
    { JWT_OIDC_TYPE: 'client', JWT_OIDC_DISCOVERY_ENDPOINT: discovery, JWT_OIDC_PUBLIC_URL: publicUrl, PORT: String(port), HOST: '127.0.0.1', ...env },
    options,
  );
  return { ...server, publicUrl };
}

/** `me` through the BFF with the browser's cookies (as a same-origin frontend would call it). */
export async function meViaSession(bff: Pick<Bff, 'url'>, jar: CookieJar, fields = 'sub clientId scopes claims userinfo user { id username email givenName familyName locale }') {
  const res = await browse(jar, `${bff.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ me { ${fields} } }` }) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) as { data?: any; errors?: any } };
}

/** Signs out through the BFF's logout form (GET the form, POST it with its CSRF token). */
export async function logoutViaForm(bff: Pick<Bff, 'url'>, jar: CookieJar): Promise<Response> {
  const page = await browse(jar, `${bff.url}/openid/logout`);
  expect(page.status).toBe(200);
  const { action, csrf } = formOf(await page.text());
  return postForm(jar, new URL(action, bff.url).toString(), { csrf });
}
