/**
 * The signing keys of the provider, for the rest of it: sign a JWT with the active key of a
 * family, verify against the published keys, serve the JWKS, report and rotate. Keys live in
 * memory (decrypted once), so signing costs no database round trip; the lifecycle runs on a timer
 * aimed at the next event, is checked before signing, and follows other instances' changes
 * through LISTEN/NOTIFY.
 */
import { etagOf } from '../util/digest.js';
import { createPrivateKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { MikroORM } from '@mikro-orm/postgresql';
import { calculateJwkThumbprint, importJWK, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyOptions, type JWTVerifyResult } from 'jose';
import type { SignatureAlg } from '../config/definitions.js';
import type { Settings } from '../config/load.js';
import { systemClock, type Clock } from '../clock.js';
import { SigningKey } from '../db/entities/signing-key.js';
import type { Logger } from '../log.js';
import { audit } from '../audit.js';
import { serialReload } from '../util/serial-reload.js';
import { ALGORITHMS } from './algorithms.js';
import { KeyEncryption } from './encryption.js';
import { KeyDecryptionError, KeyUnavailableError } from './errors.js';
import { signCompact } from './jws.js';
import { ChangeListener, KEYS_CHANGED_CHANNEL, SigningKeyStore, type StoredKey } from './key-store.js';
import {
  currentKey,
  lifecyclePolicy,
  keyState,
  nextEventAt,
  planKeys,
  wantedFamilies,
  type KeyAction,
  type KeyFamily,
  type KeyState,
  type LifecyclePolicy,
} from './lifecycle.js';

const generate = promisify(generateKeyPair) as (type: string, options: object) => Promise<{ publicKey: KeyObject; privateKey: KeyObject }>;

interface GeneratedKey {
  kid: string;
  jwk: Record<string, string>;
  pkcs8: Buffer;
}

/** A new key pair for `alg`, its public JWK and its RFC 7638 thumbprint as kid. */
async function generateKey(alg: SignatureAlg): Promise<GeneratedKey> {
  const spec = ALGORITHMS[alg];
  const { publicKey, privateKey } = await generate(spec.keyType, spec.keyOptions);
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, string>;
  return { kid: await calculateJwkThumbprint(jwk as never), jwk, pkcs8: privateKey.export({ format: 'der', type: 'pkcs8' }) };
}

export type KeySettings = Pick<
  Settings,
  'signatureAlg' | 'jwkExpirationTime' | 'keyPrepublishTime' | 'jwtIdTokenExpirationTime' | 'jwtAccessTokenExpirationTime'
>;

export interface KeyManagerOptions {
  orm: MikroORM;
  settings: KeySettings;
  encryption: KeyEncryption;
  logger: Logger;
  /** Default: the system clock. */
  clock?: Clock;
  /** Connection URL to LISTEN for other instances' changes; none: rely on the timer's poll. */
  listenUrl?: string;
  /** Run the lifecycle timer (default true); tests call `tick()` themselves. */
  timer?: boolean;
  /** Longest wait between two lifecycle checks, also the poll for missed changes (default 60 s). */
  maxTimerDelayMs?: number;
}

interface LoadedKey extends StoredKey {
  /** Decrypted; absent for retired keys (they only verify) or when decryption failed. */
  signingKey?: KeyObject;
  verifyKey: CryptoKey;
  jwk: Record<string, string>;
}

export interface PublishedJwks {
  /** The serialized JWK Set, built once per change. */
  body: string;
  etag: string;
  /** `Cache-Control` max-age in seconds: half the pre-publish time, so caches see a key before it signs. */
  maxAge: number;
  kids: string[];
}

export interface KeyStatusEntry {
  kid: string;
  alg: SignatureAlg;
  state: Exclude<KeyState, 'expired'>;
  createdAt: string;
  activatesAt: string;
  retiresAt: string | null;
  deletesAt: string | null;
}

export interface FamilyStatus {
  family: KeyFamily;
  /** The algorithm this family signs with (null: no longer maintained). */
  alg: SignatureAlg | null;
  activeKid: string | null;
  /** When the next key takes over (pending successor, or the active key's planned end). */
  nextRotationAt: string | null;
  keys: KeyStatusEntry[];
}

export interface SignOptions {
  /** JOSE `typ` header, e.g. `at+jwt` for access tokens (RFC 9068 §2.1). */
  typ?: string;
  /** Sign with this algorithm (default: SIGNATURE_ALG), e.g. RS256 for a client that needs it. */
  alg?: SignatureAlg;
}

export class KeyManager {
  /** Every stored key, expired ones included (they are filtered by state where it matters). */
  private keys: LoadedKey[] = [];
  private published: PublishedJwks | undefined;
  private publishedUntil = 0;
  private nextEvent = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<KeyAction[]> | undefined;
  private listener: ChangeListener | undefined;
  private stopped = false;
  private readonly store: SigningKeyStore;
  private readonly clock: Clock;
  readonly policy: LifecyclePolicy;

  constructor(private readonly options: KeyManagerOptions) {
    this.store = new SigningKeyStore(options.orm);
    this.clock = options.clock ?? systemClock;
    this.policy = lifecyclePolicy(options.settings);
  }

  /** What encrypts other secrets at rest under the same key encryption secrets (second factors' TOTP secrets). */
  get encryption(): KeyEncryption {
    return this.options.encryption;
  }

  /** A key derived from the key encryption secret for `purpose` (see KeyEncryption.keyFor). */
  secretKey(purpose: string): Buffer {
    return this.options.encryption.keyFor(purpose);
  }

  private get wanted() {
    return wantedFamilies(this.options.settings.signatureAlg);
  }

  /**
   * Loads the keys (failing with KeyDecryptionError when the secret does not fit), creates the
   * first ones if there are none, and starts following changes.
   */
  async start(): Promise<void> {
    // Listen first: a change committed between our first read and LISTEN would be missed.
    if (this.options.listenUrl) {
      const onChange = () => void this.reload().catch((e) => this.options.logger.error({ err: e }, 'reloading signing keys failed'));
      this.listener = new ChangeListener(this.options.listenUrl, KEYS_CHANGED_CHANNEL, onChange, this.options.logger);
      await this.listener.start();
    }
    // Directly, not through the serialised reload: a queued lenient reload must not stand in
    // for the strict first load that refuses a wrong secret.
    await this.loadKeys(true);
    await this.tick();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.listener?.stop();
    await this.ticking?.catch(() => undefined);
  }

  /** Brings the keys to where the lifecycle wants them now; returns what was done. */
  tick(options: { rotate?: 'scheduled' | 'now' } = {}): Promise<KeyAction[]> {
    if (this.ticking && !options.rotate) return this.ticking;
    const run = (this.ticking ?? Promise.resolve([]))
      .catch(() => [])
      .then(() => this.runTick(options.rotate))
      .finally(() => {
        if (this.ticking === run) this.ticking = undefined;
      });
    this.ticking = run;
    return run;
  }

  private async runTick(rotate?: 'scheduled' | 'now'): Promise<KeyAction[]> {
    const now = this.clock.now();
    // Cheap check on the cache first; the lock is taken only when there is something to do.
    if (!rotate && planKeys(this.keys, this.wanted, this.policy, now).length === 0) {
      this.refreshPublished(now);
      return [];
    }
    const actions = await this.store.locked(async (keys, em) => {
      // Key generation takes time (RSA: up to a second or more): generate first, then plan with
      // the time after it, so that a key's recorded publication precedes its activation by the
      // full pre-publish time. Re-plan until every key the plan creates has its material.
      const material = new Map<string, GeneratedKey[]>();
      let planned: KeyAction[];
      for (;;) {
        planned = planKeys(keys, this.wanted, this.policy, this.clock.now(), { rotate });
        const needed = new Map<SignatureAlg, number>();
        for (const a of planned) if (a.type === 'create') needed.set(a.alg, (needed.get(a.alg) ?? 0) + 1);
        let generated = false;
        for (const [alg, count] of needed) {
          const have = material.get(alg) ?? [];
          for (let i = have.length; i < count; i++) have.push(await generateKey(alg));
          generated ||= have.length > (material.get(alg)?.length ?? 0);
          material.set(alg, have);
        }
        if (!generated) break;
      }
      const now = this.clock.now();
      for (const action of planned) await this.apply(action, em, now, material);
      return { result: planned, changed: planned.length > 0 };
    });
    if (actions.length > 0) audit(this.options.logger, 'keys.rotated', { outcome: 'success', actor: 'schedule', actions: actions.map(describe) }, 'signing keys changed');
    // Reaching the lock means the cache disagreed with the database (or a rotation was asked
    // for): read what is committed now, whether we changed it or another instance did.
    await this.reload();
    return actions;
  }

  private async apply(action: KeyAction, em: Parameters<Parameters<SigningKeyStore['locked']>[0]>[1], now: number, material: Map<string, GeneratedKey[]>): Promise<void> {
    switch (action.type) {
      case 'create': {
        const { kid, jwk, pkcs8 } = material.get(action.alg)!.shift()!;
        em.create(SigningKey, {
          kid,
          family: action.family,
          alg: action.alg,
          publicJwk: { ...jwk, kid, alg: action.alg, use: 'sig' },
          privateKey: this.options.encryption.encrypt(kid, pkcs8),
          // A first key activates at once; nothing was published before it.
          createdAt: new Date(Math.min(now, action.activatesAt)),
          activatesAt: new Date(action.activatesAt),
          retiresAt: null,
          deletesAt: null,
        });
        return;
      }
      case 'activate':
        await em.nativeUpdate(SigningKey, { kid: action.kid }, { activatesAt: new Date(action.activatesAt) });
        return;
      case 'retire':
        await em.nativeUpdate(SigningKey, { kid: action.kid }, { retiresAt: new Date(action.retiresAt), deletesAt: new Date(action.deletesAt) });
        return;
      case 'delete':
        await em.nativeDelete(SigningKey, { kid: action.kid });
        return;
    }
  }

  /**
   * Re-reads the keys; `strict`: a key that cannot be decrypted is an error, not a log line.
   * Serialised so that no change is missed (util/serial-reload.ts).
   */
  readonly reload: (options?: { strict?: boolean }) => Promise<void> = serialReload((options: { strict?: boolean } = {}) => this.loadKeys(options.strict ?? false));

  private async loadKeys(strict: boolean): Promise<void> {
    const stored = await this.store.list();
    const now = this.clock.now();
    const known = new Map(this.keys.map((k) => [k.kid, k]));
    const loaded: LoadedKey[] = [];
    for (const key of stored) {
      const previous = known.get(key.kid);
      const state = keyState(key, now);
      // Expired keys stay in memory (unpublished) until the lifecycle deletes their rows.
      const canSign = state === 'pending' || state === 'active';
      let signingKey = previous?.signingKey;
      if (!signingKey && canSign) {
        try {
          signingKey = createPrivateKey({ key: this.options.encryption.decrypt(key.kid, key.privateKey), format: 'der', type: 'pkcs8' });
        } catch (e) {
          if (strict || !(e instanceof KeyDecryptionError)) throw e;
          this.options.logger.error({ kid: key.kid, err: e }, 'a signing key cannot be decrypted with the configured secret');
        }
      }
      const verifyKey = previous?.verifyKey ?? ((await importJWK(key.publicJwk, key.alg)) as CryptoKey);
      loaded.push({ ...key, signingKey, verifyKey, jwk: publicMembers(key.publicJwk) });
    }
    this.keys = loaded;
    this.published = undefined;
    this.refreshPublished(now);
    this.schedule();
  }

  /** Timer aimed at the next lifecycle event, capped so that missed notifications are polled. */
  private schedule(): void {
    clearTimeout(this.timer);
    const now = this.clock.now();
    this.nextEvent = nextEventAt(this.keys, this.wanted, this.policy, now);
    if (this.options.timer === false || this.stopped) return;
    const delay = Math.min(Math.max(this.nextEvent - now, 50), this.options.maxTimerDelayMs ?? 60_000);
    this.timer = setTimeout(() => {
      void this.tick()
        // Nothing to do here: re-read anyway, in case another instance's notice was missed.
        .then((actions) => (actions.length === 0 ? this.reload() : undefined))
        .catch((e) => this.options.logger.error({ err: e }, 'signing key lifecycle failed; retrying'))
        .finally(() => this.schedule());
    }, delay);
    this.timer.unref();
  }

  /** Signs `payload` as a compact JWS with the active key (`kid`, `alg`, `typ` in the header). */
  async sign(payload: JWTPayload, options: SignOptions = {}): Promise<string> {
    const now = this.clock.now();
    // A change is due (a successor to create, a key to drop): start it, but sign now with the
    // current key, which stays valid; only block when there is no key at all.
    if (now >= this.nextEvent && !this.ticking) void this.tick().catch((e) => this.options.logger.error({ err: e }, 'signing key lifecycle failed'));
    let key = this.signingKeyFor(options.alg, now);
    if (!key) {
      await this.tick();
      key = this.signingKeyFor(options.alg, this.clock.now());
    }
    if (!key?.signingKey) throw new KeyUnavailableError(`no active signing key for ${options.alg ?? this.options.settings.signatureAlg}`);
    return signCompact({ alg: key.alg, kid: key.kid, ...(options.typ ? { typ: options.typ } : {}) }, payload, key.signingKey);
  }

  /** Algorithms there is an active key for right now. */
  signingAlgorithms(): SignatureAlg[] {
    const now = this.clock.now();
    const algs = new Set<SignatureAlg>();
    for (const family of new Set(this.keys.map((k) => k.family))) {
      const key = currentKey(this.keys.filter((k) => k.family === family), now);
      if (key) algs.add(key.alg);
    }
    return [...algs];
  }

  private signingKeyFor(alg: SignatureAlg | undefined, now: number): LoadedKey | undefined {
    const families: KeyFamily[] = ['primary', 'rs256'];
    for (const family of families) {
      const key = currentKey(this.keys.filter((k) => k.family === family), now);
      if (key && (alg === undefined || key.alg === alg)) return key;
      if (alg === undefined) return key;
    }
    return undefined;
  }

  /**
   * The published key a JWS header names, for jose's `jwtVerify`: by `kid`, and only for the
   * key's own algorithm (RFC 8725 §3.1). No key for headers without a known `kid`.
   */
  readonly getKey = (header: { kid?: unknown; alg?: unknown }): CryptoKey => {
    const key = typeof header.kid === 'string' ? this.keys.find((k) => k.kid === header.kid && keyState(k, this.clock.now()) !== 'expired') : undefined;
    if (!key || header.alg !== key.alg) throw new KeyUnavailableError('the token is not signed by a published key of this provider');
    return key.verifyKey;
  };

  /** Verifies a JWT signed by one of our published keys, then the claims per `options`. */
  verify(token: string, options: JWTVerifyOptions = {}): Promise<JWTVerifyResult> {
    return jwtVerify(token, this.getKey, { currentDate: new Date(this.clock.now()), ...options });
  }

  /** The JWK Set: public members, `kid`, `alg`, `use: sig`; active keys first. */
  jwks(): PublishedJwks {
    this.refreshPublished(this.clock.now());
    return this.published!;
  }

  private refreshPublished(now: number): void {
    if (this.published && now < this.publishedUntil) return;
    const order: Record<string, number> = { active: 0, pending: 1, retired: 2 };
    const visible = this.keys
      .filter((k) => keyState(k, now) !== 'expired')
      .sort((a, b) => order[keyState(a, now)]! - order[keyState(b, now)]! || (a.family === 'primary' ? -1 : 1) - (b.family === 'primary' ? -1 : 1) || b.activatesAt - a.activatesAt);
    const body = JSON.stringify({ keys: visible.map((k) => k.jwk) });
    this.published = {
      body,
      etag: etagOf(body),
      maxAge: Math.floor(this.options.settings.keyPrepublishTime / 2),
      kids: visible.map((k) => k.kid),
    };
    // Rebuilt when a key is due to disappear or to change places.
    this.publishedUntil = Math.min(
      ...this.keys.flatMap((k) => [k.activatesAt, k.retiresAt ?? Infinity, k.deletesAt ?? Infinity]).filter((t) => t > now),
      Infinity,
    );
  }

  /** What `jwt-oidc keys status` shows. */
  status(): FamilyStatus[] {
    const now = this.clock.now();
    const wanted = this.wanted;
    const families = new Set<KeyFamily>([...wanted.keys(), ...this.keys.map((k) => k.family)]);
    return [...families].map((family) => {
      const mine = this.keys.filter((k) => k.family === family && keyState(k, now) !== 'expired');
      const active = currentKey(mine, now);
      const next = mine.filter((k) => keyState(k, now) === 'pending').sort((a, b) => a.activatesAt - b.activatesAt)[0];
      const alg = wanted.get(family) ?? null;
      const nextRotation = next?.activatesAt ?? (active && alg ? active.activatesAt + this.policy.signingPeriod : null);
      return {
        family,
        alg,
        activeKid: active?.kid ?? null,
        nextRotationAt: nextRotation === null ? null : iso(Math.max(nextRotation, now)),
        keys: mine.map((k) => ({
          kid: k.kid,
          alg: k.alg,
          state: keyState(k, now) as Exclude<KeyState, 'expired'>,
          createdAt: iso(k.createdAt),
          activatesAt: iso(k.activatesAt),
          retiresAt: k.retiresAt === null ? null : iso(k.retiresAt),
          deletesAt: k.deletesAt === null ? null : iso(k.deletesAt),
        })),
      };
    });
  }

  /**
   * Starts a rotation of every family now: a successor is pre-published and takes over after
   * KEY_PREPUBLISH_TIME; with `now`, the switch happens at once (for a compromised key).
   */
  async rotate(options: { now?: boolean } = {}): Promise<{ actions: KeyAction[]; status: FamilyStatus[] }> {
    const actions = await this.tick({ rotate: options.now ? 'now' : 'scheduled' });
    return { actions, status: this.status() };
  }

  /** Re-encrypts every private key under the first secret; returns how many changed. */
  async reencrypt(): Promise<number> {
    const encryption = this.options.encryption;
    const count = await this.store.locked(async (keys, em) => {
      let changed = 0;
      for (const key of keys) {
        if (KeyEncryption.secretIdOf(key.privateKey) === encryption.currentSecretId) continue;
        const plain = encryption.decrypt(key.kid, key.privateKey);
        await em.nativeUpdate(SigningKey, { kid: key.kid }, { privateKey: encryption.encrypt(key.kid, plain) });
        changed++;
      }
      return { result: changed, changed: changed > 0 };
    });
    if (count > 0) await this.reload();
    return count;
  }
}

/** Only the public members of a JWK, whatever was stored (docs/SECURITY.md JW-01). */
function publicMembers(jwk: Record<string, string>): Record<string, string> {
  const allowed = ['kty', 'crv', 'x', 'y', 'n', 'e', 'kid', 'alg', 'use'];
  return Object.fromEntries(allowed.filter((m) => jwk[m] !== undefined).map((m) => [m, jwk[m]!]));
}

function describe(action: KeyAction): string {
  switch (action.type) {
    case 'create':
      return `create ${action.family} ${action.alg} key activating at ${iso(action.activatesAt)}`;
    case 'activate':
      return `activate ${action.kid} at ${iso(action.activatesAt)}`;
    case 'retire':
      return `retire ${action.kid} at ${iso(action.retiresAt)} (deleted at ${iso(action.deletesAt)})`;
    case 'delete':
      return `delete ${action.kid}`;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
