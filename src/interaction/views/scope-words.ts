/**
 * The scopes in words for people, as plain data without imports: the consent page shows them
 * (src/interaction/views/consent.ts), and the account page (console/src/account) lists a
 * connected application's access in the same words the user agreed to.
 */
const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'Confirm your identity',
  profile: 'See your name, username, picture and language',
  'profile:write': 'Change your name, picture and language',
  email: 'Your email address',
  address: 'Your postal address',
  phone: 'Your phone number',
  offline_access: 'Stay connected when you are not using it',
  admin: 'Administer this identity provider (full control)',
};

/** Scopes that change things (the provider itself, or what other apps see of you); shown as a warning. */
export const DANGEROUS_SCOPES: ReadonlySet<string> = new Set(['admin', 'profile:write']);

/** A plain-text (unescaped) description of a scope, for people rather than developers. */
export function describeScope(scope: string): string {
  // Object.hasOwn: a scope named "constructor" or "__proto__" is just an unknown scope.
  return Object.hasOwn(SCOPE_DESCRIPTIONS, scope) ? SCOPE_DESCRIPTIONS[scope]! : `Access “${scope}”`;
}
