/**
 * The admin console's own client (docs/ARCHITECTURE.md "The admin console"), registered by the
 * service at every start in provider mode with ADMIN_CONSOLE, and deleted without it (its routes
 * are gone too). ClientService refuses to create, change, delete or rotate it
 * (`CONSOLE_CLIENT_ID` there): it is the service's, not the administrators'.
 *
 * A public client: the console is JavaScript in a browser, which keeps no secret (RFC 9700
 * §2.1.1), so it uses the code flow with PKCE (RFC 7636), which the provider requires of every
 * public client, and its refresh tokens rotate at every use and need `offline_access`. First-party:
 * no consent page, and an administrator signing in through it may get the `admin` scope
 * (src/provider/authorization/scopes.ts). Same origin as the provider: no CORS origins.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { notifyClientsChanged } from '../clients/client-registry.js';
import { CONSOLE_CLIENT_ID } from '../clients/client-service.js';
import { Client } from '../db/entities/client.js';

export { CONSOLE_CLIENT_ID };

/** The client's row for an issuer: everything but the times. */
export function consoleClientData(issuer: string) {
  const base = `${issuer.replace(/\/$/, '')}/admin`;
  return {
    name: 'Admin console',
    logoUri: null,
    clientUri: null,
    secretHash: null,
    secretExpiresAt: null,
    redirectUris: [`${base}/callback`],
    postLogoutRedirectUris: [`${base}/`],
    allowedOrigins: [],
    grantTypes: ['authorization_code', 'refresh_token'],
    responseTypes: ['code'],
    firstParty: true,
    // Signing out of the console ends the provider's session, as an operator expects of a shared machine (RP-Initiated Logout 1.0 §2).
    logoutAll: true,
    admin: false,
    // The provider's SIGNATURE_ALG.
    idTokenSignedResponseAlg: null,
    extraIdTokenClaims: {},
    userRestrictions: [],
    audiences: [],
    backchannelLogoutUri: null,
  };
}

/**
 * Creates the client, or brings an existing row in line with this start (another issuer, a
 * hand-edited row): one statement (INSERT … ON CONFLICT DO UPDATE), so that instances starting
 * at once on one database all succeed. Other running instances reload their clients.
 */
export async function seedConsoleClient(orm: MikroORM, issuer: string): Promise<void> {
  const data = consoleClientData(issuer);
  await orm.em.fork().upsert(Client, { id: CONSOLE_CLIENT_ID, ...data }, { onConflictFields: ['id'], onConflictAction: 'merge', onConflictMergeFields: Object.keys(data) as (keyof typeof data)[] });
  await notifyClientsChanged(orm);
}

/** Without ADMIN_CONSOLE: the client goes with its routes, and its grants and tokens with it (foreign keys). */
export async function removeConsoleClient(orm: MikroORM): Promise<void> {
  const deleted = await orm.em.fork().nativeDelete(Client, { id: CONSOLE_CLIENT_ID });
  if (deleted > 0) await notifyClientsChanged(orm);
}
