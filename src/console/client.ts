/**
 * The service's own browser clients (docs/ARCHITECTURE.md "The browser pages"): the admin
 * console's (`jwt-oidc-console`, with ADMIN_CONSOLE) and the account page's (`jwt-oidc-account`,
 * with ACCOUNT_PAGE), registered by the service at every start in provider mode, and deleted
 * when their page is off (its routes are gone too). ClientService refuses to create, change,
 * delete or rotate them (`MANAGED_CLIENTS` there): they are the service's, not the administrators'.
 *
 * Public clients: the pages are JavaScript in a browser, which keeps no secret (RFC 9700
 * §2.1.1), so they use the code flow with PKCE (RFC 7636), which the provider requires of every
 * public client, and their refresh tokens rotate at every use and need `offline_access`.
 * First-party: no consent page; an administrator signing in through the console may get the
 * `admin` scope (src/provider/authorization/scopes.ts), and the account page's `profile` lets it
 * manage the user's own account (`mayManageAccount`). Same origin as the provider: no CORS origins.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { notifyClientsChanged } from '../clients/client-registry.js';
import { ACCOUNT_CLIENT_ID, CONSOLE_CLIENT_ID } from '../clients/client-service.js';
import { Client } from '../db/entities/client.js';

export { ACCOUNT_CLIENT_ID, CONSOLE_CLIENT_ID };

/** A client of the service's own: its id, its name (the connected apps and the audit show it), its page's mount. */
interface ServiceClient {
  id: string;
  name: string;
  mount: string;
}

const CONSOLE: ServiceClient = { id: CONSOLE_CLIENT_ID, name: 'Admin console', mount: '/admin' };
const ACCOUNT: ServiceClient = { id: ACCOUNT_CLIENT_ID, name: 'Account page', mount: '/account' };

/** A service client's row for an issuer: everything but the id and the times. */
function serviceClientData(issuer: string, { name, mount }: ServiceClient) {
  const base = `${issuer.replace(/\/$/, '')}${mount}`;
  return {
    name,
    logoUri: null,
    clientUri: null,
    secretHash: null,
    sealedSecret: null,
    secretExpiresAt: null,
    redirectUris: [`${base}/callback`],
    postLogoutRedirectUris: [`${base}/`],
    allowedOrigins: [],
    grantTypes: ['authorization_code', 'refresh_token'],
    responseTypes: ['code'],
    firstParty: true,
    // Signing out of either page ends the provider's session, as one expects of a shared machine (RP-Initiated Logout 1.0 §2).
    logoutAll: true,
    admin: false,
    // JWT_OIDC_MFA=required covers the service's own pages as every other client.
    requireMfa: false,
    // JWT_OIDC_REQUIRE_PAR covers them too: the pages push when discovery says so.
    requirePar: false,
    requireDpop: false,
    // The provider's SIGNATURE_ALG.
    idTokenSignedResponseAlg: null,
    extraIdTokenClaims: {},
    userRestrictions: [],
    audiences: [],
    backchannelLogoutUri: null,
  };
}

export const consoleClientData = (issuer: string) => serviceClientData(issuer, CONSOLE);
export const accountClientData = (issuer: string) => serviceClientData(issuer, ACCOUNT);

/**
 * Creates the client, or brings an existing row in line with this start (another issuer, a
 * hand-edited row): one statement (INSERT … ON CONFLICT DO UPDATE), so that instances starting
 * at once on one database all succeed. Other running instances reload their clients.
 */
async function seed(orm: MikroORM, client: ServiceClient, issuer: string): Promise<void> {
  const data = serviceClientData(issuer, client);
  await orm.em.fork().upsert(Client, { id: client.id, ...data }, { onConflictFields: ['id'], onConflictAction: 'merge', onConflictMergeFields: Object.keys(data) as (keyof typeof data)[] });
  await notifyClientsChanged(orm, client.id);
}

/** Its page off: the client goes with its routes, and its grants and tokens with it (foreign keys). */
async function remove(orm: MikroORM, client: ServiceClient): Promise<void> {
  const deleted = await orm.em.fork().nativeDelete(Client, { id: client.id });
  if (deleted > 0) await notifyClientsChanged(orm, client.id);
}

export const seedConsoleClient = (orm: MikroORM, issuer: string) => seed(orm, CONSOLE, issuer);
export const removeConsoleClient = (orm: MikroORM) => remove(orm, CONSOLE);
export const seedAccountClient = (orm: MikroORM, issuer: string) => seed(orm, ACCOUNT, issuer);
export const removeAccountClient = (orm: MikroORM) => remove(orm, ACCOUNT);
