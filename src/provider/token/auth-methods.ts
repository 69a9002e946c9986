/**
 * The client authentication methods of the token, introspection and revocation endpoints, as
 * discovery lists them (RFC 8414 §2). `client_secret_jwt` (OIDC Core §9) is not among them: a
 * client secret is kept only as a one-way digest (src/clients/client-service.ts), and an HMAC
 * cannot be checked without the secret itself (docs/SECURITY.md section V).
 */
import { SIGNATURE_ALGS } from '../../config/definitions.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';
export const CLIENT_AUTH_METHODS: ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'];

/** The algorithms a client assertion may be signed with: asymmetric only (RFC 8725 §3.1). */
export const ASSERTION_SIGNING_ALGS: readonly string[] = SIGNATURE_ALGS;

/** `client_assertion_type` of a JWT assertion (RFC 7523 §2.2). */
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
