/**
 * How the fake's user "authenticated": the `acr` (OIDC Core §2) and `amr` (RFC 8176) the
 * developer picks on the page, released in the ID token and the access token (RFC 9068 §2.2.1)
 * as a real login would set them, so that an API that demands step-up authentication (RFC 9470)
 * can be tried both ways. Nothing is checked: it is what the developer says.
 */
import { IdentityError } from './identity.js';

/** The provider's second factor sets this `acr`. */
export const MFA_ACR = 'urn:jwt-oidc:mfa';

/** The choices of the page's select; `none` states nothing (no `acr`, no `amr`). */
export const LEVELS = {
  none: { label: 'Not stated (no acr, no amr)', acr: null, amr: [] },
  password: { label: 'Password only (amr pwd)', acr: null, amr: ['pwd'] },
  mfa: { label: `Two-step (${MFA_ACR}; amr pwd, otp)`, acr: MFA_ACR, amr: ['pwd', 'otp'] },
} as const satisfies Record<string, { label: string; acr: string | null; amr: readonly string[] }>;

export type Level = keyof typeof LEVELS;

export interface AuthenticationForm {
  level?: string;
  /** Overrides the level's `acr` when given. */
  acr?: string;
  /** Overrides the level's `amr` when given: a comma-separated list. */
  amr?: string;
}

export interface FakeAuthentication {
  acr: string | null;
  amr: string[];
}

/** An `acr` that fits in a challenge's quoted string (RFC 9470 §3; RFC 6750 §3). */
const ACR = /^[\x21\x23-\x5b\x5d-\x7e]{1,255}$/;
const AMR = /^[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]{1,64}$/;
const MAX_AMR = 10;

export function authenticationFromForm(form: AuthenticationForm): FakeAuthentication {
  const level = form.level && Object.hasOwn(LEVELS, form.level) ? LEVELS[form.level as Level] : LEVELS.none;
  const acr = (form.acr ?? '').trim();
  if (acr && !ACR.test(acr)) throw new IdentityError('acr', 'The acr is 1–255 visible ASCII characters, without spaces, quotes or backslashes.');
  const amrText = (form.amr ?? '').trim();
  const amr = amrText ? amrText.split(',').map((m) => m.trim()).filter(Boolean) : [...level.amr];
  if (amr.length > MAX_AMR || amr.some((m) => !AMR.test(m))) {
    throw new IdentityError('amr', `The amr is a comma-separated list of at most ${MAX_AMR} values, like pwd, otp (RFC 8176).`);
  }
  return { acr: acr || level.acr, amr };
}

/** The level the page preselects for a request's `acr_values` (OIDC Core §3.1.2.1): two-step when it asks for it. */
export function levelFor(acrValues: readonly string[] | undefined): Level {
  return acrValues?.includes(MFA_ACR) ? 'mfa' : 'none';
}

/** The `acr` the page prefills: the request's first `acr_values` entry, unless the select gives one it asks for. */
export function acrFor(acrValues: readonly string[] | undefined): string | undefined {
  return acrValues?.includes(MFA_ACR) ? undefined : acrValues?.[0];
}
