/**
 * Passkeys (WebAuthn Level 2; docs/ACCOUNTS.md "Passkeys"): registering one on the account page
 * (GraphQL, src/graphql/passkey-resolver.ts), and the assertions that sign in with one — as the
 * second factor after a password, or alone where JWT_OIDC_PASSKEY_LOGIN allows it
 * (src/interaction/passkey-step.ts). The rows: src/users/factor-store.ts (kind `passkey`).
 *
 * The relying party is the issuer: its host is the RP ID (WebAuthn L2 §5.1.4.1: a registrable
 * domain of the origin; a credential works only for the RP ID it was made for), its origin the
 * one expected in clientDataJSON (§7.1 step 9, §7.2 step 13). Challenges are 32 random bytes,
 * kept by the server and spent once (§13.4.3); the signature counter is checked against cloning
 * (§6.1.1).
 */
import { randomBytes } from 'node:crypto';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { decodeClientDataJSON, parseAuthenticatorData } from '@simplewebauthn/server/helpers';
import type { Clock } from '../clock.js';
import { advancePasskeyCounter, confirmPendingPasskey, countFactors, findPasskey, lockEnrolments, findPendingPasskey, listPasskeys, passkeyUserHandle, replacePendingPasskey, type FactorRow, type PasskeyRow } from './factor-store.js';
import { alreadyEnrolled, factorName } from './factors.js';
import { replaceRecoveryCodes } from './recovery-codes.js';
import { UserError } from './user-service.js';

/** How long a ceremony may take, and how long its challenge stays good: WebAuthn L2 §5.4.1's recommended range for `timeout` is 5–10 minutes. */
export const PASSKEY_CEREMONY_MS = 5 * 60 * 1000;

/** The relying party: the issuer's host and origin, and the name authenticators show. */
export interface RelyingParty {
  id: string;
  name: string;
  origin: string;
}

/** The relying party of an issuer URL (its host without the port is the RP ID, WebAuthn L2 §5.1.4.1). */
export function relyingPartyOf(issuer: string, name: string): RelyingParty {
  const url = new URL(issuer);
  return { id: url.hostname, name, origin: url.origin };
}

export interface PasskeyDeps {
  em: EntityManager;
  clock: Clock;
  rp: RelyingParty;
}

/** A verified assertion: whose passkey, and the amr values it stands for (RFC 8176 §2). */
export interface PasskeyAssertion {
  ok: true;
  passkey: PasskeyRow;
  userId: string;
  /** `hwk` (device-bound) or `swk` (backed up, synced), then `user` when the UP flag was set. */
  amr: string[];
  userVerified: boolean;
}

/**
 * Why an assertion was refused: `malformed` (not a response), `challenge` (not this page's
 * challenge, spent, or expired), `unknown` (no such passkey), `other-user` (a passkey of someone
 * else than the user of this sign-in), `invalid` (signature, origin, RP ID, flags, user handle),
 * `cloned` (the signature counter did not increase: WebAuthn L2 §6.1.1).
 */
export type PasskeyRefusal = { ok: false; reason: 'malformed' | 'challenge' | 'unknown' | 'other-user' | 'invalid' | 'cloned'; passkey?: PasskeyRow; detail?: string };

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

export class PasskeyService {
  constructor(private readonly deps: PasskeyDeps) {}

  private get now(): number {
    return this.deps.clock.now();
  }

  /**
   * Starts registering a passkey for `user` (the caller has confirmed the password): the options
   * for navigator.credentials.create() (WebAuthn L2 §5.4), with a pending row holding their
   * challenge. The user handle is random, never the username or the id (§14.6.1), and the same
   * for all of the user's passkeys; their credentials are excluded, so an authenticator is not
   * registered twice (§5.4.3 excludeCredentials). Discoverable if the authenticator can
   * (`residentKey: preferred`), so it can sign in without a username.
   */
  async startRegistration(user: { id: string; username: string }): Promise<{ id: string; options: PublicKeyCredentialCreationOptionsJSON }> {
    const userHandle = (await passkeyUserHandle(this.deps.em, user.id)) ?? b64url(randomBytes(32));
    const options = await this.creationOptions(user, userHandle, randomBytes(32));
    const id = await replacePendingPasskey(this.deps.em, { userId: user.id, challenge: options.challenge, userHandle, now: this.now });
    return { id, options };
  }

  /**
   * The options of the user's pending registration `id` again (its challenge and user handle),
   * while it waits for its answer; undefined once it is finished, replaced or expired. A page
   * shown again while another post may be finishing that registration must not replace it.
   */
  async pendingRegistration(user: { id: string; username: string }, id: string): Promise<{ id: string; options: PublicKeyCredentialCreationOptionsJSON } | undefined> {
    const pending = await findPendingPasskey(this.deps.em, user.id, id, this.now - PASSKEY_CEREMONY_MS);
    return pending && { id, options: await this.creationOptions(user, pending.userHandle, Buffer.from(pending.challenge, 'base64url')) };
  }

  private async creationOptions(user: { id: string; username: string }, userHandle: string, challenge: Uint8Array<ArrayBuffer>): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const { em, rp } = this.deps;
    const existing = await listPasskeys(em, user.id);
    return generateRegistrationOptions({
      rpName: rp.name,
      rpID: rp.id,
      userName: user.username,
      userDisplayName: user.username,
      userID: Buffer.from(userHandle, 'base64url'),
      challenge,
      timeout: PASSKEY_CEREMONY_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports as AuthenticatorTransportFuture[] })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
  }

  /**
   * Finishes the registration `id` with the browser's response (JSON text), naming the passkey.
   * Verified per WebAuthn L2 §7.1 (challenge, origin, RP ID, UP flag, attestation `none`); the
   * challenge is spent by the UPDATE that confirms the row, so one response registers once. The
   * user's first factor comes with recovery codes (shown once), as an authenticator app's does;
   * a later one leaves the saved codes as they are (null). `amr`: what the new key stands for
   * when its registration is the second factor of a sign-in (the set-up under the policy).
   * `firstOnly` (that set-up, src/interaction/enrolment.ts): EXISTS when the user has a factor
   * already (set up meanwhile), and the challenge is not spent.
   */
  async finishRegistration(userId: string, id: string, responseJson: string, name: string, options: { firstOnly?: boolean } = {}): Promise<{ factor: FactorRow; recoveryCodes: string[] | null; amr: string[] }> {
    const label = factorName(name);
    const now = this.now;
    const since = now - PASSKEY_CEREMONY_MS;
    const notFound = () => new UserError('ERR_USER_NOT_FOUND', 'registration not found (it may have expired: start again)', 'id');
    const pending = await findPendingPasskey(this.deps.em, userId, id, since);
    if (!pending) throw notFound();
    const response = parseJson<RegistrationResponseJSON>(responseJson);
    if (!response) throw new UserError('ERR_USER_INVALID', 'not a registration response', 'response');
    let verified;
    try {
      verified = await verifyRegistrationResponse({ response, expectedChallenge: pending.challenge, expectedOrigin: this.deps.rp.origin, expectedRPID: this.deps.rp.id, requireUserVerification: false });
    } catch {
      verified = undefined;
    }
    if (!verified?.verified) throw new UserError('ERR_USER_INVALID', 'the passkey could not be verified: start again', 'response');
    const { credential, credentialBackedUp, credentialDeviceType } = verified.registrationInfo;
    try {
      return await this.deps.em.fork().transactional(async (em) => {
        await lockEnrolments(em, userId);
        if (options.firstOnly && (await countFactors(em, userId)) > 0) throw alreadyEnrolled();
        const confirmed = await confirmPendingPasskey(em, {
          userId,
          id,
          challenge: pending.challenge,
          name: label,
          credential: { credentialId: credential.id, publicKey: b64url(credential.publicKey), counter: credential.counter, transports: credential.transports ?? [], backedUp: credentialBackedUp, deviceType: credentialDeviceType },
          now,
          since,
        });
        if (!confirmed) throw notFound();
        const first = (await countFactors(em, userId)) === 1;
        const recoveryCodes = first ? await replaceRecoveryCodes(em, userId, now) : null;
        const factor: FactorRow = { id, userId, kind: 'passkey', name: label, createdAt: new Date(now), confirmedAt: new Date(now), lastUsedAt: null };
        // The user presence flag was required by the verification (its default): `user` (RFC 8176 §2).
        return { factor, recoveryCodes, amr: [...keyAmr(credentialBackedUp, credentialDeviceType), 'user'] };
      });
    } catch (e) {
      if (e instanceof UniqueConstraintViolationException) throw new UserError('ERR_USER_INVALID', 'this passkey is registered already', 'response');
      throw e;
    }
  }

  /** The user's passkeys, oldest first. */
  list(userId: string): Promise<PasskeyRow[]> {
    return listPasskeys(this.deps.em, userId);
  }

  /**
   * Options for navigator.credentials.get() (WebAuthn L2 §5.5): the user's passkeys as
   * `allowCredentials` (a second factor), or none (a discoverable credential chooses the user:
   * passwordless sign-in). The caller keeps the challenge where the answer will come.
   */
  authenticationOptions(passkeys: readonly PasskeyRow[] | 'discoverable', userVerification: 'preferred' | 'required'): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return generateAuthenticationOptions({
      rpID: this.deps.rp.id,
      challenge: randomBytes(32),
      timeout: PASSKEY_CEREMONY_MS,
      userVerification,
      allowCredentials: passkeys === 'discoverable' ? [] : passkeys.map((p) => ({ id: p.credentialId, transports: p.transports as AuthenticatorTransportFuture[] })),
    });
  }

  /**
   * Verifies an assertion (WebAuthn L2 §7.2) posted as JSON text. `takeChallenge` spends the
   * challenge the response names — kept server-side, single use — before anything else is
   * checked. `userId`: the user this must be a passkey of (the second factor, §7.2 step 6); none
   * for a discoverable credential, whose user handle must then match its passkey's.
   * `requireUserVerification`: the UV flag must be set (passwordless sign-in).
   */
  async verifyAssertion(o: { responseJson: string; takeChallenge: (challenge: string) => Promise<boolean>; userId?: string; requireUserVerification: boolean }): Promise<PasskeyAssertion | PasskeyRefusal> {
    const response = parseJson<AuthenticationResponseJSON>(o.responseJson);
    if (!response || typeof response.id !== 'string' || typeof response.response?.clientDataJSON !== 'string' || typeof response.response.authenticatorData !== 'string') return { ok: false, reason: 'malformed' };
    let challenge: string;
    try {
      challenge = decodeClientDataJSON(response.response.clientDataJSON).challenge;
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (typeof challenge !== 'string' || challenge.length === 0 || challenge.length > 128 || !(await o.takeChallenge(challenge))) return { ok: false, reason: 'challenge' };

    const passkey = await findPasskey(this.deps.em, response.id);
    if (!passkey) return { ok: false, reason: 'unknown' };
    // §7.2 step 6: the credential must be one of the user's, whoever the browser offers.
    if (o.userId !== undefined && passkey.userId !== o.userId) return { ok: false, reason: 'other-user', passkey };
    // §7.2 step 6: a user handle, when given (always, for a discoverable credential), must be the passkey's owner's.
    const userHandle = response.response.userHandle;
    if ((o.userId === undefined && !userHandle) || (userHandle !== undefined && userHandle !== passkey.userHandle)) return { ok: false, reason: 'invalid', passkey, detail: 'user handle' };

    let info;
    try {
      // Counter 0 here: the counter is checked below, so that a clone is told from a bad signature.
      const verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.deps.rp.origin,
        expectedRPID: this.deps.rp.id,
        credential: { id: passkey.credentialId, publicKey: Buffer.from(passkey.publicKey, 'base64url'), counter: 0, transports: passkey.transports as AuthenticatorTransportFuture[] },
        requireUserVerification: o.requireUserVerification,
      });
      if (!verified.verified) return { ok: false, reason: 'invalid', passkey };
      info = verified.authenticationInfo;
    } catch (e) {
      return { ok: false, reason: 'invalid', passkey, detail: e instanceof Error ? e.message.slice(0, 200) : undefined };
    }
    const flags = parseAuthenticatorData(Buffer.from(response.response.authenticatorData, 'base64url')).flags;

    // WebAuthn L2 §6.1.1 (and §7.2 step 21): a counter that does not increase, when either value
    // is non-zero, means two copies of the private key exist: refused.
    const received = info.newCounter;
    const stored = passkey.counter;
    if ((received > 0 || stored > 0) && received <= stored) return { ok: false, reason: 'cloned', passkey, detail: `counter ${received} after ${stored}` };
    // Compare-and-set from the value checked: a parallel assertion that moved it first wins.
    if (!(await advancePasskeyCounter(this.deps.em, { id: passkey.id, seen: stored, counter: received, backedUp: info.credentialBackedUp, now: this.now }))) {
      return { ok: false, reason: 'cloned', passkey, detail: 'counter moved meanwhile' };
    }
    // `user`: the user presence test (UP), RFC 8176 §2.
    const amr = [...keyAmr(info.credentialBackedUp, info.credentialDeviceType), ...(flags.up ? ['user'] : [])];
    return { ok: true, passkey, userId: passkey.userId, amr, userVerified: flags.uv };
  }
}

/**
 * RFC 8176 §2: `hwk` proof of possession of a hardware-secured key, `swk` of a software-secured
 * one — a key that is or may be copied to other devices (backup eligible or backed up, WebAuthn
 * L2 §6.1.3) is not bound to one piece of hardware.
 */
function keyAmr(backedUp: boolean, deviceType: string): string[] {
  return [backedUp || deviceType === 'multiDevice' ? 'swk' : 'hwk'];
}

function parseJson<T>(text: string): T | undefined {
  if (typeof text !== 'string' || text.length > 64 * 1024) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}
