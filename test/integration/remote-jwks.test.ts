/**
 * The remote key set of resource servers and relying parties (packages/resource/src/remote-jwks.ts),
 * against a JWKS served on loopback: it follows the provider's Cache-Control so that a key
 * published ahead of a rotation verifies from its first token (the provider's contract, issue
 * "keys": pre-published for KEY_PREPUBLISH_TIME, cacheable for half of it), and it still never
 * turns unknown kids into a stream of fetches (JW-21).
 */
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, errors, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheMaxAge, createRemoteKeySet } from '../../packages/resource/src/remote-jwks.js';
import { ManualClock } from '../../src/clock.js';

interface Key { kid: string; jwk: JWK; privateKey: CryptoKey }
async function newKey(): Promise<Key> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = randomUUID();
  return { kid, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }, privateKey };
}
const sign = (k: Key) => new SignJWT({ sub: 'u' }).setProtectedHeader({ alg: 'ES256', kid: k.kid }).setIssuedAt().setExpirationTime('5m').sign(k.privateKey);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The key sets' clock: the tests move it past a max-age or a cooldown instead of sleeping
 * through it. (A refresh in the background is real I/O: that, the tests still wait for.)
 */
const clock = new ManualClock();
const now = () => clock.now();

let server: Server;
let url: URL;
let keys: JWK[] = [];
let cacheControl: string | undefined = 'public, max-age=1';
let status = 200;
let gets = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    gets++;
    res.writeHead(status, { 'content-type': 'application/jwk-set+json', ...(cacheControl ? { 'cache-control': cacheControl } : {}) });
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  url = new URL(`http://127.0.0.1:${port}/jwks`);
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('Cache-Control max-age', () => {
  it('parses max-age, treats no-store/no-cache as 0 and ignores what it does not know', () => {
    expect(cacheMaxAge('public, max-age=300')).toBe(300_000);
    expect(cacheMaxAge('max-age="5", must-revalidate')).toBe(5000);
    expect(cacheMaxAge('no-store')).toBe(0);
    expect(cacheMaxAge('private')).toBeUndefined();
    expect(cacheMaxAge(null)).toBeUndefined();
    expect(cacheMaxAge('s-maxage=9')).toBeUndefined();
  });
});

describe('a provider rotating its keys', () => {
  it('JW-20: a key published ahead of use verifies from its first token, without a fetch on the request path, although the unknown-kid cooldown has not passed', async () => {
    const [current, next] = await Promise.all([newKey(), newKey()]);
    keys = [current.jwk];
    cacheControl = 'public, max-age=1';
    gets = 0;
    // A cooldown far longer than the test: only the provider's max-age can bring `next` in.
    const getKey = createRemoteKeySet(url, { timeout: 2000, cooldown: 60_000, fetch, now });
    await jwtVerify(await sign(current), getKey);
    expect(gets).toBe(1);

    keys = [current.jwk, next.jwk]; // pre-published
    clock.advance(1100);
    // The set is stale now: this verification uses it and starts a refresh in the background.
    await jwtVerify(await sign(current), getKey);
    await sleep(100);
    expect(gets).toBe(2);
    const before = gets;
    await jwtVerify(await sign(next), getKey);
    expect(gets).toBe(before);
  });

  it('without a max-age the set is kept (default 10 minutes): an unknown kid within the cooldown is refused, once it passed it is fetched once', async () => {
    const [current, next] = await Promise.all([newKey(), newKey()]);
    keys = [current.jwk];
    cacheControl = undefined;
    gets = 0;
    const getKey = createRemoteKeySet(url, { timeout: 2000, cooldown: 800, fetch, now });
    await jwtVerify(await sign(current), getKey);
    keys = [current.jwk, next.jwk];
    await expect(jwtVerify(await sign(next), getKey)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(gets).toBe(1);
    clock.advance(900);
    await jwtVerify(await sign(next), getKey);
    expect(gets).toBe(2);
  });

  it('JW-21: max-age=0 and 300 random kids do not become 300 fetches', async () => {
    const k = await newKey();
    keys = [k.jwk];
    cacheControl = 'no-store';
    gets = 0;
    // The system clock: the bound below counts the seconds of staleness the burst lives through.
    const getKey = createRemoteKeySet(url, { timeout: 2000, cooldown: 30_000, fetch, now: Date.now });
    await jwtVerify(await sign(k), getKey);
    const forged = await Promise.all(Array.from({ length: 300 }, async () => {
      const other = await newKey();
      return new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: other.kid }).sign(other.privateKey);
    }));
    const results = await Promise.allSettled(forged.map((t) => jwtVerify(t, getKey)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    // The first fetch, plus at most one per honoured second of staleness.
    expect(gets).toBeLessThanOrEqual(3);
  });

  it('a failed refresh keeps the set it has: tokens of known keys still verify while the JWKS answers 500', async () => {
    const k = await newKey();
    keys = [k.jwk];
    cacheControl = 'max-age=1';
    status = 200;
    const getKey = createRemoteKeySet(url, { timeout: 2000, cooldown: 500, fetch, now });
    await jwtVerify(await sign(k), getKey);
    status = 500;
    try {
      clock.advance(1100);
      await jwtVerify(await sign(k), getKey);
      await sleep(100);
      await jwtVerify(await sign(k), getKey);
    } finally {
      status = 200;
    }
  });
});
