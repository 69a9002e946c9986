/**
 * OpenID Provider metadata (OIDC Discovery 1.0 §3, RFC 8414 §2) at
 * `<issuer>/.well-known/openid-configuration`, and the same document as OAuth 2.0 Authorization
 * Server Metadata at RFC 8414 §3's `/.well-known/oauth-authorization-server<issuer path>`. One
 * document for both: RFC 8414 §7.1.2 registers OIDC Discovery's members as authorization server
 * metadata, so none has to be left out. The issuer appears byte for byte as configured; only
 * what is implemented is listed. Settings do not change while running, so the document is
 * serialized once.
 */
import { ACR_VALUES_SUPPORTED } from './authorization/acr.js';
import { etagOf } from '../util/digest.js';
import type { SignatureAlg } from '../config/definitions.js';
import { wantedFamilies } from '../keys/lifecycle.js';
import { PROVIDER_SCOPES } from './authorization/scopes.js';
import { SUPPORTED_RESPONSE_TYPES } from './authorization/request.js';
import { ASSERTION_SIGNING_ALGS, CLIENT_AUTH_METHODS, SECRET_ASSERTION_ALGS } from './token/auth-methods.js';
import { GRANT_TYPES } from './token/grants/index.js';
import { notModified, type HttpResult } from './http-result.js';
import { DPOP_SIGNING_ALGS } from './dpop.js';

/** Assertion algorithms of both JWT methods: private_key_jwt's signatures, client_secret_jwt's HMACs (OIDC Discovery §3); request objects' too. */
const ASSERTION_ALGS = [...ASSERTION_SIGNING_ALGS, ...SECRET_ASSERTION_ALGS];

export const DISCOVERY_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/jwks';
export const AUTHORIZATION_PATH = '/authorize';
export const TOKEN_PATH = '/token';
export const USERINFO_PATH = '/userinfo';
export const REVOCATION_PATH = '/revoke';
export const INTROSPECTION_PATH = '/introspect';
/** RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), and its confirmation page's POST. */
export const END_SESSION_PATH = '/session/end';
export const END_SESSION_CONFIRM_PATH = '/session/end/confirm';
/** RFC 9126 pushed authorization requests. */
export const PAR_PATH = '/par';
/** RFC 8628 §3.1 device authorization endpoint, and §3.3 the verification page the user visits. */
export const DEVICE_AUTHORIZATION_PATH = '/device/authorization';
export const DEVICE_PATH = '/device';
/** RFC 7591 dynamic client registration; a registered client's own URL below it (RFC 7592). */
export const REGISTRATION_PATH = '/register';
export const AUTHORIZATION_SERVER_METADATA = '/.well-known/oauth-authorization-server';

/**
 * Where RFC 8414 §3 puts the metadata of `issuer`: the well-known path between the host and the
 * issuer's path, whose terminating "/" is removed first (§3.1).
 */
export function authorizationServerMetadataPath(issuer: string): string {
  return `${AUTHORIZATION_SERVER_METADATA}${new URL(issuer).pathname.replace(/\/$/, '')}`;
}

export interface DiscoveryOptions {
  issuer: string;
  signatureAlg: SignatureAlg;
  /** API scopes offered besides the standard ones. */
  apiScopes?: readonly string[];
  /** JWT_OIDC_REQUIRE_PAR: every client must push its authorization requests (RFC 9126 §5). */
  requirePar?: boolean;
  /** JWT_OIDC_REGISTRATION_POLICY is not `off`: discovery names the registration endpoint (RFC 8414 §2). */
  registration?: boolean;
  /** JWT_OIDC_CLIENT_ID_METADATA is on: a client_id may be the URL of its metadata document (draft-ietf-oauth-client-id-metadata-document). */
  clientIdMetadata?: boolean;
}

/** Endpoint URLs hang off the issuer without its trailing slash (OIDC Discovery §4.1). */
export function endpointUrl(issuer: string, path: string): string {
  return `${issuer.replace(/\/$/, '')}${path}`;
}

export function discoveryMetadata({ issuer, signatureAlg, apiScopes = [], requirePar = false, registration = false, clientIdMetadata = false }: DiscoveryOptions): Record<string, unknown> {
  const algs = [...new Set(wantedFamilies(signatureAlg).values())];
  return {
    issuer,
    authorization_endpoint: endpointUrl(issuer, AUTHORIZATION_PATH),
    token_endpoint: endpointUrl(issuer, TOKEN_PATH),
    userinfo_endpoint: endpointUrl(issuer, USERINFO_PATH),
    jwks_uri: endpointUrl(issuer, JWKS_PATH),
    revocation_endpoint: endpointUrl(issuer, REVOCATION_PATH),
    introspection_endpoint: endpointUrl(issuer, INTROSPECTION_PATH),
    end_session_endpoint: endpointUrl(issuer, END_SESSION_PATH),
    pushed_authorization_request_endpoint: endpointUrl(issuer, PAR_PATH),
    device_authorization_endpoint: endpointUrl(issuer, DEVICE_AUTHORIZATION_PATH),
    ...(registration ? { registration_endpoint: endpointUrl(issuer, REGISTRATION_PATH) } : {}),
    scopes_supported: [...PROVIDER_SCOPES, ...apiScopes],
    response_types_supported: [...SUPPORTED_RESPONSE_TYPES],
    response_modes_supported: ['query', 'fragment', 'form_post'],
    grant_types_supported: [...Object.keys(GRANT_TYPES), 'implicit'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: algs,
    // client_secret_jwt's HMACs beside private_key_jwt's signatures (src/provider/token/auth-methods.ts).
    token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS.filter((m) => m !== 'none'),
    introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    code_challenge_methods_supported: ['S256'],
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    // A second factor given states urn:jwt-oidc:mfa (src/provider/authorization/acr.ts).
    acr_values_supported: [...ACR_VALUES_SUPPORTED],
    display_values_supported: ['page', 'popup', 'touch', 'wap'],
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'azp', 'at_hash', 'sid', 'acr', 'amr', 'name', 'given_name', 'family_name', 'preferred_username', 'picture', 'locale', 'updated_at', 'email', 'email_verified', 'address', 'phone_number', 'phone_number_verified'],
    // OIDC Core §5.5 (src/provider/authorization/claims-parameter.ts).
    claims_parameter_supported: true,
    // Request objects (RFC 9101) by value only, signed with the client's registered keys or MACed
    // with its client_secret_jwt secret (src/provider/authorization/request-object.ts): a
    // request_uri is only ever one this provider made at /par (RFC 9126 §4), never a URL it
    // would fetch (docs/SECURITY.md JW-23, section AD).
    request_parameter_supported: true,
    request_object_signing_alg_values_supported: ASSERTION_ALGS,
    request_uri_parameter_supported: false,
    require_pushed_authorization_requests: requirePar,
    authorization_response_iss_parameter_supported: true,
    ...(clientIdMetadata ? { client_id_metadata_document_supported: true } : {}),
    // RFC 9449 §5.1: the algorithms of DPoP proofs the token endpoint (and every DPoP endpoint) checks.
    dpop_signing_alg_values_supported: DPOP_SIGNING_ALGS,
  };
}

export function discoveryEndpoint(options: DiscoveryOptions): (ifNoneMatch?: string) => HttpResult {
  return cachedDocument(discoveryMetadata(options), 'application/json; charset=utf-8', 'public, max-age=300');
}

/** A JSON document that never changes while running: serialized once, with an ETag. */
export function cachedDocument(document: object, contentType: string, cacheControl: string): (ifNoneMatch?: string) => HttpResult {
  const body = JSON.stringify(document);
  const etag = etagOf(body);
  const headers = { 'Content-Type': contentType, 'Cache-Control': cacheControl, ETag: etag };
  return (ifNoneMatch) => (notModified(ifNoneMatch, etag) ? { status: 304, headers } : { status: 200, headers, body });
}
