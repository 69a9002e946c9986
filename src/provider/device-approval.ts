/**
 * The user's side of a device sign-in (RFC 8628 §3.3), in the provider's own authorization flow:
 * the device request the user confirmed at `/device` becomes an authorization request for its
 * client and scope, which goes through the same session, login, second factor and consent as any
 * (src/provider/authorization/authorize.ts, the interaction pages). Its end approves the device
 * request — a grant with a single-use code that the device's poll redeems
 * (src/provider/token/grants/device-code.ts) — or denies it; no redirect URI is ever used.
 */
import { audit } from '../audit.js';
import { providerUrl, type ProviderContext } from './context.js';
import { DEVICE_PATH } from './discovery.js';
import { pageResult, type HttpResult } from './http-result.js';
import { spaceList } from './params.js';
import { registeredResources } from './resource-indicators.js';
import type { AuthorizationRequest } from './authorization/request.js';
import type { DeviceRecord } from './stores/device-store.js';
import type { NewGrant } from './stores/grant-store.js';
import { digest } from './stores/secrets.js';

export const DEVICE_EXPIRED = { view: 'error', title: 'Device sign-in expired', message: 'This device sign-in is no longer valid. Start again on your device.' } as const;

/**
 * The authorization request a confirmed device request stands for: its redirect URI is the
 * verification page, where an error (a denied consent, a refused user) ends the device request
 * (`state` names it: the digest of its device code, which only this browser was sent).
 */
export async function deviceAuthorizationRequest(ctx: ProviderContext, record: DeviceRecord): Promise<AuthorizationRequest> {
  const resources = record.resources ?? undefined;
  const found = resources ? await registeredResources(ctx.resources, resources) : [];
  return {
    clientId: record.clientId,
    redirectUri: providerUrl(ctx, DEVICE_PATH),
    redirectUriGiven: false,
    responseType: 'code',
    responseMode: 'query',
    scopes: spaceList(record.scope),
    state: record.deviceHash,
    prompt: [],
    resources,
    resourceScopes: resources ? [...new Set(found.flatMap((r) => r.scopes))] : undefined,
    device: record.deviceHash,
  };
}

/**
 * Approves the device request, once, while it is pending and live: the grant is made with a code
 * that lives as long as the request still does. A request decided or expired meanwhile gets no
 * grant (the one just made is revoked).
 */
export async function approveDevice(ctx: ProviderContext, deviceHash: string, grant: NewGrant, clientName: string, setCookies: string[]): Promise<HttpResult> {
  const pending = await ctx.devices.findPending(deviceHash);
  const ttlMs = pending ? pending.expiresAt - ctx.clock.now() : 0;
  if (!pending || ttlMs <= 0) return pageResult(400, DEVICE_EXPIRED, {}, setCookies);
  const { code, grantId } = await ctx.grants.createWithCode(grant, { redirectUri: null, codeChallenge: null, ttlMs });
  if (!(await ctx.devices.approve(deviceHash, { userId: grant.userId, grantId, codeHash: digest(code) }))) {
    await ctx.grants.revoke(grantId);
    return pageResult(400, DEVICE_EXPIRED, {}, setCookies);
  }
  audit(ctx.logger, 'device.approved', { outcome: 'success', actor: grant.userId, client: grant.clientId, grant: grantId }, 'device sign-in approved');
  return pageResult(200, { view: 'device-done', approved: true, clientName }, {}, setCookies);
}

/** Denies the device request, once, while it is pending and live; its poll then gets access_denied. */
export async function denyDevice(ctx: ProviderContext, deviceHash: string, ip: string, clientId?: string): Promise<boolean> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(deviceHash)) return false;
  const denied = await ctx.devices.deny(deviceHash);
  if (denied) audit(ctx.logger, 'device.denied', { outcome: 'refused', client: clientId, ip }, 'device sign-in denied');
  return denied;
}
