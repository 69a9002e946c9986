/** What a protocol endpoint answers, independent of the web framework that sends it. */
export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body?: string;
  /** A page to show, as data: the HTTP edge renders it (and sets its Content-Security-Policy). */
  page?: PageView;
  /** `Set-Cookie` values. */
  setCookies?: string[];
}

/** What a sign-out ends: the whole provider session, or only one application's access. */
export type LogoutScope = { whole: true } | { whole: false; clientName: string };

/** A way back to the application: its registered home page (`client_uri`, RFC 7591 §2), never a URI from the request. */
export interface BackLink {
  name: string;
  url: string;
}

/**
 * The pages protocol code answers with. They are data here, so that the protocol core knows no
 * HTML; src/interaction/views/render.ts draws them (docs/ARCHITECTURE.md).
 */
export type PageView =
  | { view: 'error'; title: string; message: string; back?: BackLink }
  | { view: 'logout-confirm'; action: string; csrfToken: string; clientName?: string; scope: LogoutScope }
  | { view: 'logged-out'; signedOut: boolean; scope?: LogoutScope }
  /** OAuth 2.0 Form Post Response Mode: a page that POSTs the response to `action` by itself, its script under `nonce`. */
  | { view: 'form-post'; action: string; fields: Record<string, string>; nonce: string }
  /** The end of a device sign-in (RFC 8628 §3.3): back to the device, or denied. */
  | { view: 'device-done'; approved: boolean; clientName?: string };

/** Weak comparison of `If-None-Match` against an ETag (RFC 9110 §13.1.2). */
export function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}

/** A request as protocol code sees it: parsed, framework-free. */
export interface ProviderRequest {
  method: string;
  /** Query parameters (a parser that yields arrays for repeated names). */
  query: Record<string, unknown>;
  /** Form body parameters, when the body was application/x-www-form-urlencoded. */
  body?: Record<string, unknown>;
  header(name: string): string | undefined;
  cookies: Map<string, string>;
  /** The client address (behind trusted proxies: the forwarded one). */
  ip: string;
}

/** `Cache-Control: no-store` and friends for anything carrying codes, tokens or personal data. */
export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

export function jsonResult(status: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { status, headers: { 'Content-Type': 'application/json; charset=utf-8', ...NO_STORE, ...headers }, body: JSON.stringify(body) };
}

/** Every page: HTML, never framed, never stored (docs/SECURITY.md SE-06). */
export const PAGE_HEADERS = { 'Content-Type': 'text/html; charset=utf-8', 'X-Frame-Options': 'DENY', ...NO_STORE } as const;

/** A page as data; its policy comes with its drawing. */
export function pageResult(status: number, page: PageView, extra: Record<string, string> = {}, setCookies: string[] = []): HttpResult {
  return { status, headers: { ...PAGE_HEADERS, ...extra }, page, setCookies };
}

/** The "Back to <name>" link of a client that registered its home page. */
export function backTo(client: { name: string; clientUri: string | null } | undefined): BackLink | undefined {
  return client?.clientUri ? { name: client.name, url: client.clientUri } : undefined;
}

/** 303 See Other: after a POST the browser must GET the target, never re-POST (RFC 9700 §4.12). */
export function redirectResult(location: string, setCookies: string[] = []): HttpResult {
  return { status: 303, headers: { Location: location, ...NO_STORE }, setCookies };
}

/** Appends parameters to a registered URI, keeping its own query (docs/SECURITY.md AZ-06). */
export function withQuery(uri: string, params: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) query.append(k, v);
  const text = query.toString();
  return text ? `${uri}${uri.includes('?') ? '&' : '?'}${text}` : uri;
}
