/**
 * The provider's tables with an `expires_at` past which a row is useless, in the order the
 * housekeeping sweeps them (src/db/housekeeping.ts). Grants last: a grant goes once its last
 * token has expired, and its codes and refresh tokens go with it (foreign keys cascade).
 */
export const PROVIDER_EXPIRING_TABLES = ['authorization_codes', 'interactions', 'pushed_authorization_requests', 'device_requests', 'sessions', 'refresh_tokens', 'revoked_tokens', 'client_assertions', 'dpop_proofs', 'initial_access_tokens', 'failure_events', 'audit_events', 'account_tokens', 'grants'] as const;
