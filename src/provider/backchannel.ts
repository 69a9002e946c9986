/**
 * OpenID Connect Back-Channel Logout 1.0: when a session ends, each client with a
 * `backchannel_logout_uri` receives a signed logout token (`events`, `sid`, `sub`, no `nonce`;
 * §2.4). Delivery runs in the background, with a timeout and a few retries, and never blocks
 * the user's logout; redirects are not followed.
 */
import { randomUUID } from 'node:crypto';
import type { RegisteredClient } from '../clients/client-registry.js';
import type { ProviderContext } from './context.js';

export const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const ATTEMPTS = 3;
const TIMEOUT_MS = 5000;

export interface BackchannelOptions {
  /** Delay before attempt n (1-based), in ms (default 1 s, 3 s). */
  backoff?: (attempt: number) => number;
}

/** Starts delivery to every client of `clientIds` that registered a back-channel URI. */
/** What back-channel logout uses: the clients, the keys that sign logout tokens, time and log. */
export type BackchannelContext = Pick<ProviderContext, 'issuer' | 'clients' | 'keys' | 'clock' | 'logger'>;

export async function notifyBackchannel(ctx: BackchannelContext, clientIds: readonly string[], subject: string, sid: string, options: BackchannelOptions = {}): Promise<void> {
  const clients = await Promise.all(clientIds.map((id) => ctx.clients.get(id)));
  const targets = clients.filter((c): c is RegisteredClient & { backchannelLogoutUri: string } => !!c?.backchannelLogoutUri);
  await Promise.all(targets.map((client) => deliver(ctx, client, subject, sid, options)));
}

async function deliver(ctx: BackchannelContext, client: RegisteredClient & { backchannelLogoutUri: string }, sub: string, sid: string, options: BackchannelOptions): Promise<void> {
  const iat = Math.floor(ctx.clock.now() / 1000);
  const token = await ctx.keys.sign(
    { iss: ctx.issuer, aud: client.id, iat, exp: iat + 120, jti: randomUUID(), sub, sid, events: { [BACKCHANNEL_EVENT]: {} } },
    { typ: 'logout+jwt', alg: client.idTokenSignedResponseAlg ?? undefined },
  );
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const res = await fetch(client.backchannelLogoutUri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'cache-control': 'no-store' },
        body: new URLSearchParams({ logout_token: token }),
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (res.status === 200 || res.status === 204) return;
      ctx.logger.warn({ event: 'backchannel.failed', client: client.id, status: res.status, attempt }, 'back-channel logout refused');
    } catch (e) {
      ctx.logger.warn({ event: 'backchannel.failed', client: client.id, attempt, error: (e as Error).name }, 'back-channel logout not delivered');
    }
    if (attempt < ATTEMPTS) await new Promise((r) => setTimeout(r, options.backoff?.(attempt) ?? 1000 * 3 ** (attempt - 1)));
  }
}
