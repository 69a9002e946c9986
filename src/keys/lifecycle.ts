/**
 * The signing-key lifecycle as pure functions of the keys, the settings and the time, so that it
 * can be checked hour by hour with a test clock and every instance decides alike.
 *
 *   pending (published, not signing) → active (signing) → retired (published, verifying) → gone
 *
 * A successor is created KEY_PREPUBLISH_TIME before its predecessor has signed for
 * JWK_EXPIRATION_TIME, and becomes active exactly then; the predecessor stays published until
 * every token it may have signed has expired (the longest token lifetime plus clock skew).
 */
import type { SignatureAlg } from '../config/definitions.js';

export type KeyFamily = 'primary' | 'rs256';
export type KeyState = 'pending' | 'active' | 'retired' | 'expired';

/** What the lifecycle needs to know about a key; times in ms since the epoch. */
export interface KeyTimeline {
  kid: string;
  family: KeyFamily;
  alg: SignatureAlg;
  createdAt: number;
  activatesAt: number;
  retiresAt: number | null;
  deletesAt: number | null;
}

export interface LifecyclePolicy {
  /** JWK_EXPIRATION_TIME in ms: how long a key signs. */
  signingPeriod: number;
  /** KEY_PREPUBLISH_TIME in ms. */
  prepublish: number;
  /** How long a retired key stays published: longest token lifetime + clock skew, in ms. */
  retention: number;
  /**
   * Allowance for publication itself (commit, NOTIFY, reload) on top of `prepublish`: a new key
   * is planned this much earlier, so that it is visible everywhere a full `prepublish` before it
   * signs, without shifting the rotation schedule.
   */
  publishMargin: number;
}

export function lifecyclePolicy(s: { jwkExpirationTime: number; keyPrepublishTime: number; jwtIdTokenExpirationTime: number; jwtAccessTokenExpirationTime: number }): LifecyclePolicy {
  const prepublish = s.keyPrepublishTime * 1000;
  return {
    signingPeriod: s.jwkExpirationTime * 1000,
    prepublish,
    retention: Math.max(s.jwtIdTokenExpirationTime, s.jwtAccessTokenExpirationTime) * 1000 + CLOCK_SKEW_MS,
    publishMargin: Math.min(1000, prepublish / 5),
  };
}

/** Clock skew tolerated by verifiers, added to the retention of retired keys. */
export const CLOCK_SKEW_MS = 60_000;

export function keyState(key: KeyTimeline, now: number): KeyState {
  if (now < key.activatesAt) return 'pending';
  if (key.retiresAt === null || now < key.retiresAt) return 'active';
  if (key.deletesAt === null || now < key.deletesAt) return 'retired';
  return 'expired';
}

/** Families to maintain and their algorithms: OIDC Discovery §3 requires RS256 to be available. */
export function wantedFamilies(signatureAlg: SignatureAlg): Map<KeyFamily, SignatureAlg> {
  const wanted = new Map<KeyFamily, SignatureAlg>([['primary', signatureAlg]]);
  if (signatureAlg !== 'RS256') wanted.set('rs256', 'RS256');
  return wanted;
}

export type KeyAction =
  | { type: 'create'; family: KeyFamily; alg: SignatureAlg; activatesAt: number }
  | { type: 'activate'; kid: string; activatesAt: number }
  | { type: 'retire'; kid: string; retiresAt: number; deletesAt: number }
  | { type: 'delete'; kid: string };

export interface PlanOptions {
  /** A rotation asked for by an operator: start one now even if none is due. */
  rotate?: 'scheduled' | 'now';
}

/** The actions that bring the keys to where the policy wants them at `now`. */
export function planKeys(
  keys: readonly KeyTimeline[],
  wanted: Map<KeyFamily, SignatureAlg>,
  policy: LifecyclePolicy,
  now: number,
  options: PlanOptions = {},
): KeyAction[] {
  const actions: KeyAction[] = [];
  for (const key of keys) if (keyState(key, now) === 'expired') actions.push({ type: 'delete', kid: key.kid });

  const families = new Set<KeyFamily>([...wanted.keys(), ...keys.map((k) => k.family)]);
  for (const family of families) {
    const mine = keys.filter((k) => k.family === family && keyState(k, now) !== 'expired');
    const active = currentKey(mine, now);
    const pending = mine.filter((k) => keyState(k, now) === 'pending');
    const alg = wanted.get(family);
    const retire = (kid: string, at: number): KeyAction => ({ type: 'retire', kid, retiresAt: at, deletesAt: at + policy.retention });

    if (alg === undefined) {
      // No longer needed (SIGNATURE_ALG became RS256): stop signing, keep verifying.
      if (active) actions.push(retire(active.kid, now));
      for (const p of pending) actions.push({ type: 'delete', kid: p.kid });
      continue;
    }

    // A pending key with the wrong algorithm never signed anything: replace it.
    const usable = pending.filter((p) => p.alg === alg);
    for (const p of pending) if (p.alg !== alg) actions.push({ type: 'delete', kid: p.kid });
    const next = usable.sort((a, b) => a.activatesAt - b.activatesAt)[0];

    if (!active) {
      if (next) continue; // its time will come
      actions.push({ type: 'create', family, alg, activatesAt: now }); // first key: nothing to pre-publish for
      continue;
    }

    if (options.rotate === 'now') {
      // Emergency (a compromised key): switch now. An already published successor takes over;
      // otherwise a new key signs at once, before verifiers could have fetched it.
      if (next) actions.push({ type: 'activate', kid: next.kid, activatesAt: now });
      else actions.push({ type: 'create', family, alg, activatesAt: now });
      actions.push(retire(active.kid, now));
      continue;
    }
    if (next) {
      if (active.retiresAt !== next.activatesAt) actions.push(retire(active.kid, next.activatesAt));
      continue;
    }
    const lead = policy.prepublish + policy.publishMargin;
    const immediate = active.alg !== alg || options.rotate === 'scheduled';
    const dueAt = immediate ? now : active.activatesAt + policy.signingPeriod - lead;
    if (now < dueAt) continue;
    const activatesAt = immediate ? now + lead : Math.max(now + lead, active.activatesAt + policy.signingPeriod);
    actions.push({ type: 'create', family, alg, activatesAt });
    actions.push(retire(active.kid, activatesAt));
  }
  return actions;
}

/** The key that signs at `now`: the latest to have activated and not yet retired. */
export function currentKey<K extends KeyTimeline>(keys: readonly K[], now: number): K | undefined {
  let best: K | undefined;
  for (const k of keys) {
    if (keyState(k, now) !== 'active') continue;
    if (!best || k.activatesAt > best.activatesAt) best = k;
  }
  return best;
}

/**
 * The next instant at which something must be done or the published set changes: a successor
 * due, a key activating, a key to delete.
 */
export function nextEventAt(keys: readonly KeyTimeline[], wanted: Map<KeyFamily, SignatureAlg>, policy: LifecyclePolicy, now: number): number {
  let next = Number.POSITIVE_INFINITY;
  for (const k of keys) {
    for (const t of [k.activatesAt, k.retiresAt, k.deletesAt]) if (t !== null && t > now) next = Math.min(next, t);
  }
  for (const [family] of wanted) {
    const mine = keys.filter((k) => k.family === family);
    const active = currentKey(mine, now);
    const hasPending = mine.some((k) => keyState(k, now) === 'pending');
    if (active && !hasPending) next = Math.min(next, Math.max(now, active.activatesAt + policy.signingPeriod - policy.prepublish - policy.publishMargin));
    if (!active && !hasPending) next = now;
  }
  return next;
}
