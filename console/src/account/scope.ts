/**
 * What the account page asks for: `profile`, which lets a first-party client manage the user's
 * own account (`mayManageAccount`, src/provider/authorization/scopes.ts), `email` to show the
 * address, `offline_access` for a refresh token (OIDC Core §11). Never `admin`: the page needs
 * none, and a stolen token of it must not administer anything.
 */
export const ACCOUNT_SCOPE = 'openid profile email offline_access';
