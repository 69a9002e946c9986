/**
 * How long the parameters that the provider stores (in an interaction row, for up to 10 minutes)
 * or echoes (to the client) may be, in characters: an anonymous request cannot make a row larger
 * than these allow (README "Limits", docs/SECURITY.md RC-05). A longer value is invalid_request.
 */
import { MAX_URI_LENGTH } from '../../clients/redirect-uri.js';

export const PARAMETER_LIMITS = {
  /** Echoed to the client; JWT-shaped states fit. */
  state: 2048,
  nonce: 255,
  login_hint: 512,
  /** The whole space-separated list. */
  scope: 2048,
  acr_values: 1024,
  ui_locales: 256,
  claims_locales: 256,
  /** At /session/end, echoed with the post-logout redirect. */
  logout_hint: 512,
  /** Registered redirect and post-logout redirect URIs (compared exactly, so never longer). */
  redirect_uri: MAX_URI_LENGTH,
} as const;

export type LimitedParameter = keyof typeof PARAMETER_LIMITS;

/** The first parameter of `values` over its limit, or undefined. */
export function overLimit(values: Partial<Record<LimitedParameter, string | undefined>>): LimitedParameter | undefined {
  return (Object.keys(values) as LimitedParameter[]).find((name) => (values[name]?.length ?? 0) > PARAMETER_LIMITS[name]);
}
