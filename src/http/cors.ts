/**
 * CORS for the endpoints browsers call directly (token, userinfo, discovery, JWKS, GraphQL): the
 * origins registered on clients and nothing else; no credentials, since none of these endpoints
 * authenticates from cookies (Fetch Standard; docs/SECURITY.md TK-17, GQ-11).
 */
export interface CorsPolicy {
  isAllowed(origin: string): boolean;
  methods: string;
  headers?: string;
}

/** Headers for a response to `origin`; empty when the origin is not allowed. */
export function corsHeaders(origin: string | undefined, policy: CorsPolicy, preflight: boolean): Record<string, string> {
  const headers: Record<string, string> = { Vary: 'Origin' };
  if (!origin || origin === 'null' || !policy.isAllowed(origin)) return headers;
  headers['Access-Control-Allow-Origin'] = origin;
  // A browser client reads a DPoP nonce and its challenge (RFC 9449 §8, §9, §7.1).
  if (!preflight) headers['Access-Control-Expose-Headers'] = 'DPoP-Nonce, WWW-Authenticate';
  if (preflight) {
    headers['Access-Control-Allow-Methods'] = policy.methods;
    headers['Access-Control-Allow-Headers'] = policy.headers ?? 'Authorization, Content-Type, DPoP';
    headers['Access-Control-Max-Age'] = '600';
  }
  return headers;
}
