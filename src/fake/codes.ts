/**
 * Authorization codes of the fake provider: 256 random bits each (never one shared code, as the
 * original had), single use, short-lived, bound to the redirect URI, the PKCE challenge and the
 * nonce of their request. In memory: the fake is a single development process.
 */
import { randomBytes } from 'node:crypto';
import type { FakeIdentity } from './identity.js';

export interface CodeGrant {
  redirectUri: string;
  codeChallenge?: string;
  nonce?: string;
  scope: string;
  identity: FakeIdentity;
  /** Seconds since the epoch. */
  authTime: number;
}

const MAX_CODES = 10_000;

export class CodeStore {
  private readonly codes = new Map<string, CodeGrant & { expiresAt: number }>();

  constructor(
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(grant: CodeGrant): string {
    this.prune();
    const code = randomBytes(32).toString('base64url');
    this.codes.set(code, { ...grant, expiresAt: this.now() + this.ttlSeconds * 1000 });
    return code;
  }

  /** The code's grant, once: it is gone afterwards, whatever the caller does with it (RFC 6749 §4.1.2). */
  take(code: string): CodeGrant | undefined {
    const entry = this.codes.get(code);
    this.codes.delete(code);
    return entry && entry.expiresAt > this.now() ? entry : undefined;
  }

  private prune(): void {
    const now = this.now();
    for (const [code, entry] of this.codes) if (entry.expiresAt <= now) this.codes.delete(code);
    // Never unbounded: the oldest go first.
    while (this.codes.size >= MAX_CODES) this.codes.delete(this.codes.keys().next().value as string);
  }
}
