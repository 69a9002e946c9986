/**
 * docs/SECURITY.md, generated from docs/security-cases.json (the attack rows) and the tests that
 * name them, so that the document cannot claim a test that does not exist (`npm run
 * docs:security` rewrites it; test/unit/security-doc.test.ts fails when it is stale, when a row
 * has no test, or when a test names a row that does not exist).
 *
 * Tests are found by reading their source, not by running them: the titles of `describe`, `it`
 * and `test` calls (also `.each`, `.skip`, `.only`, …), with template placeholders shown as
 * `{expression}`. A row ID that appears in a string of a test file but in none of its titles (a
 * title built at run time from a table of cases) still counts; the file is listed without a
 * title. Comments do not count.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SecurityCase {
  /** `AZ-01`. */
  id: string;
  section: { letter: string; title: string };
  component: string;
  /** The attack, in one line (at most 120 characters). */
  summary: string;
  /** The correct answer, short. */
  expected: string;
  /** Specifications, conformance-suite modules and attack classes the row comes from. */
  source: string;
  /** Why the row does not apply to this project (a test may still show it). */
  notApplicable?: string;
}

export interface TestTitle {
  kind: 'describe' | 'it' | 'test';
  title: string;
  line: number;
}

export interface ScannedTestFile {
  /** Relative to the repository, with `/`. */
  path: string;
  titles: TestTitle[];
  /** Every string literal and template text outside comments (titles included). */
  strings: string[];
}

export interface RowCoverage {
  file: string;
  /** Titles naming the row; empty when the file names it only where no title can be read. */
  titles: string[];
}

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CASES_PATH = join(ROOT, 'docs', 'security-cases.json');
export const DOC_PATH = join(ROOT, 'docs', 'SECURITY.md');

export function loadCases(path = CASES_PATH): SecurityCase[] {
  return JSON.parse(readFileSync(path, 'utf8')) as SecurityCase[];
}

/** Every `*.test.ts` under `test/`, sorted, scanned. */
export function scanTests(root = ROOT): ScannedTestFile[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.test.ts')) files.push(full);
    }
  };
  walk(join(root, 'test'));
  return files
    .map((full) => relative(root, full).split(sep).join('/'))
    .sort()
    .map((path) => ({ path, ...scanTestSource(readFileSync(join(root, path), 'utf8')) }));
}

// ------------------------------------------------------------------------------------------------
// Reading test sources
// ------------------------------------------------------------------------------------------------

interface Token {
  type: 'ident' | 'punct' | 'string' | 'template' | 'other';
  /** The source text; for strings and templates, the text (placeholders as `{expression}`). */
  value: string;
  line: number;
}

const REGEX_AFTER_KEYWORD = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'instanceof', 'yield', 'await']);
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', '0': '\0' };

/**
 * A small TypeScript lexer: enough to skip comments and regular expressions and to read string
 * literals and templates. `strings` collects every text, including inside template placeholders.
 */
function tokenize(source: string, strings: string[]): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const lastSignificant = () => tokens[tokens.length - 1];
  const regexAllowed = () => {
    const prev = lastSignificant();
    if (!prev) return true;
    if (prev.type === 'ident') return REGEX_AFTER_KEYWORD.has(prev.value);
    if (prev.type === 'punct') return !/^[)\]}]$/.test(prev.value);
    return false;
  };

  const readEscape = (): string => {
    const c = source[i + 1];
    i += 2;
    if (c === undefined) return '';
    if (c === '\n') {
      line++;
      return '';
    }
    // Malformed \x and \u escapes (legal in String.raw templates) are kept as written.
    if (c === 'x' && /^[0-9A-Fa-f]{2}$/.test(source.slice(i, i + 2))) {
      i += 2;
      return String.fromCharCode(parseInt(source.slice(i - 2, i), 16));
    }
    if (c === 'u') {
      const m = /^(?:\{([0-9A-Fa-f]{1,6})\}|([0-9A-Fa-f]{4}))/.exec(source.slice(i, i + 8));
      const code = m ? parseInt(m[1] ?? m[2]!, 16) : NaN;
      if (m && code <= 0x10ffff) {
        i += m[0].length;
        return String.fromCodePoint(code);
      }
    }
    return ESCAPES[c] ?? (c === 'x' || c === 'u' ? `\\${c}` : c);
  };

  const readTemplate = (): string => {
    // source[i] is the opening backtick.
    i++;
    let text = '';
    while (i < source.length && source[i] !== '`') {
      if (source[i] === '\\') text += readEscape();
      else if (source[i] === '$' && source[i + 1] === '{') {
        const start = i + 2;
        i = start;
        let depth = 1;
        // Skip the placeholder expression, strings and nested templates included.
        while (i < source.length && depth > 0) {
          const c = source[i]!;
          if (c === '{') depth++;
          else if (c === '}') depth--;
          else if (c === '\n') line++;
          if (depth === 0) break;
          if (c === '`') {
            readTemplate();
            continue;
          }
          if (c === "'" || c === '"') {
            readQuoted();
            continue;
          }
          i++;
        }
        const expression = source.slice(start, i);
        tokenize(expression, strings);
        text += `{${expression.replace(/\s+/g, ' ').trim()}}`;
        i++;
      } else {
        if (source[i] === '\n') line++;
        text += source[i];
        i++;
      }
    }
    i++;
    return text;
  };

  const readQuoted = (): string => {
    const quote = source[i]!;
    i++;
    let text = '';
    while (i < source.length && source[i] !== quote && source[i] !== '\n') {
      if (source[i] === '\\') text += readEscape();
      else text += source[i++];
    }
    i++;
    return text;
  };

  while (i < source.length) {
    const c = source[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === '/' && source[i + 1] === '/') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end < 0 ? source.length : end + 2;
      for (let k = i; k < stop; k++) if (source[k] === '\n') line++;
      i = stop;
    } else if (c === "'" || c === '"') {
      const at = line;
      const text = readQuoted();
      strings.push(text);
      tokens.push({ type: 'string', value: text, line: at });
    } else if (c === '`') {
      const at = line;
      const text = readTemplate();
      strings.push(text);
      tokens.push({ type: 'template', value: text, line: at });
    } else if (c === '/' && regexAllowed()) {
      i++;
      let inClass = false;
      while (i < source.length && source[i] !== '\n') {
        const r = source[i]!;
        if (r === '\\') i++;
        else if (r === '[') inClass = true;
        else if (r === ']') inClass = false;
        else if (r === '/' && !inClass) break;
        i++;
      }
      i++;
      while (/[a-z]/i.test(source[i] ?? '')) i++;
      tokens.push({ type: 'other', value: 'regex', line });
    } else if (/[A-Za-z_$]/.test(c)) {
      const start = i;
      while (/[\w$]/.test(source[i] ?? '')) i++;
      tokens.push({ type: 'ident', value: source.slice(start, i), line });
    } else if (/\d/.test(c)) {
      const start = i;
      while (/[\w.]/.test(source[i] ?? '')) i++;
      tokens.push({ type: 'other', value: source.slice(start, i), line });
    } else {
      // `?.` and `...` stay one token; other punctuation is one character.
      const two = source.slice(i, i + 3) === '...' ? '...' : source.slice(i, i + 2) === '?.' ? '?.' : c;
      tokens.push({ type: 'punct', value: two, line });
      i += two.length;
    }
  }
  return tokens;
}

const TEST_FUNCTIONS = new Set(['describe', 'it', 'test']);
const MODIFIERS = new Set(['skip', 'only', 'concurrent', 'sequential', 'todo', 'fails', 'shuffle']);
/** Modifiers called with arguments before the title: `it.each(table)('title', …)`. */
const CALLED_MODIFIERS = new Set(['each', 'for', 'skipIf', 'runIf']);

/** The titles of the test calls of a source file, and all its texts. */
export function scanTestSource(source: string): Omit<ScannedTestFile, 'path'> {
  const strings: string[] = [];
  const tokens = tokenize(source, strings);
  const titles: TestTitle[] = [];
  const skipParens = (at: number): number => {
    // tokens[at] is '('; returns the index after the matching ')'.
    let depth = 0;
    for (let k = at; k < tokens.length; k++) {
      const v = tokens[k]!;
      if (v.type !== 'punct') continue;
      if (v.value === '(' || v.value === '[' || v.value === '{') depth++;
      else if (v.value === ')' || v.value === ']' || v.value === '}') depth--;
      if (depth === 0) return k + 1;
    }
    return tokens.length;
  };

  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.type !== 'ident' || !TEST_FUNCTIONS.has(t.value)) continue;
    const before = tokens[k - 1];
    if (before && before.type === 'punct' && (before.value === '.' || before.value === '?.')) continue; // `/x/.test(…)`
    if (before && before.type === 'ident' && before.value === 'function') continue;
    let j = k + 1;
    let isCall = true;
    while (tokens[j]?.value === '.' && tokens[j + 1]?.type === 'ident') {
      const modifier = tokens[j + 1]!.value;
      j += 2;
      if (CALLED_MODIFIERS.has(modifier)) {
        if (tokens[j]?.value !== '(') {
          isCall = false;
          break;
        }
        j = skipParens(j);
      } else if (!MODIFIERS.has(modifier)) {
        isCall = false;
        break;
      }
    }
    if (!isCall || tokens[j]?.value !== '(') continue;
    const title = firstArgumentTitle(tokens, j + 1);
    if (title !== undefined) titles.push({ kind: t.value as TestTitle['kind'], title, line: t.line });
  }
  return { titles, strings };
}

/**
 * The first argument when it is text: string literals and templates, joined by `+` with other
 * expressions (shown as `{expression}`). Undefined when it holds no text at all.
 */
function firstArgumentTitle(tokens: Token[], start: number): string | undefined {
  let depth = 0;
  let title = '';
  let expression = '';
  let sawText = false;
  const flush = () => {
    if (expression.trim()) title += `{${expression.trim()}}`;
    expression = '';
  };
  for (let k = start; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.type === 'punct' && depth === 0 && (t.value === ',' || t.value === ')')) break;
    if (t.type === 'punct' && (t.value === '(' || t.value === '[' || t.value === '{')) depth++;
    if (t.type === 'punct' && (t.value === ')' || t.value === ']' || t.value === '}')) depth--;
    if (depth === 0 && (t.type === 'string' || t.type === 'template')) {
      flush();
      title += t.value;
      sawText = true;
    } else if (depth === 0 && t.type === 'punct' && t.value === '+') {
      flush();
    } else {
      expression += t.type === 'string' ? JSON.stringify(t.value) : t.type === 'template' ? `\`${t.value}\`` : t.value;
    }
  }
  flush();
  return sawText ? title : undefined;
}

// ------------------------------------------------------------------------------------------------
// Row IDs in tests
// ------------------------------------------------------------------------------------------------

/** A pattern for row IDs with the prefixes of `cases` (`AZ-01`, and typos such as `AZ-1`). */
export function rowIdPattern(cases: readonly SecurityCase[]): RegExp {
  const prefixes = [...new Set(cases.map((c) => c.id.split('-')[0]!))].sort();
  return new RegExp(`(?<![A-Za-z0-9])(?:${prefixes.join('|')})-\\d+(?![0-9])`, 'g');
}

const mentions = (text: string, id: string) => new RegExp(`(?<![A-Za-z0-9])${id}(?![0-9])`).test(text);

/** Where each row is tested: per file, the titles naming it (describe titles only when no test title does). */
export function coverage(cases: readonly SecurityCase[], files: readonly ScannedTestFile[]): Map<string, RowCoverage[]> {
  const result = new Map<string, RowCoverage[]>();
  for (const c of cases) {
    const rows: RowCoverage[] = [];
    for (const file of files) {
      const named = file.titles.filter((t) => mentions(t.title, c.id));
      const tests = named.filter((t) => t.kind !== 'describe');
      const titles = [...new Set((tests.length ? tests : named).map((t) => t.title))];
      if (titles.length || file.strings.some((s) => mentions(s, c.id))) rows.push({ file: file.path, titles });
    }
    result.set(c.id, rows);
  }
  return result;
}

/** Row IDs that tests name (in titles or other strings) but `cases` does not have, with where. */
export function unknownRowIds(cases: readonly SecurityCase[], files: readonly ScannedTestFile[]): { id: string; file: string }[] {
  const known = new Set(cases.map((c) => c.id));
  const pattern = rowIdPattern(cases);
  const found: { id: string; file: string }[] = [];
  for (const file of files) {
    const ids = new Set(file.strings.flatMap((s) => s.match(pattern) ?? []));
    for (const id of [...ids].sort()) if (!known.has(id)) found.push({ id, file: file.path });
  }
  return found;
}

// ------------------------------------------------------------------------------------------------
// The document
// ------------------------------------------------------------------------------------------------

/** Text for a table cell that is already markdown: only bars and line breaks need care. */
const cell = (markdown: string) => markdown.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
/**
 * Plain text (a test title) in a table cell: the characters that markdown (and GitHub's `$` math)
 * would read escaped, and `_` only where it could start or end emphasis, so `redirect_uri` stays
 * legible in the source.
 */
const plain = (text: string) =>
  text
    .replace(/[\\`*<|~$]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|\](?=\()|&(?=#?[A-Za-z0-9]+;)/g, (c) => `\\${c}`)
    .replace(/\s*\n\s*/g, ' ');

function testsCell(c: SecurityCase, rows: readonly RowCoverage[]): string {
  const parts: string[] = [];
  if (c.notApplicable) parts.push(`*Not applicable:* ${cell(c.notApplicable)}`);
  for (const row of rows) {
    const link = `[${row.file}](../${row.file})`;
    parts.push(row.titles.length ? `${link}<br>${row.titles.map((t) => `· ${plain(t)}`).join('<br>')}` : `${link} (titles built at run time)`);
  }
  if (!parts.length) parts.push('**none**');
  return parts.join('<br>');
}

export function renderSecurityDoc(cases: readonly SecurityCase[], files: readonly ScannedTestFile[]): string {
  const covered = coverage(cases, files);
  const tested = cases.filter((c) => covered.get(c.id)!.length > 0).length;
  const notApplicable = cases.filter((c) => c.notApplicable).length;
  const sections: string[] = [];
  let current = '';
  for (const c of cases) {
    const heading = `${c.section.letter}. ${c.section.title}`;
    if (heading !== current) {
      current = heading;
      sections.push(`\n### ${heading}\n\n| ID | Attack | Expected | Tests |\n|---|---|---|---|`);
    }
    sections.push(`| ${c.id} | *${cell(c.component)}*: ${cell(c.summary)} | ${cell(c.expected)} | ${testsCell(c, covered.get(c.id)!)} |`);
  }
  return `${INTRO}
## The attack rows and their tests

${cases.length} rows; ${tested} named by at least one test; ${notApplicable} marked not applicable. The rows, with
their sources (RFCs, OpenID Foundation conformance-suite modules, known attack classes), are in
[security-cases.json](security-cases.json); each test names the row it covers in its title.
∅DB means the test compares the database before and after the attack: nothing written.
${sections.join('\n')}
`;
}

/** The part of the document written by hand (every claim names the code that keeps it). */
const INTRO = `<!-- Generated by npm run docs:security from docs/security-cases.json and the tests. Do not edit. -->
# Security

jwt-oidc is an OpenID Provider, a relying party and libraries that other servers use to trust its
tokens, so most of its bugs would be security bugs. This page says what it guarantees, how to
report a vulnerability, and which test proves each guarantee against which attack.

## What we guarantee

- **Redirect URIs match exactly.** The \`redirect_uri\` of an authorization request is compared
  byte for byte with the registered ones: no prefix, no normalisation, no wildcard. Until the
  client and its \`redirect_uri\` are trusted, errors are an HTML page and never a redirect; after
  that they go back to the registered URI with \`error\`, \`state\` and \`iss\` (RFC 9207).
  Registration refuses fragments, wildcards, credentials, \`javascript:\`, \`data:\`, \`file:\` and
  plain http outside loopback.
  (src/provider/authorization/request.ts, src/clients/redirect-uri.ts)
- **PKCE with S256 only.** \`plain\` (and a challenge without a method) is refused, public clients
  must send a challenge, the verifier must hash to it at the token endpoint, and a verifier sent
  for a code issued without a challenge is refused too (no downgrade).
  (src/provider/authorization/request.ts, src/provider/token/pkce.ts)
- **Authorization codes work once.** Codes are 256-bit random values stored as SHA-256 digests,
  bound to the client, the \`redirect_uri\` and the PKCE challenge, and consumed with one atomic
  \`UPDATE … WHERE consumed_at IS NULL\`: of parallel redemptions exactly one wins, and a second
  redemption revokes everything the first produced.
  (src/provider/token/grants/authorization-code.ts, src/provider/stores/grant-store.ts)
- **Refresh tokens rotate, and reuse is detected.** Refresh tokens are opaque, stored as digests
  and bound to their client. Each use rotates the token atomically; a rotated token presented again
  revokes the whole grant and its access tokens. A refresh may narrow the scope, never widen it.
  (src/provider/token/grants/refresh-token.ts, src/provider/stores/grant-store.ts)
- **Algorithm allow-lists; no \`none\`, no HMAC with public keys.** Access tokens are verified
  against an allow-list of asymmetric algorithms; a verifier cannot even be created with \`none\`
  or an HS* algorithm (packages/resource/src/verifier.ts). Tokens and hints the provider verifies
  itself must carry the algorithm of the key their \`kid\` names (src/keys/key-manager.ts).
  Keys come only from the pinned key set, never from \`jku\`, \`jwk\`, \`x5u\` or \`x5c\` in a token.
  Logout tokens at the relying party use the same asymmetric allow-list
  (packages/express/src/logout-token.ts).
- **Issuer and audience are checked.** Access tokens need the exact issuer, this server's
  audience, \`typ: at+jwt\` and sane time claims (packages/resource/src/verifier.ts). The relying party
  requires the provider's metadata to name the configured issuer byte for byte, refuses ID tokens
  with a foreign audience or \`azp\`, and ID tokens from the future or too old
  (packages/express/src/relying-party.ts). \`id_token_hint\` must be an ID token of this provider, for the
  client (src/provider/authorization/hints.ts).
- **Secrets are stored hashed.** Client secrets (256 random bits) are stored as SHA-256 digests
  and compared in constant time, also for unknown clients (src/clients/client-service.ts,
  src/provider/token/client-auth.ts); a \`client_secret_jwt\` client's secret, which keys its
  assertions' HMACs, is also kept sealed as the signing keys are (CA-11). Passwords are hashed with scrypt (src/users/password.ts).
  Codes, refresh tokens and session ids are stored as digests (src/provider/stores/secrets.ts).
- **Signing keys are encrypted at rest** with AES-256-GCM under a key derived (HKDF-SHA256) from
  \`JWT_OIDC_KEY_ENCRYPTION_SECRET\`, each ciphertext bound to its key id (src/keys/encryption.ts).
- **CSRF.** The login, consent, account-selection and logout-confirmation forms carry a CSRF token
  bound to the browser's interaction cookie (src/interaction/handlers.ts,
  src/provider/stores/interaction-store.ts, src/provider/end-session.ts); cookies are \`HttpOnly\`
  and \`SameSite=Lax\`, \`Secure\` with the \`__Host-\` prefix on https (src/http/cookies.ts). The
  GraphQL API has Apollo's CSRF prevention on and batching off (src/graphql/apollo.ts).
- **Rate limits.** Failed logins per account (or, for a browser that signed in before, per
  device cookie) and per address, an IPv6 address per /64: each attempt is reserved in PostgreSQL
  before its password is checked and refunded on success, one check at a time per account, so
  the limits hold under parallel bursts and whatever the number of instances
  (src/provider/throttle/, src/interaction/handlers.ts). Failures at the token endpoint (client
  authentication, guessed codes and refresh tokens, grants a client may not use) per address,
  never per client: counted in PostgreSQL, enforced by each instance from its memory
  (src/provider/token/failures.ts). Token requests of an authenticated client for a permitted
  grant (\`JWT_OIDC_TOKEN_RATE_LIMIT\`) and GraphQL root fields per caller, every alias counted
  (\`JWT_OIDC_GRAPHQL_RATE_LIMIT\`), per instance (src/provider/token/token-endpoint.ts,
  src/graphql/rate-limit.ts). Beyond a limit: 429 with \`Retry-After\`.
- **Audit events** for logins (success, failure, throttled), consents, issued and revoked
  tokens, code and refresh-token replays, logouts, revoked grants and sessions, key rotations,
  refused admin operations and GraphQL mutations: one structured log record each, marked
  \`audit: true\`, naming people and clients by id and never carrying secrets, tokens or passwords
  (src/audit.ts).
- **Generic errors.** Unexpected errors answer \`server_error\` / \`INTERNAL_SERVER_ERROR\`
  without a stack trace, SQL or driver text; the details go to the server log only
  (src/http/errors.ts, src/graphql/errors.ts, src/graphql/apollo.ts).
- **503 when the database is down.** An unreachable database makes the authorization, token,
  userinfo, revocation, introspection and GraphQL endpoints answer 503 with \`Retry-After\`
  rather than 500, and so does the last-resort error handler behind every other route
  (src/db/unavailable.ts, src/provider/authorization/authorize.ts,
  src/provider/token/token-endpoint.ts, src/provider/userinfo.ts, src/graphql/errors.ts,
  src/http/errors.ts).

## Reporting a vulnerability

Please do not open a public issue. Write to **security@jwt-oidc.dev**, or open a private
advisory on GitHub (the repository's *Security* tab, *Report a vulnerability*). Say what you
found, how to reproduce it, and which version or commit. We aim to acknowledge a report within
3 working days and to agree on a fix and a disclosure date within 14 days; we credit reporters who
wish it.

## Fuzzing and fault tests

Besides the rows below, fuzz tests feed the parsers and endpoints random and malformed input
(test/fuzz/), and fault tests break things under a running service: the database stops and
comes back under load, the process dies in the middle of a key rotation, an upstream provider is
slow or silent. The answers must stay bounded (success, or 503 with \`Retry-After\` and no
internals), nothing may be left half-written, and service must recover once the fault is gone
(test/e2e/faults.test.ts).
`;
