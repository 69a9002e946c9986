/**
 * Claims released about a user, by scope (OIDC Core §5.4): `sub` always; `profile`, `email`,
 * `address`, `phone` from the user record. USERINFO_SERIALIZER replaces the built-in mapping;
 * USERINFO_SERIALIZER_EXCLUDE removes fields and claims; the password hash is never released.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { User } from '../db/entities/user.js';

/** What a serializer receives: the user without any secret. */
export interface UserView {
  id: string;
  username: string;
  email: string | null;
  emailVerified: boolean;
  givenName: string | null;
  familyName: string | null;
  locale: string | null;
  picture: string | null;
  updatedAt: Date;
  attributes: Record<string, unknown>;
}

export type UserinfoSerializer = (user: UserView, scopes: string[]) => Record<string, unknown> | Promise<Record<string, unknown>>;

export function userView(user: User, exclude: readonly string[] = []): UserView {
  const view: UserView = {
    id: user.id,
    username: user.username,
    email: user.email ?? null,
    emailVerified: user.emailVerified,
    givenName: user.givenName ?? null,
    familyName: user.familyName ?? null,
    locale: user.locale ?? null,
    picture: user.picture ?? null,
    updatedAt: user.updatedAt,
    attributes: { ...user.attributes },
  };
  for (const field of exclude) {
    if (field in view && field !== 'id') (view as unknown as Record<string, unknown>)[field] = field === 'attributes' ? {} : null;
    delete view.attributes[field];
  }
  return view;
}

/** The built-in mapping of OIDC Core §5.4. */
export const standardClaims: UserinfoSerializer = (u, scopes) => {
  const claims: Record<string, unknown> = {};
  if (scopes.includes('profile')) {
    const name = [u.givenName, u.familyName].filter(Boolean).join(' ');
    Object.assign(claims, {
      name: name || undefined,
      given_name: u.givenName ?? undefined,
      family_name: u.familyName ?? undefined,
      preferred_username: u.username,
      picture: u.picture ?? undefined,
      locale: u.locale ?? undefined,
      updated_at: Math.floor(u.updatedAt.getTime() / 1000),
    });
  }
  if (scopes.includes('email') && u.email) Object.assign(claims, { email: u.email, email_verified: u.emailVerified });
  if (scopes.includes('address') && isObject(u.attributes.address)) claims.address = u.attributes.address;
  if (scopes.includes('phone') && typeof u.attributes.phone_number === 'string') {
    claims.phone_number = u.attributes.phone_number;
    claims.phone_number_verified = u.attributes.phone_number_verified === true;
  }
  return claims;
};

export interface ClaimsOptions {
  serializer: UserinfoSerializer;
  exclude: readonly string[];
  /**
   * Also put the userinfo claims in every ID token, not only when no access token is issued
   * (OIDC Core §5.4 allows either). Default false; the fake mode sets it, so that a frontend
   * reads the typed identity from the ID token too.
   */
  inIdToken?: boolean;
}

/** Userinfo claims for `user` and the token's `scopes`; `sub` cannot be overridden. */
export async function userinfoClaims(user: User, scopes: string[], options: ClaimsOptions): Promise<Record<string, unknown>> {
  const produced = await options.serializer(userView(user, options.exclude), scopes);
  const claims: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(produced ?? {})) {
    if (v === undefined || v === null || options.exclude.includes(k) || /password/i.test(k)) continue;
    claims[k] = v;
  }
  return { ...claims, sub: user.id };
}

/**
 * The scope of OIDC Core §5.4 that releases each standard claim this provider knows (discovery's
 * `claims_supported`): a claim asked for by name through the `claims` parameter (OIDC Core §5.5)
 * is produced as its scope would produce it, and consented to in that scope's words.
 */
export const SCOPE_OF_CLAIM: Readonly<Record<string, string>> = {
  name: 'profile',
  given_name: 'profile',
  family_name: 'profile',
  preferred_username: 'profile',
  picture: 'profile',
  locale: 'profile',
  updated_at: 'profile',
  email: 'email',
  email_verified: 'email',
  address: 'address',
  phone_number: 'phone',
  phone_number_verified: 'phone',
};

/**
 * Only the claims named (OIDC Core §5.5: individual claims, asked for by the `claims` parameter),
 * each as the scope that releases it would produce it — so a USERINFO_SERIALIZER and
 * USERINFO_SERIALIZER_EXCLUDE apply as to scope-based claims. A claim the user has no value for
 * is left out (§5.5.1: not an error, even when essential).
 */
export async function requestedClaims(user: User, names: readonly string[], options: ClaimsOptions): Promise<Record<string, unknown>> {
  const known = names.filter((n) => Object.hasOwn(SCOPE_OF_CLAIM, n));
  if (known.length === 0) return {};
  const produced = await userinfoClaims(user, [...new Set(known.map((n) => SCOPE_OF_CLAIM[n]!))], options);
  const picked: Record<string, unknown> = {};
  for (const n of known) if (Object.hasOwn(produced, n)) picked[n] = produced[n];
  return picked;
}

/** Loads USERINFO_SERIALIZER (a module path; its default export) once, at start. */
export async function loadSerializer(modulePath: string | undefined): Promise<UserinfoSerializer> {
  if (!modulePath) return standardClaims;
  const mod = (await import(pathToFileURL(resolve(modulePath)).href)) as { default?: unknown };
  if (typeof mod.default !== 'function') throw new TypeError(`JWT_OIDC_USERINFO_SERIALIZER: ${modulePath} has no default export function (user, scopes) => claims`);
  return mod.default as UserinfoSerializer;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
