/**
 * The verification page of a device sign-in (RFC 8628 §3.3), `/device`: the user types the code
 * the device shows (or arrives with it from `verification_uri_complete`, §3.3.1), confirms that it
 * is their device and which application asks (§5.4: one click, whatever the link said), and then
 * signs in and consents on the interaction pages as for any sign-in
 * (src/provider/device-approval.ts). Wrong codes are throttled per address, in PostgreSQL across
 * instances (§5.1), and audited. Forms carry a double-submit CSRF token; no script.
 */
import { audit } from '../audit.js';
import { authorizationError, decide } from '../provider/authorization/authorize.js';
import type { ProviderContext } from '../provider/context.js';
import { DEVICE_PATH } from '../provider/discovery.js';
import { deviceAuthorizationRequest, denyDevice, DEVICE_EXPIRED } from '../provider/device-approval.js';
import { pageResult, type HttpResult, type ProviderRequest } from '../provider/http-result.js';
import { formatUserCode, normalizeUserCode, type DeviceRecord } from '../provider/stores/device-store.js';
import { addressKey } from '../provider/throttle/login-keys.js';
import { waitInWords } from '../util/wait-words.js';
import { accountPage, doubleSubmit, formFields } from './account-forms.js';
import { deviceCodePage, deviceConfirmPage } from './views/device.js';
import { grantableScopes } from '../provider/authorization/scopes.js';
import type { RegisteredClient } from '../clients/client-registry.js';

export { DEVICE_PATH };
export const DEVICE_CONFIRM_PATH = `${DEVICE_PATH}/confirm`;

const csrf = (ctx: ProviderContext) => doubleSubmit(ctx, 'device');
const WRONG_CODE = 'That code is not valid, or has expired. Check the code on your device.';

/**
 * GET /device[?user_code=…] — the code form, the code filled in from the link; or, back from a
 * sign-in that ended in an error (a denied consent), the end of the device request it was for.
 */
export async function showDevice(ctx: ProviderContext, req: ProviderRequest): Promise<HttpResult> {
  const error = typeof req.query.error === 'string' ? req.query.error : undefined;
  if (error !== undefined) {
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    const denied = await denyDevice(ctx, state, req.ip);
    return denied ? pageResult(200, { view: 'device-done', approved: false }) : pageResult(400, DEVICE_EXPIRED);
  }
  const typed = typeof req.query.user_code === 'string' ? normalizeUserCode(req.query.user_code) : undefined;
  return codeForm(ctx, 200, typed ? formatUserCode(typed) : undefined);
}

/** POST /device — the code typed: throttled per address; a live one leads to its confirmation. */
export async function submitDevice(ctx: ProviderContext, req: ProviderRequest): Promise<HttpResult> {
  const posted = await postedCode(ctx, req);
  if ('result' in posted) return posted.result;
  const { record, client } = posted;
  const { token, cookie } = csrf(ctx).issue();
  // What it asks, as the consent page would word it (an administrator's scope is decided there).
  const request = await deviceAuthorizationRequest(ctx, record);
  const scopes = grantableScopes(request.scopes, client, { admin: false }, ctx.settings.apiScopes, request.resourceScopes);
  return accountPage(200, deviceConfirmPage({ action: `${ctx.basePath}${DEVICE_CONFIRM_PATH}`, csrfToken: token, userCode: formatUserCode(record.userCode), clientName: client.name, scopes }), [cookie]);
}

/**
 * POST /device/confirm — "Yes, it's my device": the sign-in of the provider's own flow starts
 * (session, login, second factor, consent); "No": the device request is denied.
 */
export async function confirmDevice(ctx: ProviderContext, req: ProviderRequest): Promise<HttpResult> {
  const posted = await postedCode(ctx, req);
  if ('result' in posted) return posted.result;
  const { record, client, form } = posted;
  if (form('decision') !== 'confirm') {
    await denyDevice(ctx, record.deviceHash, req.ip, client.id);
    return pageResult(200, { view: 'device-done', approved: false, clientName: client.name }, {}, [csrf(ctx).clear()]);
  }
  const request = await deviceAuthorizationRequest(ctx, record);
  const session = await ctx.sessions.find(req.cookies.get(ctx.cookies.session));
  const result = await decide(ctx, request, client, session, undefined, req.ip).catch((e: unknown) => authorizationError(ctx, e));
  return { ...result, setCookies: [...(result.setCookies ?? []), csrf(ctx).clear()] };
}

/**
 * The live pending request of a typed code. Every look-up is reserved against the address's
 * budget first (the reservation kept as a failure for a wrong code, refunded for a right one), so
 * that guessing 8 letters of 20 is hopeless under any concurrency (RFC 8628 §5.1).
 */
/** A posted form's live device request and its client: the CSRF token checked, the code looked up (throttled); or the page that says why not. */
async function postedCode(ctx: ProviderContext, req: ProviderRequest): Promise<{ record: DeviceRecord; client: RegisteredClient; form: ReturnType<typeof formFields> } | { result: HttpResult }> {
  const form = formFields(req);
  const typed = form('user_code').slice(0, 32);
  if (!csrf(ctx).matches(req, form('csrf'))) return { result: await codeForm(ctx, 400, typed, 'This form has expired. Please try again.') };
  const found = await lookup(ctx, req, typed);
  if ('result' in found) return found;
  const client = await ctx.clients.get(found.record.clientId);
  if (!client) return { result: pageResult(400, DEVICE_EXPIRED) };
  return { record: found.record, client, form };
}

async function lookup(ctx: ProviderContext, req: ProviderRequest, typed: string): Promise<{ record: DeviceRecord } | { result: HttpResult }> {
  const reservation = await ctx.failures.reserveInTurn([{ key: `device-${addressKey(req.ip)}`, limit: ctx.settings.loginAddressFailureLimit }]);
  if (!reservation.ok) {
    audit(ctx.logger, 'device.user_code_throttled', { outcome: 'refused', ip: req.ip }, 'device code entry throttled');
    const wait = reservation.retryAfter;
    return { result: await codeForm(ctx, 429, typed, `Too many wrong codes. Try again in ${waitInWords(wait)}.`, { 'Retry-After': String(wait) }) };
  }
  const code = normalizeUserCode(typed);
  const record = code ? await ctx.devices.findPendingByUserCode(code) : undefined;
  if (!record) {
    await ctx.failures.failed(reservation);
    audit(ctx.logger, 'device.user_code_failed', { outcome: 'failure', ip: req.ip }, 'wrong device code entered');
    return { result: await codeForm(ctx, 400, typed, WRONG_CODE) };
  }
  await ctx.failures.succeeded(reservation);
  return { record };
}

async function codeForm(ctx: ProviderContext, status: number, userCode?: string, error?: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  const { token, cookie } = csrf(ctx).issue();
  return accountPage(status, deviceCodePage({ action: `${ctx.basePath}${DEVICE_PATH}`, csrfToken: token, userCode, error }), [cookie], headers);
}
