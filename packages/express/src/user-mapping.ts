/**
 * Local users of a relying party, found by the upstream identity (`identificationClaim`),
 * created at first login when `createUser` is on (with `defaultAttributes`, copied), and updated
 * from claims per `renameAttributes` — which can only ever write the allow-listed profile fields
 * of `WRITABLE_USER_FIELDS`, never admin or active flags. The app brings the store.
 */

/**
 * User fields that `renameAttributes` and `defaultAttributes` may write. Anything that grants
 * power (admin, active) or identity (id, username, password) is deliberately absent: a claim
 * from an upstream provider must never make someone an administrator.
 */
export const WRITABLE_USER_FIELDS = ['email', 'emailVerified', 'givenName', 'familyName', 'locale', 'picture'] as const;

export type WritableField = (typeof WRITABLE_USER_FIELDS)[number];

export interface LocalUser {
  id: string;
  [field: string]: unknown;
}

export interface UserStore {
  /** The user linked to this upstream identity, if any. */
  find(identifier: string): Promise<LocalUser | undefined>;
  /** A new user for this identity with these fields. */
  create(identifier: string, fields: Partial<Record<WritableField, unknown>>): Promise<LocalUser>;
  /** Writes these fields (only ever allow-listed ones). */
  update(user: LocalUser, fields: Partial<Record<WritableField, unknown>>): Promise<LocalUser>;
}

export interface UserMapping {
  identificationClaim: string;
  createUser: boolean;
  renameAttributes: Record<string, string>;
  defaultAttributes: Partial<Record<WritableField, unknown>>;
}

const WRITABLE = new Set<string>(WRITABLE_USER_FIELDS);

/** Fields to write from claims: only allow-listed targets, and values of the right shape. */
export function fieldsFromClaims(claims: Record<string, unknown>, rename: Record<string, string>): Partial<Record<WritableField, unknown>> {
  const fields: Partial<Record<WritableField, unknown>> = {};
  for (const [claim, field] of Object.entries(rename)) {
    if (!WRITABLE.has(field) || !(claim in claims)) continue;
    const value = claims[claim];
    if (field === 'emailVerified' ? typeof value === 'boolean' : typeof value === 'string' && value.length <= 2048) fields[field as WritableField] = value;
  }
  return fields;
}

/** Finds or (with CREATE_USER) creates the local user of a login; undefined when there is none. */
export async function mapUser(store: UserStore, mapping: UserMapping, claims: Record<string, unknown>): Promise<LocalUser | undefined> {
  const identifier = claims[mapping.identificationClaim];
  if (typeof identifier !== 'string' || identifier === '' || identifier.length > 512) return undefined;
  const fromClaims = fieldsFromClaims(claims, mapping.renameAttributes);
  const existing = await store.find(identifier);
  if (existing) return Object.keys(fromClaims).length ? store.update(existing, fromClaims) : existing;
  if (!mapping.createUser) return undefined;
  // Defaults are copied per user (structuredClone), never shared or mutated.
  return store.create(identifier, { ...structuredClone(mapping.defaultAttributes), ...fromClaims });
}
