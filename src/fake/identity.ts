/**
 * Who you are at the fake provider: any `sub`, optionally an email, a name and extra claims as a
 * JSON object — checked so that the tokens stay well-formed (claims that tokens define
 * themselves cannot be overridden). The last identities are kept, newest first, in memory and
 * in the data directory, for the login page's one-click list and for `prompt=none`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface FakeIdentity {
  /** A short digest of the identity: what the login page's buttons and the browser cookie name. */
  id: string;
  sub: string;
  /** Claims besides `sub` (email, name, whatever was typed). */
  claims: Record<string, unknown>;
}

/** Claims every token defines itself. */
const RESERVED = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'nonce', 'azp', 'at_hash', 'c_hash', 's_hash', 'auth_time', 'acr', 'amr', 'sid', 'client_id', 'scope', 'cnf', 'typ']);
const MAX_CLAIMS_JSON = 4096;

/** A form error to show on the login page (never an exception). */
export class IdentityError extends Error {
  constructor(
    readonly field: 'sub' | 'email' | 'name' | 'claims',
    message: string,
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}

export function identityFromForm(form: { sub?: string; email?: string; name?: string; claims?: string }): FakeIdentity {
  const sub = (form.sub ?? '').trim();
  if (!/^[\x21-\x7e]{1,255}$/.test(sub)) throw new IdentityError('sub', 'Type a subject: 1–255 visible ASCII characters, no spaces.');
  const claims: Record<string, unknown> = {};
  const email = (form.email ?? '').trim();
  if (email) {
    if (!/^[^\s@]{1,64}@[^\s@]{1,255}$/.test(email)) throw new IdentityError('email', 'This is not an email address.');
    claims.email = email;
    claims.email_verified = true;
  }
  const name = (form.name ?? '').trim();
  if (name) {
    if (name.length > 200) throw new IdentityError('name', 'The name is too long (200 characters at most).');
    claims.name = name;
  }
  const text = (form.claims ?? '').trim();
  if (text) {
    if (text.length > MAX_CLAIMS_JSON) throw new IdentityError('claims', `The claims are too long (${MAX_CLAIMS_JSON} characters at most).`);
    let extra: unknown;
    try {
      extra = JSON.parse(text);
    } catch {
      throw new IdentityError('claims', 'The claims are not valid JSON.');
    }
    if (!extra || typeof extra !== 'object' || Array.isArray(extra)) throw new IdentityError('claims', 'The claims must be a JSON object, like {"roles": ["admin"]}.');
    for (const [k, v] of Object.entries(extra)) {
      if (RESERVED.has(k)) throw new IdentityError('claims', `"${k}" is set by the provider itself and cannot be typed.`);
      claims[k] = v;
    }
  }
  return { id: identityId(sub, claims), sub, claims };
}

function identityId(sub: string, claims: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify([sub, claims])).digest('base64url').slice(0, 22);
}

/** The recently used identities, newest first; persisted best-effort to a file. */
export class RecentIdentities {
  private list: FakeIdentity[];
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string | undefined,
    private readonly max = 10,
  ) {
    this.list = file ? load(file).slice(0, max) : [];
  }

  all(): readonly FakeIdentity[] {
    return this.list;
  }

  get(id: string | undefined): FakeIdentity | undefined {
    return id === undefined ? undefined : this.list.find((i) => i.id === id);
  }

  /** Puts an identity first (once). */
  remember(identity: FakeIdentity): void {
    this.list = [identity, ...this.list.filter((i) => i.id !== identity.id)].slice(0, this.max);
    if (this.file) this.writing = this.writing.then(() => save(this.file!, this.list)).catch(() => undefined);
  }

  /** Resolves once pending writes are on disk. */
  flush(): Promise<void> {
    return this.writing;
  }
}

function load(file: string): FakeIdentity[] {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((entry) => {
      try {
        const e = entry as { sub: string; claims: Record<string, unknown> };
        const i = identityFromForm({ sub: e.sub, claims: JSON.stringify(Object.fromEntries(Object.entries(e.claims ?? {}).filter(([k]) => k !== 'email' && k !== 'name'))), email: e.claims?.email as string, name: e.claims?.name as string });
        return [i];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

async function save(file: string, list: FakeIdentity[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  await writeFile(tmp, JSON.stringify(list.map(({ sub, claims }) => ({ sub, claims })), null, 2), { mode: 0o600 });
  await rename(tmp, file);
}
