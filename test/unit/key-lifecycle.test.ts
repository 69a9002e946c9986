/** The key lifecycle as pure functions: hours of rotation simulated in memory. */
import { describe, expect, it } from 'vitest';
import {
  currentKey,
  lifecyclePolicy,
  keyState,
  planKeys,
  wantedFamilies,
  type KeyAction,
  type KeyTimeline,
  type LifecyclePolicy,
} from '../../src/keys/lifecycle.js';

const S = 1000;
const policy: LifecyclePolicy = lifecyclePolicy({ jwkExpirationTime: 3600, keyPrepublishTime: 600, jwtIdTokenExpirationTime: 2700, jwtAccessTokenExpirationTime: 600 });
const lead = policy.prepublish + policy.publishMargin;

/** Applies planned actions to an in-memory key list, as the key store does in a transaction. */
function apply(keys: KeyTimeline[], actions: KeyAction[], now: number, seq: { n: number }): KeyTimeline[] {
  let next = [...keys];
  for (const a of actions) {
    if (a.type === 'create') next.push({ kid: `k${seq.n++}`, family: a.family, alg: a.alg, createdAt: now, activatesAt: a.activatesAt, retiresAt: null, deletesAt: null });
    if (a.type === 'activate') next = next.map((k) => (k.kid === a.kid ? { ...k, activatesAt: a.activatesAt } : k));
    if (a.type === 'retire') next = next.map((k) => (k.kid === a.kid ? { ...k, retiresAt: a.retiresAt, deletesAt: a.deletesAt } : k));
    if (a.type === 'delete') next = next.filter((k) => k.kid !== a.kid);
  }
  return next;
}

describe('key lifecycle', () => {
  it('keeps to the schedule: with the timer on time, keys take over every signing period exactly', () => {
    const wanted = wantedFamilies('ES256');
    const t0 = Date.UTC(2026, 0, 1);
    const seq = { n: 0 };
    let keys = apply([], planKeys([], wanted, policy, t0), t0, seq);
    const starts = new Map<string, number>();
    for (let now = t0; now <= t0 + 5 * policy.signingPeriod; now += 1000) {
      keys = apply(keys, planKeys(keys, wanted, policy, now), now, seq);
      for (const k of keys) if (k.family === 'primary') starts.set(k.kid, k.activatesAt - t0);
    }
    expect([...starts.values()].slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5].map((i) => i * policy.signingPeriod));
  });

  it('over 8 hours: one active key per family, each pre-published, kept while its tokens live, then deleted', () => {
    const wanted = wantedFamilies('ES256');
    const start = Date.UTC(2026, 0, 1);
    const seq = { n: 0 };
    let keys: KeyTimeline[] = [];
    const firstPublished = new Map<string, number>();
    const firstSigned = new Map<string, number>();
    const lastSigned = new Map<string, number>();
    const deletedAt = new Map<string, number>();
    const step = 10 * S;
    for (let now = start; now < start + 8 * 3600 * S; now += step) {
      const before = new Set(keys.map((k) => k.kid));
      keys = apply(keys, planKeys(keys, wanted, policy, now), now, seq);
      for (const kid of before) if (!keys.some((k) => k.kid === kid)) deletedAt.set(kid, now);
      for (const k of keys) if (keyState(k, now) !== 'expired' && !firstPublished.has(k.kid)) firstPublished.set(k.kid, now);
      for (const family of wanted.keys()) {
        const mine = keys.filter((k) => k.family === family);
        expect(mine.filter((k) => keyState(k, now) === 'active'), `${family} at +${(now - start) / S}s`).toHaveLength(1);
        const signer = currentKey(mine, now)!;
        expect(signer.alg).toBe(wanted.get(family));
        if (!firstSigned.has(signer.kid)) firstSigned.set(signer.kid, now);
        lastSigned.set(signer.kid, now);
      }
    }
    // 8 hours of hourly rotation: about 8 keys per family.
    expect(firstSigned.size).toBeGreaterThanOrEqual(14);
    for (const [kid, signedAt] of firstSigned) {
      if (signedAt === start) continue; // the very first keys: nothing existed before them
      expect(signedAt - firstPublished.get(kid)!, `${kid} published before it signs`).toBeGreaterThanOrEqual(policy.prepublish);
    }
    for (const [kid, gone] of deletedAt) {
      // Still published while a token it signed may be valid (lifetime + skew after its last use).
      expect(gone - lastSigned.get(kid)!, `${kid} kept after its last signature`).toBeGreaterThanOrEqual(policy.retention);
    }
    expect(deletedAt.size).toBeGreaterThan(6);
  });

  it('switches algorithm through the same path: the new algorithm is pre-published, then signs', () => {
    const t0 = Date.UTC(2026, 0, 1);
    const seq = { n: 0 };
    let keys = apply([], planKeys([], wantedFamilies('ES256'), policy, t0), t0, seq);
    const t1 = t0 + 1000 * S;
    const actions = planKeys(keys, wantedFamilies('EdDSA'), policy, t1);
    expect(actions).toContainEqual({ type: 'create', family: 'primary', alg: 'EdDSA', activatesAt: t1 + lead });
    keys = apply(keys, actions, t1, seq);
    expect(currentKey(keys.filter((k) => k.family === 'primary'), t1 + lead - 1)!.alg).toBe('ES256');
    expect(currentKey(keys.filter((k) => k.family === 'primary'), t1 + lead)!.alg).toBe('EdDSA');
  });

  it('retires the RS256 family when SIGNATURE_ALG becomes RS256, keeping it published for verification', () => {
    const t0 = Date.UTC(2026, 0, 1);
    const seq = { n: 0 };
    const keys = apply([], planKeys([], wantedFamilies('ES256'), policy, t0), t0, seq);
    const rs = keys.find((k) => k.family === 'rs256')!;
    const actions = planKeys(keys, wantedFamilies('RS256'), policy, t0 + 5 * S);
    expect(actions).toContainEqual({ type: 'retire', kid: rs.kid, retiresAt: t0 + 5 * S, deletesAt: t0 + 5 * S + policy.retention });
  });

  it('catches up after downtime without ever signing with an unpublished key', () => {
    const t0 = Date.UTC(2026, 0, 1);
    const seq = { n: 0 };
    let keys = apply([], planKeys([], wantedFamilies('ES256'), policy, t0), t0, seq);
    const late = t0 + 5 * 3600 * S; // the service was down for hours
    keys = apply(keys, planKeys(keys, wantedFamilies('ES256'), policy, late), late, seq);
    const primary = keys.filter((k) => k.family === 'primary');
    expect(currentKey(primary, late)!.kid).toBe('k0'); // the old key keeps signing…
    const successor = primary.find((k) => k.kid !== 'k0')!;
    expect(successor.activatesAt).toBe(late + lead); // …until its successor was published long enough
  });

  it('rotates on request: scheduled pre-publishes, now switches at once (taking a published successor)', () => {
    const t0 = Date.UTC(2026, 0, 1);
    const seq = { n: 0 };
    const wanted = wantedFamilies('RS256');
    let keys = apply([], planKeys([], wanted, policy, t0), t0, seq);
    const t1 = t0 + 60 * S;
    keys = apply(keys, planKeys(keys, wanted, policy, t1, { rotate: 'scheduled' }), t1, seq);
    const pending = keys.find((k) => keyState(k, t1) === 'pending')!;
    expect(pending.activatesAt).toBe(t1 + lead);
    expect(planKeys(keys, wanted, policy, t1 + S, { rotate: 'scheduled' })).toEqual([]); // already under way
    const t2 = t1 + 10 * S;
    keys = apply(keys, planKeys(keys, wanted, policy, t2, { rotate: 'now' }), t2, seq);
    expect(currentKey(keys, t2)!.kid).toBe(pending.kid);
    expect(keys.filter((k) => keyState(k, t2) === 'active')).toHaveLength(1);
  });
});
