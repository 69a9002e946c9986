/**
 * Sending the authorization response (or error) to the client's redirect URI in the response
 * mode of the request: `query` (code only), `fragment` (the default when tokens are involved,
 * OAuth 2.0 Multiple Response Types §5), or `form_post` (OAuth 2.0 Form Post Response Mode).
 * Every response carries `iss` (RFC 9207).
 */
import { randomBytes } from 'node:crypto';
import { pageResult, redirectResult, withQuery, type HttpResult } from '../http-result.js';

export type ResponseMode = 'query' | 'fragment' | 'form_post';

export function authorizationResponse(
  target: { redirectUri: string; responseMode: ResponseMode },
  params: Record<string, string | undefined>,
  setCookies: string[] = [],
): HttpResult {
  const fields = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as Record<string, string>;
  switch (target.responseMode) {
    case 'query':
      return redirectResult(withQuery(target.redirectUri, fields), setCookies);
    case 'fragment':
      // Registered redirect URIs never have a fragment of their own (RFC 6749 §3.1.2).
      return redirectResult(`${target.redirectUri}#${new URLSearchParams(fields).toString()}`, setCookies);
    case 'form_post': {
      const nonce = randomBytes(16).toString('base64url');
      return pageResult(200, { view: 'form-post', action: target.redirectUri, fields, nonce }, { 'Referrer-Policy': 'no-referrer' }, setCookies);
    }
  }
}

/** The mode a response type uses when the request names none. */
export function defaultResponseMode(responseType: string): ResponseMode {
  return responseType === 'code' ? 'query' : 'fragment';
}
