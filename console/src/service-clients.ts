/**
 * The service's own clients: it registers them at every start and refuses every change to them
 * (MANAGED_CLIENTS, src/clients/client-service.ts). The console shows them read-only; the
 * account page does not offer to remove them, as they are how the user reaches these pages.
 */
export const CONSOLE_CLIENT_ID = 'jwt-oidc-console';
export const ACCOUNT_CLIENT_ID = 'jwt-oidc-account';

const OWNERS: Readonly<Record<string, string>> = { [CONSOLE_CLIENT_ID]: 'the admin console', [ACCOUNT_CLIENT_ID]: 'the account page' };

/** Whose client `id` is ("the admin console"), when it is one of the service's own; undefined otherwise. */
export function serviceClientOwner(id: string): string | undefined {
  return Object.hasOwn(OWNERS, id) ? OWNERS[id] : undefined;
}
