/**
 * First run: `/admin/setup` creates the first administrator in a browser, as Keycloak's first
 * start does — only while no administrator exists (afterwards the page is gone for good: 404),
 * and only for a browser on the server's own machine or one that types the one-time setup code
 * the server printed when it started (FirstAdminSetup). A form with a double-submit CSRF token
 * (a SameSite=Strict cookie and a hidden field); wrong setup codes are throttled per address;
 * many submissions at once make exactly one administrator (src/users/first-admin.ts).
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { audit } from '../audit.js';
import type { Clock } from '../clock.js';
import { cookieName, serializeCookie } from '../provider/cookies.js';
import type { ProviderContext } from '../provider/context.js';
import { PAGE_HEADERS, type HttpResult, type ProviderRequest } from '../provider/http-result.js';
import { addressKey } from '../provider/throttle/login-keys.js';
import { createFirstAdministrator, hasAdministrator } from '../users/first-admin.js';
import { UserError } from '../users/user-service.js';
import { FailureThrottle } from '../util/failure-throttle.js';
import { errorPage } from './views/error.js';
import { PAGE_CSP } from './views/layout.js';
import { setupDonePage, setupPage, type SetupField, type SetupView } from './views/setup.js';

export const SETUP_PATH = '/admin/setup';

/** Wrong setup codes per address and quarter hour, at most. */
const CODE_FAILURES = 10;
const CODE_WINDOW_MS = 15 * 60_000;
/** Crockford's base32: no I, L, O, U to misread. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The setup code of this instance's start, and whether setup is still open. */
export class FirstAdminSetup {
  /** `XXXX-XXXX-XXXX`: 60 random bits, to type from the server's output. */
  readonly code: string;
  private readonly digest: Buffer;
  private done = false;
  readonly throttle: FailureThrottle;

  constructor(clock: Clock) {
    this.code = Array.from({ length: 3 }, () => Array.from({ length: 4 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')).join('-');
    this.digest = digestOf(this.code);
    this.throttle = new FailureThrottle({ limit: CODE_FAILURES, windowMs: CODE_WINDOW_MS, clock });
  }

  /** Whether `typed` is the code, ignoring case, spaces and dashes; in constant time. */
  matches(typed: string): boolean {
    return timingSafeEqual(digestOf(typed), this.digest);
  }

  /** Open until an administrator exists; once one does, for good (without asking again). */
  async open(ctx: Pick<ProviderContext, 'orm'>): Promise<boolean> {
    if (this.done) return false;
    if (await hasAdministrator(ctx.orm)) this.done = true;
    return !this.done;
  }

  close(): void {
    this.done = true;
  }
}

function digestOf(code: string): Buffer {
  return createHash('sha256').update(code.toUpperCase().replace(/[\s-]/g, ''), 'utf8').digest();
}

/** What the edge tells about the request besides ProviderRequest: whether it comes from this machine. */
export interface SetupRequest extends ProviderRequest {
  local: boolean;
}

const csrfCookie = (ctx: Pick<ProviderContext, 'cookies'>) => cookieName('jwt-oidc.setup', ctx.cookies.secure);

export async function showSetup(ctx: ProviderContext, setup: FirstAdminSetup, req: SetupRequest): Promise<HttpResult> {
  if (!(await setup.open(ctx))) return gone();
  return form(ctx, req, {});
}

export async function submitSetup(ctx: ProviderContext, setup: FirstAdminSetup, req: SetupRequest): Promise<HttpResult> {
  if (!(await setup.open(ctx))) return gone();
  const body = req.body ?? {};
  const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
  const typed = { username: text('username').trim(), email: text('email').trim() };
  const again = (status: number, errors: Partial<Record<SetupField, string>>) => form(ctx, req, errors, typed, status);

  const cookie = req.cookies.get(csrfCookie(ctx));
  if (!cookie || cookie !== text('csrf')) return again(400, { form: 'This form has expired. Please try again.' });
  if (!req.local) {
    const key = `setup:${addressKey(req.ip)}`;
    const wait = setup.throttle.retryAfter(key);
    if (wait > 0) return { ...(await again(429, { code: `Too many wrong setup codes. Try again in ${Math.ceil(wait / 60)} minutes.` })), headers: { ...PAGE_HEADERS, 'Content-Security-Policy': PAGE_CSP, 'Retry-After': String(wait) } };
    if (!setup.matches(text('code'))) {
      setup.throttle.fail(key);
      audit(ctx.logger, 'setup.refused', { outcome: 'refused', ip: req.ip }, 'first-administrator setup: wrong setup code');
      return again(400, { code: 'This is not the setup code the server printed.' });
    }
  }
  if (text('password') !== text('confirm')) return again(400, { confirm: 'The two passwords differ.' });
  let created;
  try {
    created = await createFirstAdministrator(ctx.orm, { username: typed.username, email: typed.email || undefined, password: text('password') });
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    const field: SetupField = e.field === 'username' || e.field === 'email' || e.field === 'password' ? e.field : 'form';
    return again(400, { [field]: e.message });
  }
  if (created === 'exists') {
    setup.close();
    return gone();
  }
  setup.close();
  audit(ctx.logger, 'admin.created', { outcome: 'success', actor: created.id, ip: req.ip, local: req.local }, 'first administrator created');
  return page(200, setupDonePage({ username: created.username }), [serializeCookie({ name: csrfCookie(ctx), value: '', maxAge: 0, path: '/', secure: ctx.cookies.secure, sameSite: 'Strict' })]);
}

async function form(ctx: ProviderContext, req: SetupRequest, errors: SetupView['errors'], typed: { username?: string; email?: string } = {}, status = 200): Promise<HttpResult> {
  // One token per page view, in a cookie the form must match (double submit).
  const csrfToken = randomBytes(24).toString('base64url');
  const view: SetupView = { action: `${ctx.basePath}${SETUP_PATH}`, csrfToken, askCode: !req.local, errors, ...typed };
  return page(status, setupPage(view), [serializeCookie({ name: csrfCookie(ctx), value: csrfToken, maxAge: 3600, path: '/', secure: ctx.cookies.secure, sameSite: 'Strict' })]);
}

function page(status: number, body: string, setCookies: string[]): HttpResult {
  return { status, headers: { ...PAGE_HEADERS, 'Content-Security-Policy': PAGE_CSP }, body, setCookies };
}

/** Setup is done (or never was): nothing here any more. */
function gone(): HttpResult {
  return page(404, errorPage({ title: 'Not found', message: 'There is nothing here.' }), []);
}
