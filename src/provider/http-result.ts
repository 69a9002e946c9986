/** What a protocol endpoint answers, independent of the web framework that sends it. */
export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body?: string;
  /** `Set-Cookie` values. */
  setCookies?: string[];
}

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

/** 303 See Other: after a POST the browser must GET the target, never re-POST (RFC 9700 §4.12). */
export function redirectResult(location: string, setCookies: string[] = []): HttpResult {
  return { status: 303, headers: { Location: location, ...NO_STORE }, setCookies };
}

/** Appends parameters to a registered URI, keeping its own query (SECURITY-CASES AZ-06). */
export function withQuery(uri: string, params: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) query.append(k, v);
  const text = query.toString();
  return text ? `${uri}${uri.includes('?') ? '&' : '?'}${text}` : uri;
}
