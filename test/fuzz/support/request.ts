/**
 * Building a fuzzed request from its parts: URL, parameters (query or body), body kind and the
 * header plan, with a pool of plausible credentials for the plan to pick from.
 */
import { makeBody, type BodyKind } from './bodies.js';
import { applyHeaders, type HeaderPlan } from './headers.js';
import type { FuzzRequest } from './http.js';
import { encodeEntries, type Entry } from './values.js';

export interface RequestParts {
  /** The service's URL (the path is appended). */
  base: string;
  method: string;
  path: string;
  query?: Entry[];
  /** A raw query string instead of `query`. */
  rawQuery?: string;
  body?: Entry[];
  kind?: BodyKind;
  seed?: number;
  headers?: Record<string, string | undefined>;
  plan: HeaderPlan;
  /** Client ids, secrets and tokens the header plan may use. */
  pool?: { ids?: readonly string[]; secrets?: readonly string[]; tokens?: readonly string[] };
}

export function buildRequest(b: RequestParts): FuzzRequest {
  const query = b.rawQuery ?? (b.query?.length ? encodeEntries(b.query) : '');
  const url = `${b.base}${b.path}${query ? `?${query}` : ''}`;
  const { body, contentType } = b.body ? makeBody(b.kind ?? 'form', b.body, b.seed ?? 0) : {};
  const headers = applyHeaders({ 'content-type': contentType, ...b.headers }, b.plan, { ids: b.pool?.ids ?? [], secrets: b.pool?.secrets ?? [], tokens: b.pool?.tokens ?? [] });
  return { method: b.method, url, headers, body };
}
