/**
 * The one HTTP answer while the database cannot be reached (src/db/unavailable.ts tells when):
 * 503 with `Retry-After` (RFC 9110 §15.6.4, §10.2.3), so that clients try again instead of
 * reporting a bug. API clients get a JSON error with OAuth's code for the condition,
 * `temporarily_unavailable` (RFC 6749 §4.1.2.1); browsers get a page.
 */
import { DATABASE_RETRY_AFTER } from '../db/unavailable.js';
import { jsonResult, pageResult, type HttpResult } from './http-result.js';

export function databaseUnavailable(kind: 'json' | 'page'): HttpResult {
  const retry = { 'Retry-After': String(DATABASE_RETRY_AFTER) };
  if (kind === 'page') {
    return pageResult(503, { view: 'error', title: 'Temporarily unavailable', message: 'The sign-in service is briefly unavailable. Please try again in a few seconds.' }, retry);
  }
  return jsonResult(503, { error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable; try again shortly.' }, retry);
}
