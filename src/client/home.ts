/**
 * `GET /` in client mode when nothing else serves it: a placeholder for the frontend. After a
 * login and after a sign-out the browser comes back to LOGIN_REDIRECT_URL and
 * LOGOUT_REDIRECT_URL, `/` by default; without a frontend there, this page says who is signed
 * in (or that nobody is) and how to put the frontend in its place, instead of a JSON 404.
 */
import type { Request, RequestHandler } from 'express';
import { html } from '../interaction/views/html.js';
import { page, PAGE_CSP } from '../interaction/views/layout.js';

const PLACEHOLDER = html`<p class="hint">This page is a placeholder. Serve your frontend at <code>/</code> on this origin (for example behind a reverse proxy that sends <code>/openid</code> and <code>/graphql</code> here), or set <code>JWT_OIDC_LOGIN_REDIRECT_URL</code> to where it lives.</p>`;

/** The name to greet: the provider's `name`, then `preferred_username`, the local username, the subject. */
export function displayName(req: Pick<Request, 'userClaims' | 'userinfo' | 'user'>): string {
  const claims = { ...req.userinfo, ...req.userClaims };
  for (const candidate of [claims.name, claims.preferred_username, req.user?.username, claims.sub]) {
    if (typeof candidate === 'string' && candidate.trim()) return candidate.trim();
  }
  return 'an unnamed user';
}

export function clientHome(basePath: string): RequestHandler {
  return (req, res) => {
    const body = req.oidc?.loggedIn
      ? html`<h1>Signed in</h1>
<p class="sub">Signed in as <strong>${displayName(req)}</strong>.</p>
${PLACEHOLDER}
<a class="back" href="${basePath}/logout">Sign out</a>`
      : html`<h1>You are signed out</h1>
<p class="sub">Nobody is signed in in this browser.</p>
${PLACEHOLDER}
<a class="back" href="${basePath}/login">Sign in</a>`;
    // Who is signed in differs per browser: never cached, by the browser or anything between.
    res
      .status(200)
      .set({ 'Content-Security-Policy': PAGE_CSP, 'Cache-Control': 'no-store' })
      .type('html')
      .send(page({ title: req.oidc?.loggedIn ? 'Signed in' : 'Signed out', body: body.value }));
  };
}
