/**
 * Who you are at the fake provider: any `sub`, optionally an email, a name and extra claims as a
 * JSON object — checked so that the tokens stay well-formed: claims that tokens define themselves
 * (RESERVED_CLAIMS) cannot be typed. Form errors are values for the page, never exceptions that
 * reach the client.
 */
import { RESERVED_CLAIMS } from '../provider/tokens.js';
import { MAX_USER_ID_LENGTH } from '../users/user-id.js';

export interface FakeIdentity {
  /** The subject: the user's id (src/users/user-id.ts). */
  sub: string;
  /** Claims besides `sub` (email, email_verified, name, whatever was typed), released as they are. */
  claims: Record<string, unknown>;
}

const MAX_CLAIMS_JSON = 4096;
const SUBJECT = new RegExp(`^[\\x21-\\x7e]{1,${MAX_USER_ID_LENGTH}}$`);

/** A form error to show on the login page, next to its field (WCAG 3.3.1). */
export class IdentityError extends Error {
  constructor(
    readonly field: 'sub' | 'email' | 'name' | 'claims' | 'acr' | 'amr',
    message: string,
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}

export interface IdentityForm {
  sub?: string;
  email?: string;
  name?: string;
  claims?: string;
  /** How the user authenticated (authentication.ts). */
  level?: string;
  acr?: string;
  amr?: string;
}

export function identityFromForm(form: IdentityForm): FakeIdentity {
  const sub = (form.sub ?? '').trim();
  if (!SUBJECT.test(sub)) throw new IdentityError('sub', `Type a subject: 1–${MAX_USER_ID_LENGTH} visible ASCII characters, no spaces.`);
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
      if (RESERVED_CLAIMS.has(k)) throw new IdentityError('claims', `"${k}" is set by the provider itself and cannot be typed.`);
      claims[k] = v;
    }
  }
  return { sub, claims };
}
