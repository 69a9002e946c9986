/**
 * The contract of the device store (src/provider/stores/device-store.ts) against a real
 * PostgreSQL: user codes and their comparison, lifetimes at their boundary with the injected
 * clock, slow_down under the row lock, and every decision under a parallel burst (one winner).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { formatUserCode, normalizeUserCode, USER_CODE_ALPHABET } from '../../src/provider/stores/device-store.js';
import { startProvider, type TestProvider } from '../support/provider.js';

const clock = new ManualClock(Date.parse('2026-12-04T10:00:00Z'));
let p: TestProvider;
let clientId: string;
beforeAll(async () => {
  p = await startProvider({}, { clock });
  clientId = (await p.createClient({ name: 'TV', public: true, redirectUris: [], responseTypes: [], grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'] })).clientId;
});
afterAll(() => p?.close());

const burst = <T>(n: number, job: () => Promise<T>) => Promise.all(Array.from({ length: n }, job));
const create = () => p.provider!.devices.create({ clientId, scope: 'openid', resources: null, ttlSeconds: 600, interval: 5 });

describe('user codes (RFC 8628 §6.1)', () => {
  it('are 8 letters of an alphabet without vowels or look-alikes, compared without case, spaces or dash', async () => {
    expect(USER_CODE_ALPHABET).not.toMatch(/[AEIOUY01]/);
    const { userCode } = await create();
    expect(userCode).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
    expect(formatUserCode(userCode)).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(normalizeUserCode(` ${formatUserCode(userCode).toLowerCase()} `)).toBe(userCode);
    expect(normalizeUserCode('BCDF-GHJ')).toBeUndefined();
    expect(normalizeUserCode('ABCD-EFGH')).toBeUndefined();
    expect(normalizeUserCode('BCDF-GHJKL')).toBeUndefined();
  });

  it('find a pending request until its expiry, not at it', async () => {
    const store = p.provider!.devices;
    const { userCode } = await create();
    clock.advance(600_000 - 1);
    expect(await store.findPendingByUserCode(userCode)).toBeDefined();
    clock.advance(1);
    expect(await store.findPendingByUserCode(userCode)).toBeUndefined();
  });
});

describe('decisions and polls', () => {
  it('of parallel approvals and denials exactly one decides', async () => {
    const store = p.provider!.devices;
    const { deviceHash } = await create();
    const user = await p.createUser();
    const results = await burst(10, async () => (Math.random() < 0.5 ? store.deny(deviceHash) : store.approve(deviceHash, { userId: user.id, grantId: crypto.randomUUID(), codeHash: 'x'.repeat(43) })));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('a burst of polls: the first is pending, the others slow down, and the interval grows by 5 s for each', async () => {
    const store = p.provider!.devices;
    const { deviceCode } = await create();
    const polls = await burst(5, () => store.poll(deviceCode));
    expect(polls.filter((r) => r && !r.slowDown)).toHaveLength(1);
    expect(Math.max(...polls.map((r) => r!.interval))).toBe(5 + 4 * 5);
    expect(await store.poll('unknown')).toBeUndefined();
  });
});
