/**
 * Request parameters as protocol code sees them: single strings. A parameter sent twice is an
 * error (RFC 6749 §3.1, §3.2: "MUST NOT be included more than once"); arrays and objects from
 * a permissive parser (`client_id[]=…`, `{"$gt": ""}`) are refused before any lookup
 * (docs/SECURITY.md AZ-15, AZ-16), and so are values with a NUL character, which no protocol
 * value has and PostgreSQL can neither store nor take as a query parameter.
 */
import { invalidRequest } from './errors.js';

export type RawParams = Record<string, unknown>;

export interface Params {
  /** The value of a parameter sent once; empty values count as absent (RFC 6749 §3.1). */
  get(name: string): string | undefined;
  /** Every value of a parameter that may repeat (RFC 8707 §2 `resource`); empty values left out. */
  all(name: string): string[];
  /** Names sent more than once. */
  readonly duplicates: string[];
  /** Names whose value is not a plain string (nested objects, arrays from other parsers, NUL characters). */
  readonly malformed: string[];
}

export function readParams(raw: RawParams | undefined): Params {
  const values = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const duplicates: string[] = [];
  const malformed: string[] = [];
  for (const [name, value] of Object.entries(raw ?? {})) {
    // `redirect_uri[toString]=…`, `client_id[]=…`: a bracketed spelling of a parameter, as
    // other parsers would turn into objects or arrays; it taints the parameter it names.
    const bracketed = /^([^[\]]+)\[/.exec(name);
    if (bracketed) {
      malformed.push(bracketed[1]!);
      continue;
    }
    if (typeof value === 'string') {
      if (value.includes('\u0000')) malformed.push(name);
      else if (value !== '') values.set(name, value);
    } else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
      duplicates.push(name);
      if (value.some((v) => v.includes('\u0000'))) malformed.push(name);
      else lists.set(name, value.filter((v) => v !== ''));
    } else if (value !== undefined) {
      malformed.push(name);
    }
  }
  return { get: (name) => values.get(name), all: (name) => lists.get(name) ?? (values.has(name) ? [values.get(name)!] : []), duplicates, malformed };
}

/** Throws invalid_request when any of `names` was sent twice or malformed. */
export function requireSingle(params: Params, names: readonly string[]): void {
  const bad = names.filter((n) => params.duplicates.includes(n) || params.malformed.includes(n));
  if (bad.length > 0) throw invalidRequest(`parameters must be sent once, as plain values: ${bad.join(', ')}`);
}

/** Space-separated tokens (RFC 6749 §3.3: scope-token = 1*NQCHAR, separated by single spaces). */
export function spaceList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(' ').filter((v) => v !== '');
}

export const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * The parameters of a back-channel POST, whose body must be a form (RFC 6749 §3.2, RFC 9126
 * §2.1: application/x-www-form-urlencoded); anything else is invalid_request.
 */
export function formParams(req: { header(name: string): string | undefined; body?: unknown }): Params {
  if (!/^application\/x-www-form-urlencoded\b/i.test(req.header('content-type') ?? '') || req.body === undefined) {
    throw invalidRequest('the body must be application/x-www-form-urlencoded');
  }
  return readParams(req.body as RawParams);
}
