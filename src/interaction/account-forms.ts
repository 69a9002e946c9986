/**
 * What the account pages share (docs/ACCOUNTS.md: password reset, registration): their forms
 * carry a double-submit CSRF token — a random value in a SameSite=Strict cookie and in a hidden
 * field, which a cross-site post cannot both know and send (docs/SECURITY.md AC-04) — and their
 * pages are never cached, and leave no Referer (a token may be in their URL).
 */
import { randomBytes } from 'node:crypto';
import { cookieName, serializeCookie } from '../provider/cookies.js';
import type { ProviderContext } from '../provider/context.js';
import { PAGE_HEADERS, type HttpResult, type ProviderRequest } from '../provider/http-result.js';
import { PAGE_CSP } from './views/layout.js';

/** The double-submit token of one family of forms, in its own cookie (`jwt-oidc.<name>`). */
export interface DoubleSubmit {
  /** A fresh token for a form shown, and the cookie that carries it. */
  issue(): { token: string; cookie: string };
  /** Whether the post carries this browser's token (its cookie, and the same value in the form). */
  matches(req: ProviderRequest, sent: string): boolean;
  /** The cookie's removal, once the form is done with. */
  clear(): string;
}

export function doubleSubmit(ctx: Pick<ProviderContext, 'cookies' | 'basePath'>, name: string): DoubleSubmit {
  const cookie = (value: string, maxAge: number) => serializeCookie({ name: cookieName(`jwt-oidc.${name}`, ctx.cookies.secure), value, maxAge, path: `${ctx.basePath}/`, secure: ctx.cookies.secure, sameSite: 'Strict' });
  return {
    issue() {
      const token = randomBytes(24).toString('base64url');
      return { token, cookie: cookie(token, 3600) };
    },
    matches(req, sent) {
      const value = req.cookies.get(cookieName(`jwt-oidc.${name}`, ctx.cookies.secure));
      return !!value && value.length >= 32 && value === sent;
    },
    clear: () => cookie('', 0),
  };
}

/** The posted form's fields, as strings ('' for a missing or repeated one). */
export function formFields(req: ProviderRequest): (name: string) => string {
  const body = (req.body ?? {}) as Record<string, unknown>;
  return (name) => (typeof body[name] === 'string' ? (body[name] as string) : '');
}

/** A sign-in interaction named by a form or a query: a plausible uid, or undefined. */
export function interactionParam(value: unknown): string | undefined {
  return typeof value === 'string' && /^[\w-]{1,64}$/.test(value) ? value : undefined;
}

/**
 * An account page: never cached; no Referer leaves it (helmet's no-referrer holds everywhere),
 * as a token may be in its URL. `csp` widens form-action where the post ends at an application.
 */
export function accountPage(status: number, body: string, setCookies: string[], headers: Record<string, string> = {}): HttpResult {
  return { status, headers: { ...PAGE_HEADERS, 'Content-Security-Policy': PAGE_CSP, 'Cache-Control': 'no-store', ...headers }, body, setCookies };
}

/** The account page (src/http/console.ts), where the account pages send the user back to. */
export const ACCOUNT_PATH = '/account';

/** The account page's URL, or undefined when JWT_OIDC_ACCOUNT_PAGE is off (no page to link to). */
export function accountPageUrl(ctx: Pick<ProviderContext, 'issuer' | 'settings'>): string | undefined {
  return ctx.settings.accountPage ? `${ctx.issuer.replace(/\/$/, '')}${ACCOUNT_PATH}` : undefined;
}
