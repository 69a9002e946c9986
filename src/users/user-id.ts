/**
 * A user's id is its subject (`sub`, OIDC Core §2): a UUID for the accounts the service creates,
 * any string of 1–255 characters for the fake mode's identities (docs/ARCHITECTURE.md).
 */
export const MAX_USER_ID_LENGTH = 255;

/** Whether `id` could name a user: anything else is answered without a statement. */
export function isUserId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_USER_ID_LENGTH;
}
