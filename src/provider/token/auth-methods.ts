/**
 * The client authentication methods of the token, introspection and revocation endpoints, as
 * discovery lists them (RFC 8414 §2). `client_secret_jwt` (OIDC Core §9) is checked with the
 * client's secret itself, kept sealed for such clients only (docs/SECURITY.md CA-11).
 */
import { SIGNATURE_ALGS } from '../../config/definitions.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt' | 'none';
export const CLIENT_AUTH_METHODS: ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'];

/** The algorithms a private_key_jwt assertion may be signed with: asymmetric only (RFC 8725 §3.1). */
export const ASSERTION_SIGNING_ALGS: readonly string[] = SIGNATURE_ALGS;

/**
 * The algorithms of a client_secret_jwt assertion: HMACs (RFC 7518 §3.2), keyed with the
 * client's secret; never accepted for private_key_jwt, nor an asymmetric one here (CA-02, CA-12).
 */
export const SECRET_ASSERTION_ALGS: readonly string[] = ['HS256', 'HS384', 'HS512'];

/** `client_assertion_type` of a JWT assertion (RFC 7523 §2.2). */
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
