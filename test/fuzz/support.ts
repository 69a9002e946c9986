/**
 * Property-based fuzzing of the HTTP surface (fast-check): the generators of requests, bodies,
 * headers and JWTs, and the checks every response must pass.
 *
 * Every response, whatever was sent:
 *   - status < 500 (the database is up during these tests, so no 503 either; 429 is fine);
 *   - no stack trace, no source or node_modules path, no SQL or driver text in the body;
 *   - every Location (and Refresh, meta refresh, form action of an HTML page) points to the
 *     service's own origin (relative URLs count as own) or to a redirect / post-logout URI
 *     registered for a client named in the request;
 *   - GraphQL: no INTERNAL_SERVER_ERROR (an unexpected exception, masked);
 *   - a rejected request (4xx other than 429) leaves the database as it was (∅DB), except for
 *     the writes a rejection makes on purpose, allowed explicitly where they happen.
 *
 * Runs are reproducible: the seed is fixed unless `FUZZ_SEED` is set, and `FUZZ_RUNS` sets the
 * number of runs of every property (the defaults keep all of test/fuzz near a minute on two
 * cores). A failure prints the seed and the counterexample path; replay it with
 * `FUZZ_SEED=<seed> FUZZ_PATH=<path> npx vitest run test/fuzz/<file>`.
 *
 * The long local run, a few thousand cases per property and a new seed each time:
 *
 *   FUZZ_RUNS=5000 FUZZ_SEED=$RANDOM npx vitest run test/fuzz
 *
 * (about half an hour on two cores; the per-test timeout grows with FUZZ_RUNS). FUZZ_STATS=1
 * prints the statuses seen per endpoint: a check that cases get past the first validation.
 */
import { createHmac, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { connect } from 'node:net';
import fc from 'fast-check';
import pg from 'pg';
import { ALGORITHMS } from '../../src/keys/algorithms.js';
import type { SignatureAlg } from '../../src/config/definitions.js';

// ---- configuration -------------------------------------------------------------------------

export const FUZZ_SEED = envInt('FUZZ_SEED') ?? 20261128;
const FUZZ_RUNS = envInt('FUZZ_RUNS');
const FUZZ_PATH = process.env.FUZZ_PATH || undefined;

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got "${raw}"`);
  return n;
}

/** Runs of a property: `FUZZ_RUNS`, or the property's default. */
export function runs(defaultRuns: number): number {
  return FUZZ_RUNS ?? defaultRuns;
}

/** fast-check parameters: the seed, the runs, a replay path when given. */
export function fuzzParams(defaultRuns: number): fc.Parameters<unknown> {
  // Shrinking stops in time to report (a server that stopped answering makes every run slow).
  return { seed: FUZZ_SEED, numRuns: runs(defaultRuns), path: FUZZ_PATH, interruptAfterTimeLimit: timeoutFor(defaultRuns) - 20_000, markInterruptAsFailure: true };
}

/** A test timeout that grows with the runs (a run takes a few milliseconds to a few hundred). */
export function timeoutFor(defaultRuns: number): number {
  return Math.max(120_000, runs(defaultRuns) * 1_500);
}

/** Throttles out of the way: fuzzing must reach the code, not only the 429s. */
export const NO_THROTTLE: Record<string, string> = {
  JWT_OIDC_TOKEN_RATE_LIMIT: '0',
  JWT_OIDC_GRAPHQL_RATE_LIMIT: '0',
  JWT_OIDC_LOGIN_FAILURE_LIMIT: '1000',
  JWT_OIDC_LOGIN_ADDRESS_FAILURE_LIMIT: '100000',
  JWT_OIDC_LOGIN_FAILURE_WINDOW: '10',
};

// ---- responses and their checks ------------------------------------------------------------

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

// ---- the database: ∅DB --------------------------------------------------------------------

export type Snapshot = Map<string, Set<string>>;
export interface TableDiff {
  table: string;
  added: string[];
  removed: string[];
}

/**
 * Every row of every table of a service's database, on one connection. Rows about to expire
 * are left out (housekeeping deletes expired rows on a timer, which is no write of a request).
 */
export class DbWatch {
  private tables: { name: string; expires: boolean }[] = [];
  private constructor(private readonly client: pg.Client) {}

  static async open(databaseUrl: string): Promise<DbWatch> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const watch = new DbWatch(client);
    const { rows } = await client.query<{ table_name: string; expires: boolean }>(
      `select t.table_name, exists (select 1 from information_schema.columns c where c.table_schema = 'public' and c.table_name = t.table_name and c.column_name = 'expires_at') as expires
         from information_schema.tables t where t.table_schema = 'public' and t.table_type = 'BASE TABLE' and t.table_name not like 'mikro_orm%' order by 1`,
    );
    watch.tables = rows.map((r) => ({ name: r.table_name, expires: r.expires }));
    return watch;
  }

  /** Rows that live beyond `cutoff` (pass the same one before and after a request). */
  async snapshot(cutoff = new Date(Date.now() + 30_000)): Promise<Snapshot> {
    const parts = this.tables.map((t, i) => `select ${i} as t, row_to_json(x)::text as r from "${t.name}" x${t.expires ? ' where x.expires_at > $1' : ''}`);
    const { rows } = await this.client.query<{ t: number; r: string }>(parts.join(' union all '), [cutoff]);
    const snapshot: Snapshot = new Map(this.tables.map((t) => [t.name, new Set<string>()]));
    for (const row of rows) snapshot.get(this.tables[row.t]!.name)!.add(row.r);
    return snapshot;
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

export function diffSnapshots(before: Snapshot, after: Snapshot): TableDiff[] {
  const diffs: TableDiff[] = [];
  for (const [table, rows] of after) {
    const old = before.get(table) ?? new Set<string>();
    const added = [...rows].filter((r) => !old.has(r));
    const removed = [...old].filter((r) => !rows.has(r));
    if (added.length || removed.length) diffs.push({ table, added, removed });
  }
  return diffs;
}

/** Only a renewed CSRF token of an interaction (a login page shown again after a failed attempt). */
export function onlyCsrfRenewed(diffs: TableDiff[]): boolean {
  return diffs.every((d) => {
    if (d.table !== 'interactions' || d.added.length !== d.removed.length) return false;
    const strip = (r: string) => {
      const { csrf_hash: _, ...rest } = JSON.parse(r) as Record<string, unknown>;
      return JSON.stringify(rest);
    };
    const removed = new Set(d.removed.map(strip));
    return d.added.every((r) => removed.has(strip(r)));
  });
}

// ---- sending requests ------------------------------------------------------------------------

export interface FuzzRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** Longer than any answer takes here; a request still open then was dropped by the server. */
const ANSWER_TIMEOUT_MS = 8_000;

/** Sends a request as a browser without automatic redirects would. */
export async function send(req: FuzzRequest): Promise<Observed> {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers ?? {})) headers.append(k, v);
  const hasBody = req.body !== undefined && req.method !== 'GET' && req.method !== 'HEAD';
  let res: Response;
  try {
    res = await fetch(req.url, { method: req.method, headers, body: hasBody ? (req.body as BodyInit) : undefined, redirect: 'manual', signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS) });
  } catch (e) {
    if ((e as Error).name === 'TimeoutError') throw new Error(`no answer within ${ANSWER_TIMEOUT_MS / 1000} s (a request the server never answers)\n--- request\n${describe(req)}`);
    // Response headers beyond what fetch reads (a huge Location echoing a huge parameter): read them off the socket.
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === 'UND_ERR_HEADERS_OVERFLOW') return sendRaw(req, hasBody);
    if (e instanceof TypeError && e.message === 'fetch failed' && !(cause?.code === 'UND_ERR_INVALID_ARG')) {
      throw new Error(`no answer: the server closed the connection or stopped (${cause?.code ?? cause?.message ?? e.message})\n--- request\n${describe(req)}`);
    }
    throw e;
  }
  const body = Buffer.from(await res.arrayBuffer()).toString('utf8');
  return { status: res.status, headers: res.headers, body, url: req.url };
}

/** The same request as HTTP/1.1 bytes on a socket; the response parsed by hand. */
async function sendRaw(req: FuzzRequest, hasBody: boolean): Promise<Observed> {
  const url = new URL(req.url);
  const body = hasBody ? Buffer.from(req.body as string | Uint8Array) : Buffer.alloc(0);
  const lines = [`${req.method} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, ...Object.entries(req.headers ?? {}).map(([k, v]) => `${k}: ${v}`), `Content-Length: ${body.length}`, 'Connection: close'];
  const res = await rawExchange(Number(url.port), Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]), 10_000);
  if (!res) throw new Error(`no answer to ${req.method} ${req.url}`);
  const headers = new Headers();
  for (const line of res.headers.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    try {
      headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
    } catch {
      // a header value fetch's Headers refuses: irrelevant to the checks
    }
  }
  return { status: res.status, headers, body: Buffer.from(res.body, 'latin1').toString('utf8'), url: req.url };
}

/** Statuses seen per method and path (printed with FUZZ_STATS=1: are requests getting deep?). */
const seen = new Map<string, Map<number, number>>();

export function record(req: Pick<FuzzRequest, 'method' | 'url'>, status: number): void {
  if (!process.env.FUZZ_STATS) return;
  let path = req.url;
  try {
    path = new URL(req.url).pathname.replace(/\/interaction\/[^/]+/, '/interaction/:uid');
  } catch {
    // keep the raw URL
  }
  const key = `${req.method} ${path.length > 60 ? `${path.slice(0, 60)}…` : path}`;
  const counts = seen.get(key) ?? new Map<number, number>();
  counts.set(status, (counts.get(status) ?? 0) + 1);
  seen.set(key, counts);
}

/** With FUZZ_STATS=1: the statuses seen so far, per method and path. */
export function printStats(title: string): void {
  if (!process.env.FUZZ_STATS) return;
  const lines = [...seen].sort(([a], [b]) => a.localeCompare(b)).map(([k, counts]) => `  ${k}: ${[...counts].sort(([a], [b]) => a - b).map(([st, n]) => `${st}×${n}`).join(' ')}`);
  console.log(`${title}\n${lines.join('\n')}`);
  seen.clear();
}

export interface ProbeOptions {
  /** The service's database; when given, rejected requests must leave it unchanged. */
  db?: DbWatch;
  /** Writes that a rejection makes on purpose. */
  allowWrites?: (diffs: TableDiff[], res: Observed) => boolean;
}

/** Sends, checks the response, and for a 4xx (not 429) that the database was left alone. */
export async function probe(req: FuzzRequest, policy: Policy, options: ProbeOptions = {}): Promise<Observed> {
  const cutoff = new Date(Date.now() + 30_000);
  const before = options.db ? await options.db.snapshot(cutoff) : undefined;
  const res = await send(req);
  record(req, res.status);
  assertResponse(res, policy, req);
  if (options.db && before && res.status >= 400 && res.status < 500 && res.status !== 429) {
    const diffs = diffSnapshots(before, await options.db.snapshot(cutoff));
    if (diffs.length > 0 && !options.allowWrites?.(diffs, res)) {
      throw new Error(`a rejected request (${res.status}) changed the database:\n${describe(diffs)}\n--- request\n${describe(req)}\n--- response\n${res.body.slice(0, 800)}`);
    }
  }
  return res;
}

// ---- raw HTTP ----------------------------------------------------------------------------------

/** Bytes on a socket, the response's status line and body (for what fetch cannot send). */
export function rawExchange(port: number, request: Buffer, timeoutMs = 5_000): Promise<{ status: number; headers: string; body: string } | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      finish();
    }, timeoutMs);
    socket.on('connect', () => socket.end(request));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => finish());
    socket.on('close', () => finish());
    let done = false;
    function finish() {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      if (!text) return resolve(undefined); // closed without an answer
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (!m) return reject(new Error(`not an HTTP response: ${JSON.stringify(text.slice(0, 200))}`));
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: Number(m[1]), headers: text.slice(0, split), body: split >= 0 ? text.slice(split + 4) : '' });
    }
  });
}

// ---- parameters: values, encodings, mutations -------------------------------------------------

/** A parameter value: text (percent-encoded when sent), raw text (sent as is) or raw bytes. */
export type Val = string | { raw: string } | { bytes: number[] };
export type Entry = [name: string, value: Val];

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Percent-encodes the UTF-8 bytes of a string (lone surrogates become U+FFFD, never a throw). */
export function pct(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && UNRESERVED.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function encodeVal(v: Val): string {
  if (typeof v === 'string') return pct(v);
  if ('raw' in v) return v.raw;
  return v.bytes.map((b) => `%${(b & 0xff).toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/** `a=b&c=d`, in order, duplicates kept. */
export function encodeEntries(entries: Entry[]): string {
  return entries.map(([k, v]) => `${pct(k)}=${encodeVal(v)}`).join('&');
}

/** The text of a value, as the server would decode it (for JSON bodies and bookkeeping). */
export function textOf(v: Val): string {
  if (typeof v === 'string') return v;
  if ('raw' in v) {
    try {
      return decodeURIComponent(v.raw.replace(/\+/g, ' '));
    } catch {
      return v.raw;
    }
  }
  return Buffer.from(v.bytes).toString('utf8');
}

export function entriesOf(params: Record<string, string | undefined>): Entry[] {
  return Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined);
}

/** Strings that have broken parsers before. */
export const NASTY = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  'null',
  'undefined',
  'true',
  '[object Object]',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'toString',
  '%',
  '%00',
  '%zz',
  '%FF%FE',
  '%E2%82',
  '\uFFFD',
  '\uD800',
  '\uDFFF\uD800',
  '😀',
  'ä',
  'İ',
  'ß',
  '\u202E',
  '\u2028',
  '\r\n',
  '\n',
  '\t',
  '../../etc/passwd',
  '..%2F..%2F',
  'javascript:alert(1)',
  "' OR '1'='1",
  '"; DROP TABLE users; --',
  "\\'; --",
  '$1',
  '{"$gt":""}',
  '[]',
  '{}',
  '1e308',
  '-1',
  '0',
  '-0',
  '9007199254740993',
  '99999999999',
  'NaN',
  'Infinity',
  '0x10',
  '<script>alert(1)</script>',
  '"><img src=x>',
  '${7*7}',
  '{{7*7}}',
  '%s%s%s%n',
  'https://evil.example/cb',
  '//evil.example',
  '/\\evil.example',
  'http://localhost:1/',
  'a'.repeat(300),
  'b'.repeat(5000),
];

/** Anything a client might send as a value. */
export const junk: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
);

export type MutationKind =
  | 'delete'
  | 'replace'
  | 'pool'
  | 'append'
  | 'prepend'
  | 'truncate'
  | 'duplicate'
  | 'duplicateSame'
  | 'bracket'
  | 'extra'
  | 'raw'
  | 'bytes'
  | 'huge'
  | 'empty'
  | 'case'
  | 'rename'
  | 'inject';

export interface Mutation {
  kind: MutationKind;
  i: number;
  s: string;
  n: number;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom<MutationKind>('delete', 'replace', 'pool', 'pool', 'append', 'prepend', 'truncate', 'duplicate', 'duplicateSame', 'bracket', 'extra', 'raw', 'bytes', 'huge', 'empty', 'case', 'rename', 'inject', 'inject'),
  i: fc.nat(),
  s: junk,
  n: fc.nat(),
});

/** Up to `max` mutations; none in about a third of the cases (the base request itself). */
export function mutations(max = 4): fc.Arbitrary<Mutation[]> {
  return fc.oneof({ weight: 1, arbitrary: fc.constant<Mutation[]>([]) }, { weight: 2, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: max }) });
}

/** One character that URL parsers drop, headers cannot carry, or that changes what a URI means. */
export const INJECT = ['\n', '\r', '\r\n', '\t', '\u0000', '\u000b', '\u007f', '\u0085', '\u00a0', '\u00e9', '\u00ff', '\u0100', '\u20ac', '\u2028', '\u202e', '\ufeff', '\ud83d\ude00', ' ', '#', '?', '&', '%', '%0a', '\\', '/', '//', '@', ';', ',', '"', "'", '<', '..'];

/** A URI: one of `bases`, or one with a character of INJECT put somewhere, or with junk appended. */
export function uriVariant(bases: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...bases) },
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...bases), fc.constantFrom(...INJECT), fc.nat()).map(([u, ch, n]) => u.slice(0, n % (u.length + 1)) + ch + u.slice(n % (u.length + 1))) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...bases), junk).map(([u, j]) => u + j) },
  );
}

const RAW_JUNK = ['%', '%zz', '%ZZ%', '%FF', '%C0%AF', '%ED%A0%80', '%F4%90%80%80', '+', '%2B', '&', '=', '==', '%00', '%u0041', '%%', '%0A', '%0D%0A'];
const BRACKETS = ['[]', '[0]', '[toString]', '[__proto__]', '[$gt]', '[a][b]', '['];
const EXTRA_NAMES = ['__proto__', 'constructor', 'toString', 'prototype', 'hasOwnProperty', 'x', '', ' ', 'a[b]', '[', ']', '%00', 'a.b', 'client_id ', 'CLIENT_ID', 'scope\u0000'];

/**
 * Applies mutations to parameters: values from `pool` (real ids, URIs, tokens of the fixtures)
 * keep requests plausible enough to get past the first checks.
 */
export function mutate(base: Entry[], ops: Mutation[], pool: readonly string[] = []): Entry[] {
  const entries: Entry[] = base.map(([k, v]) => [k, v]);
  const names = [...new Set(base.map(([k]) => k))];
  for (const op of ops) {
    const idx = entries.length ? op.i % entries.length : -1;
    const at = idx >= 0 ? entries[idx]! : undefined;
    const text = at ? textOf(at[1]) : '';
    switch (op.kind) {
      case 'delete':
        if (idx >= 0) entries.splice(idx, 1);
        break;
      case 'replace':
        if (at) at[1] = op.s;
        break;
      case 'pool':
        if (at && pool.length) at[1] = pool[op.n % pool.length]!;
        break;
      case 'append':
        if (at) at[1] = text + op.s;
        break;
      case 'prepend':
        if (at) at[1] = op.s + text;
        break;
      case 'truncate':
        if (at) at[1] = text.slice(0, op.n % (text.length + 1));
        break;
      case 'duplicate':
        if (at) entries.splice(op.n % (entries.length + 1), 0, [at[0], pool.length && op.n % 2 ? pool[op.n % pool.length]! : op.s]);
        break;
      case 'duplicateSame':
        if (at) entries.push([at[0], at[1]]);
        break;
      case 'bracket':
        if (at) at[0] = `${at[0]}${BRACKETS[op.n % BRACKETS.length]}`;
        break;
      case 'extra':
        entries.splice(op.n % (entries.length + 1), 0, [op.n % 3 === 0 ? EXTRA_NAMES[op.n % EXTRA_NAMES.length]! : (names[op.n % Math.max(1, names.length)] ?? op.s), op.s]);
        break;
      case 'raw':
        if (at) at[1] = { raw: `${encodeVal(at[1])}${RAW_JUNK[op.n % RAW_JUNK.length]}` };
        break;
      case 'bytes':
        if (at) at[1] = { bytes: [...Buffer.from(text, 'utf8').subarray(0, 20), 0xff, 0xfe, 0xc0 + (op.n % 64), op.n % 256] };
        break;
      case 'huge':
        if (at) at[1] = text + 'A'.repeat(1_000 + (op.n % 70_000));
        break;
      case 'empty':
        if (at) at[1] = '';
        break;
      case 'case':
        if (at) at[op.n % 2 ? 1 : 0] = op.n % 2 ? text.toUpperCase() : at[0].toUpperCase();
        break;
      case 'rename':
        if (at) at[0] = op.s;
        break;
      case 'inject': {
        if (!at) break;
        const pos = op.n % (text.length + 1);
        at[1] = text.slice(0, pos) + INJECT[op.i % INJECT.length] + text.slice(pos);
        break;
      }
    }
  }
  return entries;
}

// ---- bodies and headers -----------------------------------------------------------------------

export type BodyKind = 'form' | 'json' | 'jsonValues' | 'brokenJson' | 'deepJson' | 'jsonScalar' | 'bytes' | 'none' | 'hugeForm' | 'manyParams' | 'empty' | 'multipart';

export const bodyKind: fc.Arbitrary<BodyKind> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<BodyKind>('form') },
  { weight: 5, arbitrary: fc.constantFrom<BodyKind>('json', 'jsonValues', 'brokenJson', 'deepJson', 'jsonScalar', 'bytes', 'none', 'hugeForm', 'manyParams', 'empty', 'multipart') },
);

export const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/x-www-form-urlencoded; charset=ISO-8859-1',
  'application/x-www-form-urlencoded; charset=utf-16',
  'application/x-www-form-urlencoded; charset=bogus',
  'APPLICATION/X-WWW-FORM-URLENCODED',
  'application/x-www-form-urlencodedX',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-32',
  'application/json, application/x-www-form-urlencoded',
  'application/graphql-response+json',
  'text/plain',
  'text/plain; charset=utf-8',
  'multipart/form-data; boundary=xyz',
  'application/graphql',
  'application/xml',
  '*/*',
  '',
  ';',
  'application/x-www-form-urlencoded;;;charset="utf-8',
];

/** A body of the given kind carrying `entries`, and the content type that goes with it. */
export function makeBody(kind: BodyKind, entries: Entry[], seed: number): { body?: string | Uint8Array; contentType?: string } {
  const form = encodeEntries(entries);
  const asObject = () => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const t = textOf(v);
      o[k] = k in o ? [o[k], t].flat() : t;
    }
    return o;
  };
  switch (kind) {
    case 'form':
      return { body: form, contentType: 'application/x-www-form-urlencoded' };
    case 'json':
      return { body: JSON.stringify(asObject()), contentType: 'application/json' };
    case 'jsonValues': {
      // Non-string values where strings belong: operator injection, arrays, numbers.
      const o = asObject();
      const keys = Object.keys(o);
      const odd: unknown[] = [{ $gt: '' }, [], ['a', 'b'], 1, 1e308, true, null, { toString: 'x' }, JSON.parse('{"__proto__":{"admin":true}}')];
      if (keys.length) o[keys[seed % keys.length]!] = odd[seed % odd.length];
      return { body: JSON.stringify(o), contentType: 'application/json' };
    }
    case 'brokenJson': {
      const text = JSON.stringify(asObject());
      return { body: text.slice(0, seed % Math.max(1, text.length)) + ['', '}', ',', '"', '\\', '\u0000'][seed % 6], contentType: 'application/json' };
    }
    case 'deepJson': {
      const depth = 500 + (seed % 20_000);
      return { body: `{"grant_type":${'['.repeat(depth)}${']'.repeat(depth)}}`, contentType: 'application/json' };
    }
    case 'jsonScalar':
      return { body: ['"text"', '1', 'null', 'true', '[]', '[1,2]', '""'][seed % 7]!, contentType: 'application/json' };
    case 'bytes':
      return { body: Uint8Array.from({ length: 1 + (seed % 300) }, (_, i) => (seed * 31 + i * 131) % 256), contentType: CONTENT_TYPES[seed % CONTENT_TYPES.length] };
    case 'none':
      return {};
    case 'empty':
      return { body: '', contentType: 'application/x-www-form-urlencoded' };
    case 'hugeForm':
      return { body: `${form}&pad=${'x'.repeat(70_000 + (seed % 50_000))}`, contentType: 'application/x-www-form-urlencoded' };
    case 'manyParams':
      return { body: `${form}&${Array.from({ length: 90 + (seed % 40) }, (_, i) => `p${i}=${i}`).join('&')}`, contentType: 'application/x-www-form-urlencoded' };
    case 'multipart': {
      const parts = entries.map(([k, v]) => `--xyz\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${textOf(v)}\r\n`).join('');
      return { body: `${parts}--xyz--\r\n`, contentType: 'multipart/form-data; boundary=xyz' };
    }
  }
}

/** A header value fetch can carry (tab, visible ASCII and Latin-1; no other control characters). */
export function headerSafe(s: string): string {
  return [...s].filter((c) => /^[\t\x20-\x7e\x80-\xff]$/.test(c)).join('').trim();
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export interface HeaderPlan {
  contentType: 'keep' | 'drop' | number;
  contentEncoding?: number;
  authorization: { kind: 'none' | 'keep' | 'basic' | 'basicJunk' | 'bearer' | 'scheme' | 'raw'; s: string; n: number };
  cookie?: { kind: 'junk' | 'dup' | 'append'; s: string; n: number };
  origin?: number;
  extra: [string, string][];
}

const ENCODINGS = ['gzip', 'deflate', 'br', 'identity', 'bogus', 'gzip, gzip', 'compress'];
const ORIGINS = ['null', 'https://evil.example', 'http://localhost:5173', 'https://rp.example', 'file://', '*', 'http://127.0.0.1', 'https://rp.example.evil.example'];
const BASIC_JUNK = ['Basic', 'Basic ', 'Basic ====', 'Basic !!!!', 'Basic Og==', 'Basic OjpaOg', 'basic   ', `Basic ${b64('no-colon')}`, `Basic ${b64('%zz:%zz')}`, `Basic ${b64('a:%')}`, `Basic ${b64(':')}`, `Basic ${b64('\u0000:\u0000')}`, `Basic ${'QUFB'.repeat(3000)}`, 'Basic a b', 'Basic\tYTpi'];
const SCHEMES = ['Bearer', 'bearer', 'BEARER', 'Bearer  ', 'Digest', 'Negotiate', 'DPoP', 'Token', 'MAC', 'Basic'];

export const headerPlan: fc.Arbitrary<HeaderPlan> = fc.record({
  contentType: fc.oneof({ weight: 6, arbitrary: fc.constant<'keep'>('keep') }, fc.constant<'drop'>('drop'), fc.nat(CONTENT_TYPES.length - 1)),
  contentEncoding: fc.option(fc.nat(ENCODINGS.length - 1), { nil: undefined, freq: 8 }),
  authorization: fc.record({ kind: fc.constantFrom('none', 'keep', 'keep', 'keep', 'basic', 'basicJunk', 'bearer', 'scheme', 'raw'), s: junk, n: fc.nat() }),
  cookie: fc.option(fc.record({ kind: fc.constantFrom('junk', 'dup', 'append'), s: junk, n: fc.nat() }), { nil: undefined, freq: 3 }),
  origin: fc.option(fc.nat(ORIGINS.length - 1), { nil: undefined, freq: 3 }),
  extra: fc.array(fc.tuple(fc.constantFrom('accept', 'accept-language', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'if-none-match', 'range', 'x-http-method-override', 'x-request-id', 'apollo-require-preflight', 'access-control-request-method', 'access-control-request-headers', 'referer', 'user-agent', 'forwarded'), junk), { maxLength: 2 }),
});

/**
 * The headers of a request: `base` (with its content type and authorization) changed as the
 * plan says. `pool` offers plausible credentials (real client ids and secrets, tokens).
 */
export function applyHeaders(base: Record<string, string | undefined>, plan: HeaderPlan, pool: { ids: readonly string[]; secrets: readonly string[]; tokens: readonly string[] }): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) h[k.toLowerCase()] = v;
  if (plan.contentType === 'drop') delete h['content-type'];
  else if (typeof plan.contentType === 'number') h['content-type'] = CONTENT_TYPES[plan.contentType]!;
  if (plan.contentEncoding !== undefined) h['content-encoding'] = ENCODINGS[plan.contentEncoding]!;
  const { kind, s, n } = plan.authorization;
  const pick = <T>(list: readonly T[]) => list[n % Math.max(1, list.length)];
  switch (kind) {
    case 'none':
      delete h.authorization;
      break;
    case 'keep':
      break;
    case 'basic': {
      const id = n % 3 === 0 ? s : (pick(pool.ids) ?? s);
      const secret = n % 5 === 0 ? s : (pick(pool.secrets) ?? s);
      const enc = n % 2 ? encodeURIComponent : (x: string) => x;
      h.authorization = `Basic ${Buffer.from(`${safeEncode(enc, id)}:${safeEncode(enc, secret)}`).toString('base64')}`;
      break;
    }
    case 'basicJunk':
      h.authorization = pick(BASIC_JUNK)!;
      break;
    case 'bearer':
      h.authorization = `Bearer ${n % 4 === 0 ? s : (pick(pool.tokens) ?? s)}`;
      break;
    case 'scheme':
      h.authorization = `${pick(SCHEMES)} ${s}`;
      break;
    case 'raw':
      h.authorization = s;
      break;
  }
  if (plan.cookie) {
    const { kind: ck, s: cs, n: cn } = plan.cookie;
    const junkCookie = [cs, `${cs}=${cs}`, ';;;', '=', 'a=%zz', 'a="x', `jwt-oidc.session=${cs}`, `jwt-oidc.interaction=${cs}`, `jwt-oidc.rp=${cs}`, `__Host-x=${cs}`, `${'c'.repeat(4000)}=1`][cn % 11]!;
    if (ck === 'junk') h.cookie = junkCookie;
    else if (ck === 'dup' && h.cookie) h.cookie = `${junkCookie}; ${h.cookie}; ${h.cookie}`;
    else h.cookie = h.cookie ? `${h.cookie}; ${junkCookie}` : junkCookie;
  }
  if (plan.origin !== undefined) h.origin = ORIGINS[plan.origin]!;
  for (const [k, v] of plan.extra) h[k] = v;
  for (const k of Object.keys(h)) {
    h[k] = headerSafe(h[k]!);
    if (h[k].length > 12_000) h[k] = h[k].slice(0, 12_000);
  }
  return h;
}

function safeEncode(enc: (s: string) => string, s: string): string {
  try {
    return enc(s);
  } catch {
    return s;
  }
}

// ---- focus: one thing wrong at a time --------------------------------------------------------

/**
 * Which part of a request a case mutates. With everything mutated at once nearly every request
 * dies at the first check; one part at a time keeps the rest valid, so the mutated part is what
 * the deep code sees. `none`: the base request itself (success paths); `all`: chaos.
 */
export type Focus = 'none' | 'params' | 'headers' | 'body' | 'method' | 'all';
export const focus: fc.Arbitrary<Focus> = fc.constantFrom<Focus>('none', 'params', 'params', 'params', 'headers', 'headers', 'body', 'method', 'all');

export const CLEAN_PLAN: HeaderPlan = { contentType: 'keep', authorization: { kind: 'keep', s: '', n: 0 }, extra: [] };

/** The mutations a case applies, given its focus. */
export function focused<M extends string>(c: { focus: Focus; ops: Mutation[]; plan: HeaderPlan; kind: BodyKind; method?: M }, cleanMethod?: M): { ops: Mutation[]; plan: HeaderPlan; kind: BodyKind; method: M } {
  const f = c.focus;
  return {
    ops: f === 'params' || f === 'all' ? c.ops : [],
    plan: f === 'headers' || f === 'all' ? c.plan : CLEAN_PLAN,
    kind: f === 'body' || f === 'all' ? c.kind : 'form',
    method: (f === 'method' || f === 'all' || cleanMethod === undefined ? c.method : cleanMethod) as M,
  };
}

// ---- JWTs ----------------------------------------------------------------------------------------

/** A key that signs like the service does (to re-sign mutated tokens: they get past the signature). */
export interface SigningKey {
  kid: string;
  alg: SignatureAlg;
  key: KeyObject;
  /** The public key as published (for the HS256-with-the-public-key confusion). */
  publicPem: string;
}

/** Signs `header.payload` (both already base64url) with a real key. */
export function signWith(key: SigningKey, input: string): string {
  const spec = ALGORITHMS[key.alg];
  return cryptoSign(spec.hash, Buffer.from(input), { key: key.key, ...spec.signOptions }).toString('base64url');
}

export interface JwtRecipe {
  pick: number;
  header: { kind: 'keep' | 'alg' | 'kid' | 'typ' | 'crit' | 'b64' | 'jku' | 'nonObject' | 'invalid' | 'drop'; v: number; s: string }[];
  payload: { kind: 'keep' | 'set' | 'delete' | 'nonObject' | 'invalid' | 'bom'; claim: string; v: number; json: unknown }[];
  signature: 'keep' | 'resign' | 'hmacPublic' | 'empty' | 'random' | 'flip' | 'other' | 'drop' | 'truncate';
  structure: 'none' | 'extraSegment' | 'twoSegments' | 'padding' | 'stdBase64' | 'truncate' | 'lower' | 'five' | 'space';
  s: string;
  n: number;
}

const ALGS = ['none', 'None', 'NONE', 'HS256', 'HS512', 'RS256', 'ES256', 'ES512', 'PS256', 'EdDSA', 'RSA-OAEP', 'dir', '', 'ES256 ', 1, null];
const TYPS = ['at+jwt', 'application/at+jwt', 'JWT', 'jwt', 'logout+jwt', 'application/logout+jwt', 'JOSE', 'at+JWT', '', 'x', 0];
const CLAIMS = ['exp', 'iat', 'nbf', 'iss', 'aud', 'sub', 'client_id', 'scope', 'jti', 'grant_id', 'azp', 'nonce', 'sid', 'events', 'auth_time', 'at_hash', 'acr', 'amr', 'typ', '__proto__', 'constructor'];

function claimValues(now: number, ids: readonly string[]): unknown[] {
  return [
    1e308,
    -1,
    0,
    2 ** 53 + 1,
    9e15,
    Number.MAX_SAFE_INTEGER,
    now + 3600,
    now - 3600,
    now + 10 * 365 * 86_400,
    now,
    String(now + 3600),
    'str',
    '',
    null,
    true,
    [],
    {},
    ['a', 'b'],
    'https://evil.example',
    'admin',
    'openid profile email admin offline_access',
    '00000000-0000-0000-0000-000000000000',
    'not-a-uuid',
    'x'.repeat(100),
    { $gt: '' },
    { 'http://schemas.openid.net/event/backchannel-logout': {} },
    ...ids,
  ];
}

export const jwtRecipe: fc.Arbitrary<JwtRecipe> = fc.record({
  pick: fc.nat(),
  header: fc.array(
    fc.record({ kind: fc.constantFrom('keep', 'alg', 'alg', 'kid', 'typ', 'crit', 'b64', 'jku', 'nonObject', 'invalid', 'drop'), v: fc.nat(), s: junk }),
    { maxLength: 2 },
  ),
  payload: fc.array(
    fc.record({
      kind: fc.constantFrom('keep', 'set', 'set', 'set', 'delete', 'nonObject', 'invalid', 'bom'),
      claim: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...CLAIMS) }, fc.string({ maxLength: 8 })),
      v: fc.nat(),
      json: fc.jsonValue({ maxDepth: 3 }),
    }),
    { maxLength: 3 },
  ),
  signature: fc.constantFrom('keep', 'keep', 'resign', 'resign', 'resign', 'hmacPublic', 'empty', 'random', 'flip', 'other', 'drop', 'truncate'),
  structure: fc.oneof({ weight: 6, arbitrary: fc.constant<'none'>('none') }, fc.constantFrom('extraSegment', 'twoSegments', 'padding', 'stdBase64', 'truncate', 'lower', 'five', 'space')),
  s: junk,
  n: fc.nat(),
});

export interface Mutant {
  token: string;
  /**
   * Whether the result is a token the service issued, or one signed with its real key: only
   * such tokens may be accepted. Everything else is a forgery.
   */
  genuine: boolean;
}

/** A mutated version of one of `tokens`, per the recipe. */
export function applyJwtRecipe(r: JwtRecipe, tokens: readonly string[], keys: readonly SigningKey[], ids: readonly string[]): Mutant {
  const original = tokens[r.pick % tokens.length]!;
  const [h0, p0, s0] = original.split('.') as [string, string, string];
  const now = Math.floor(Date.now() / 1000);
  let header: unknown = JSON.parse(Buffer.from(h0, 'base64url').toString('utf8'));
  let headerRaw: Buffer | undefined;
  let payload: unknown = JSON.parse(Buffer.from(p0, 'base64url').toString('utf8'));
  let payloadRaw: Buffer | undefined;
  let changed = false;
  const values = claimValues(now, ids);

  for (const op of r.header) {
    if (op.kind === 'keep') continue;
    changed = true;
    const obj = (typeof header === 'object' && header !== null && !Array.isArray(header) ? header : {}) as Record<string, unknown>;
    switch (op.kind) {
      case 'alg':
        obj.alg = ALGS[op.v % ALGS.length];
        break;
      case 'kid':
        obj.kid = [op.s, '', 123, null, '../../../../dev/null', "' or 1=1 --", keys[op.v % Math.max(1, keys.length)]?.kid ?? 'x'][op.v % 7];
        break;
      case 'typ':
        obj.typ = TYPS[op.v % TYPS.length];
        break;
      case 'crit':
        obj.crit = [['exp'], ['b64'], [], 'b64', [op.s], ['kid', 'kid']][op.v % 6];
        break;
      case 'b64':
        obj.b64 = false;
        obj.crit = ['b64'];
        break;
      case 'jku':
        Object.assign(obj, [{ jku: 'https://evil.example/jwks' }, { jwk: { kty: 'oct', k: 'AAAA' } }, { x5u: 'https://evil.example/x5u' }, { x5c: ['AAAA'] }, { zip: 'DEF' }, { enc: 'A128GCM' }][op.v % 6]);
        break;
      case 'drop':
        delete obj[['alg', 'kid', 'typ'][op.v % 3]!];
        break;
      case 'nonObject':
        header = [[], 'JWT', 1, null, true][op.v % 5];
        continue;
      case 'invalid':
        headerRaw = Buffer.from(['{', '{"alg":"ES256",', '\u0000', '{"alg":"ES256","alg":"none"}', '\uFEFF{"alg":"ES256"}', ''][op.v % 6]!, 'utf8');
        continue;
    }
    header = obj;
  }
  for (const op of r.payload) {
    if (op.kind === 'keep') continue;
    changed = true;
    const obj = (typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? payload : {}) as Record<string, unknown>;
    switch (op.kind) {
      case 'set':
        obj[op.claim] = op.v % 4 === 3 ? op.json : values[op.v % values.length];
        break;
      case 'delete':
        delete obj[op.claim];
        break;
      case 'nonObject':
        payload = [[], 'text', 1, null, true, [obj]][op.v % 6];
        continue;
      case 'invalid':
        payloadRaw = Buffer.from(['{', '{"sub":', '\u0000', '', 'null'][op.v % 5]!, 'utf8');
        continue;
      case 'bom':
        payloadRaw = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(obj))]);
        continue;
    }
    payload = obj;
  }

  const h = changed ? (headerRaw ?? Buffer.from(JSON.stringify(header) ?? 'null')).toString('base64url') : h0;
  const p = changed ? (payloadRaw ?? Buffer.from(JSON.stringify(payload) ?? 'null')).toString('base64url') : p0;
  // Re-encoding without a change yields the same bytes; with one, the old signature is void.
  const sameContent = h === h0 && p === p0;
  const input = `${h}.${p}`;
  const headerObj = (typeof header === 'object' && header !== null ? header : {}) as Record<string, unknown>;
  const realKey = keys.find((k) => k.kid === headerObj.kid && k.alg === headerObj.alg) ?? keys[r.n % Math.max(1, keys.length)];
  let sig = s0;
  let genuine = sameContent;
  switch (r.signature) {
    case 'keep':
      break;
    case 'resign':
      if (realKey && !headerRaw) {
        // Signed by the service's own key, with the alg and kid the header names: a token it
        // could have issued itself (only the right alg/kid pair verifies).
        sig = signWith(realKey, input);
        genuine = headerObj.alg === realKey.alg && headerObj.kid === realKey.kid;
      }
      break;
    case 'hmacPublic':
      sig = createHmac('sha256', realKey?.publicPem ?? 'secret').update(input).digest('base64url');
      genuine = false;
      break;
    case 'empty':
      sig = '';
      genuine = false;
      break;
    case 'random':
      sig = Buffer.from(r.s || 'x').toString('base64url');
      genuine = false;
      break;
    case 'flip': {
      const bytes = Buffer.from(s0, 'base64url');
      if (bytes.length) bytes[r.n % bytes.length]! ^= 1 << r.n % 8;
      sig = bytes.toString('base64url');
      genuine = false;
      break;
    }
    case 'other': {
      const other = tokens[(r.pick + 1 + (r.n % tokens.length)) % tokens.length]!.split('.')[2]!;
      genuine = genuine && other === s0;
      sig = other;
      break;
    }
    case 'drop':
      sig = '';
      genuine = false;
      break;
    case 'truncate':
      sig = s0.slice(0, r.n % Math.max(1, s0.length));
      genuine = false;
      break;
  }
  let token = `${input}.${sig}`;
  switch (r.structure) {
    case 'none':
      break;
    case 'extraSegment':
      token = `${token}.${Buffer.from(r.s).toString('base64url')}`;
      break;
    case 'twoSegments':
      token = input;
      break;
    case 'padding':
      token = `${h}=.${p}==.${sig}=`;
      break;
    case 'stdBase64':
      token = `${h}.${p}.${sig}`.replace(/-/g, '+').replace(/_/g, '/') + (/[-_]/.test(`${h}${p}${sig}`) ? '' : '+/');
      break;
    case 'truncate':
      token = token.slice(0, r.n % Math.max(1, token.length - 1));
      break;
    case 'lower':
      token = token.toLowerCase() === token ? `${token}A` : token.toLowerCase();
      break;
    case 'five':
      token = `${input}.${sig}.AAAA.BBBB`;
      break;
    case 'space':
      token = `${h}. ${p}.${sig}`;
      break;
  }
  if (r.structure !== 'none') genuine = false;
  return { token, genuine };
}

/** The claims of a JWT, unverified (undefined when it has none). */
export function claimsOf(token: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
