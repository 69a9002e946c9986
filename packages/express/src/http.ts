/**
 * The small HTTP pieces of the relying party: its session cookie (RFC 6265bis: HttpOnly,
 * SameSite=Lax, and `__Host-` with Secure on https), constant-time comparison of the CSRF token,
 * and HTML escaping for its pages.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { parse } from 'cookie';
import type { Request, Response } from 'express';

/** `__Host-` (Secure, Path=/, no Domain) on https; browsers refuse prefixed cookies over http (development). */
export function sessionCookieName(base: string, secure: boolean): string {
  return secure ? `__Host-${base}` : base;
}

/** The cookie's value; the first one wins (a later duplicate may be planted for a broader path or domain). */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.get('cookie');
  return header ? parse(header)[name] : undefined;
}

/** Sets (or, with `maxAge` 0, deletes) the session cookie; `maxAge` in seconds, undefined for the browser session only. */
export function writeCookie(res: Response, name: string, value: string, maxAge: number | undefined, secure: boolean): void {
  res.cookie(name, value, { path: '/', httpOnly: true, sameSite: 'lax', secure, ...(maxAge === undefined ? {} : { maxAge: maxAge * 1000 }) });
}

/** Sessions are stored under the SHA-256 of their id: a leaked store holds no usable cookie. */
export function sessionIdHash(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/** Compares secrets in time that does not depend on where they differ; an empty value never matches. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length > 0 && x.length === y.length && timingSafeEqual(x, y);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(value: unknown): string {
  return value === null || value === undefined ? '' : String(value).replace(/[&<>"'`]/g, (c) => ENTITIES[c]!);
}
