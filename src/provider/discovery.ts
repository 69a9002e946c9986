/**
 * OpenID Provider metadata (OIDC Discovery 1.0 §3, RFC 8414 §2) at
 * `<issuer>/.well-known/openid-configuration`. The issuer appears byte for byte as configured;
 * only what is implemented is listed. Settings do not change while running, so the document is
 * serialized once.
 */
import { createHash } from 'node:crypto';
import type { SignatureAlg } from '../config/definitions.js';
import { wantedFamilies } from '../keys/lifecycle.js';
import { notModified, type HttpResult } from './http-result.js';

export const DISCOVERY_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/jwks';

export interface DiscoveryOptions {
  issuer: string;
  signatureAlg: SignatureAlg;
}

/** Endpoint URLs hang off the issuer without its trailing slash (OIDC Discovery §4.1). */
export function endpointUrl(issuer: string, path: string): string {
  return `${issuer.replace(/\/$/, '')}${path}`;
}

export function discoveryMetadata({ issuer, signatureAlg }: DiscoveryOptions): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: endpointUrl(issuer, JWKS_PATH),
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...new Set(wantedFamilies(signatureAlg).values())],
  };
}

export function discoveryEndpoint(options: DiscoveryOptions): (ifNoneMatch?: string) => HttpResult {
  const body = JSON.stringify(discoveryMetadata(options));
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  const headers = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'public, max-age=300', ETag: etag };
  return (ifNoneMatch) => (notModified(ifNoneMatch, etag) ? { status: 304, headers } : { status: 200, headers, body });
}
