/**
 * The properties every fuzzed response must pass, whatever was sent:
 *   - status < 500 (the database is up during these tests, so no 503 either; 429 is fine);
 *   - no stack trace, no source or node_modules path, no SQL or driver text in the body;
 *   - every Location (and Refresh, meta refresh, form action of an HTML page) points to the
 *     service's own origin (relative URLs count as own) or to a redirect / post-logout URI
 *     registered for a client named in the request;
 *   - GraphQL: no INTERNAL_SERVER_ERROR (an unexpected exception, masked).
 * The fifth, ∅DB (a rejected request leaves the database as it was), is in database.ts and
 * checked by `probe` (http.ts).
 */

/** A response as the checks see it. */
export interface Observed {
  status: number;
  headers: Headers;
  body: string;
  /** The request URL (relative Location values resolve against it). */
  url: string;
}

/** Where responses may send a browser. */
export interface Policy {
  /** Origins of the service itself. */
  own: string[];
  /** Exact URIs (registered redirect and post-logout URIs): a target is one, or one followed by ?, & or # and more. */
  targets?: string[];
  /** Whole origins a target may be on (the fake provider's allowed frontends). */
  origins?: string[];
  /** Endpoint URLs of another service the response may send the browser to, with any query. */
  endpoints?: string[];
}

const LEAKS: [RegExp, string][] = [
  [/\bat .+\(.*:\d+:\d+\)/, 'a stack frame'],
  [/\bat (?:async )?(?:file:\/\/|node:|\/)[^\s"'<>]*:\d+:\d+/, 'a stack frame'],
  [/\b[A-Za-z]*Error:[^\n]*\n\s+at /, 'an error with stack frames'],
  [/\bErrors?:[^\n]*\\n\s*at /, 'an error with stack frames (escaped)'],
  [/node_modules[\\/]/, 'a node_modules path'],
  [/\/(?:src|dist)\/[\w/.-]+\.(?:ts|js):\d+/, 'a source path'],
  [/"stacktrace"\s*:/, 'a GraphQL stack trace'],
  [/\b(select|insert|update|delete)\b.+\b(from|into|set)\b/i, 'SQL'],
  [/syntax error at or near/i, 'a PostgreSQL error'],
  [/\bviolates\b/i, 'a PostgreSQL constraint error'],
  [/relation "/i, 'a PostgreSQL relation name'],
  [/\bMikroORM\b|\bDriverException\b|\bQueryFailedError\b/, 'an ORM error'],
];

/** Why a response breaks the properties (empty: it passes). */
export function problemsOf(res: Observed, policy: Policy): string[] {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`status ${res.status}`);
  for (const [pattern, what] of LEAKS) {
    const m = pattern.exec(res.body);
    if (m) problems.push(`the body shows ${what}: ${JSON.stringify(res.body.slice(Math.max(0, m.index - 40), m.index + 120))}`);
  }
  const location = res.headers.get('location');
  if (location !== null && !allowedTarget(location, res.url, policy)) problems.push(`Location leaves the allowed targets: ${JSON.stringify(location)}`);
  const refresh = res.headers.get('refresh');
  if (refresh !== null) {
    const target = /url\s*=\s*(.*)$/i.exec(refresh)?.[1]?.trim().replace(/^['"]|['"]$/g, '');
    if (target && !allowedTarget(target, res.url, policy)) problems.push(`Refresh leaves the allowed targets: ${JSON.stringify(refresh)}`);
  }
  if (/<(form|meta)\b/i.test(res.body)) {
    for (const m of res.body.matchAll(/<form\b[^>]*\baction\s*=\s*("([^"]*)"|'([^']*)'|([^\s>]+))/gi)) {
      const action = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
      if (!allowedTarget(action, res.url, policy)) problems.push(`a form posts outside the allowed targets: ${JSON.stringify(action)}`);
    }
    for (const m of res.body.matchAll(/<meta\b[^>]*http-equiv\s*=\s*["']?refresh["']?[^>]*content\s*=\s*["']([^"']*)["']/gi)) {
      const target = /url\s*=\s*(.*)$/i.exec(decodeEntities(m[1]!))?.[1]?.trim();
      if (target && !allowedTarget(target, res.url, policy)) problems.push(`a meta refresh leaves the allowed targets: ${JSON.stringify(target)}`);
    }
  }
  if (/"INTERNAL_SERVER_ERROR"/.test(res.body)) problems.push('a GraphQL INTERNAL_SERVER_ERROR (an unexpected exception)');
  return problems;
}

function decodeEntities(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Whether a browser following `raw` (from a response to `requestUrl`) stays where it may go. */
export function allowedTarget(raw: string, requestUrl: string, policy: Policy): boolean {
  // What a browser would make of it: control characters and surrounding spaces are dropped.
  let url: URL;
  try {
    url = new URL(raw, requestUrl);
  } catch {
    return false;
  }
  if (policy.own.includes(url.origin) && url.protocol.startsWith('http')) return true;
  if (policy.origins?.includes(url.origin)) return true;
  for (const endpoint of policy.endpoints ?? []) {
    if (url.href === endpoint || url.href.startsWith(`${endpoint}?`)) return true;
  }
  for (const target of policy.targets ?? []) {
    if (raw === target) return true;
    for (const sep of ['?', '&', '#']) if (raw.startsWith(target + sep)) return true;
  }
  return false;
}

/** Throws, describing the exchange, when the response breaks a property. */
export function assertResponse(res: Observed, policy: Policy, request?: unknown): void {
  const problems = problemsOf(res, policy);
  if (problems.length === 0) return;
  throw new Error(
    `${problems.join('\n')}\n--- request\n${describe(request)}\n--- response ${res.status}\n${headerLines(res.headers)}\n\n${res.body.slice(0, 1500)}`,
  );
}

function headerLines(headers: Headers): string {
  const lines: string[] = [];
  headers.forEach((v, k) => lines.push(`${k}: ${v}`));
  return lines.join('\n');
}

export function describe(value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes: ${Buffer.from(v).subarray(0, 80).toString('hex')}…>` : typeof v === 'string' && v.length > 600 ? `${v.slice(0, 600)}…(${v.length} chars)` : v), 2);
  return text ?? String(value);
}
