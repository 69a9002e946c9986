/**
 * The names of the audit events (src/audit.ts), as plain data without imports: the GraphQL API
 * checks `auditEvents(types:)` against it, and the admin console (console/src/pages/audit)
 * offers it as the audit page's choices from this same list.
 */
export const AUDIT_EVENTS = [
  'login.success',
  'login.failure',
  'login.throttled',
  'login.refused',
  'login.delegated',
  'consent.granted',
  'consent.denied',
  'authorization.restricted',
  'token.issued',
  'token.refused',
  'token.rate_limited',
  'token.revoked',
  'code.replay',
  'refresh.replay',
  'logout',
  'grant.revoked',
  'session.revoked',
  'keys.rotated',
  'admin.forbidden',
  'admin.created',
  'setup.refused',
  'graphql.mutation',
  'password.reset_requested',
  'password.reset',
  'password.changed',
  'password.change_failed',
  'account.registered',
  'email.verified',
  'email.change_requested',
  'email.changed',
  'user.invited',
  'invitation.accepted',
] as const;
