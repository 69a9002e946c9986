/**
 * Signing keys on a real PostgreSQL with a test clock: hours of rotation in seconds, two
 * instances on one database, restarts, encryption secrets, every algorithm.
 */
import { createPublicKey } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { SIGNATURE_ALGS, type SignatureAlg } from '../../src/config/definitions.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { SigningKey } from '../../src/db/entities/signing-key.js';
import { KeyEncryption } from '../../src/keys/encryption.js';
import { KeyDecryptionError } from '../../src/keys/errors.js';
import { KeyManager, type KeySettings } from '../../src/keys/key-manager.js';
import { createLogger } from '../../src/log.js';
import { testDatabase } from '../support/database.js';

const logger = createLogger({ level: 'silent' });
const S = 1000;
const SECRET_A = 'a'.repeat(32) + '-first-secret';
const SECRET_B = 'b'.repeat(32) + '-second-secret';
const settings: KeySettings = {
  signatureAlg: 'ES256',
  jwkExpirationTime: 3600,
  keyPrepublishTime: 600,
  jwtIdTokenExpirationTime: 2700,
  jwtAccessTokenExpirationTime: 600,
};

const opened: Database[] = [];
const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const db of opened) await db.close();
  for (const drop of drops) await drop();
});

async function database(): Promise<{ url: string; open: () => Promise<Database> }> {
  const scratch = await testDatabase();
  drops.push(scratch.drop);
  const open = async () => {
    const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '.data', migrateOnStart: true }, logger);
    opened.push(db);
    return db;
  };
  return { url: scratch.url, open };
}

function manager(db: Database, clock: ManualClock, overrides: Partial<KeySettings> = {}, secrets = [SECRET_A], listen = false): KeyManager {
  return new KeyManager({
    orm: db.orm,
    settings: { ...settings, ...overrides },
    encryption: new KeyEncryption(secrets),
    logger,
    clock,
    timer: false,
    listenUrl: listen ? db.url : undefined,
  });
}

const jwksOf = (m: KeyManager) => createLocalJWKSet(JSON.parse(m.jwks().body) as JSONWebKeySet);

async function eventually(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('signing keys over hours (test clock)', () => {
  it('publishes every key before it signs, keeps it while its tokens live, then deletes it', async () => {
    const { open } = await database();
    const db = await open();
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const keys = manager(db, clock);
    await keys.start();
    const start = clock.now();
    const firstPublished = new Map<string, number>();
    const firstSigned = new Map<string, number>();
    const tokens: { token: string; kid: string; exp: number }[] = [];
    const gone = new Map<string, number>();
    const lifetime = settings.jwtIdTokenExpirationTime;

    for (let step = 0; clock.now() < start + 5 * 3600 * S; step++) {
      clock.advance(60 * S);
      await keys.tick();
      const now = clock.now();
      const published = keys.jwks().kids;
      for (const kid of published) if (!firstPublished.has(kid)) firstPublished.set(kid, now);
      for (const kid of firstPublished.keys()) if (!published.includes(kid) && !gone.has(kid)) gone.set(kid, now);

      const token = await keys.sign({ sub: 'alice', iat: Math.floor(now / S), exp: Math.floor(now / S) + lifetime }, { typ: 'JWT' });
      const { kid } = decodeProtectedHeader(token);
      if (!firstSigned.has(kid!)) firstSigned.set(kid!, now);
      tokens.push({ token, kid: kid!, exp: now + lifetime * S });

      // Every token that has not expired verifies against the JWKS served right now.
      const jwks = jwksOf(keys);
      for (const t of tokens.filter((t) => t.exp > now)) {
        await jwtVerify(t.token, jwks, { currentDate: new Date(now) });
      }
      const status = keys.status();
      for (const family of status) expect(family.keys.filter((k) => k.state === 'active'), `${family.family} at step ${step}`).toHaveLength(1);
    }

    expect(firstSigned.size).toBeGreaterThanOrEqual(4);
    for (const [kid, signed] of firstSigned) {
      if (signed === start + 60 * S) continue; // the first key was created at start
      expect(signed - firstPublished.get(kid)!, `key ${kid} published before signing`).toBeGreaterThanOrEqual(600 * S);
    }
    // Deleted only after the last token it signed has expired (plus the clock skew).
    expect(gone.size).toBeGreaterThan(0);
    for (const [kid, at] of gone) {
      const lastExp = Math.max(...tokens.filter((t) => t.kid === kid).map((t) => t.exp));
      expect(at, `key ${kid} unpublished too early`).toBeGreaterThanOrEqual(lastExp + 60 * S);
    }
    const rows = await db.orm.em.fork().find(SigningKey, {});
    expect(rows.map((r) => r.kid).sort()).toEqual([...keys.jwks().kids].sort());
    await keys.stop();
  });
});

describe('two instances on one database', () => {
  it('agree on one active key per family; tokens of either verify against the JWKS of the other', async () => {
    const { open } = await database();
    const [dbA, dbB] = [await open(), await open()];
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const a = manager(dbA, clock, {}, [SECRET_A], true);
    const b = manager(dbB, clock, {}, [SECRET_A], true);
    await Promise.all([a.start(), b.start()]);
    const start = clock.now();
    let rotations = 0;
    while (clock.now() < start + 4 * 3600 * S) {
      clock.advance(120 * S);
      const [ra, rb] = await Promise.all([a.tick(), b.tick()]);
      rotations += ra.length + rb.length;
      // Both see the committed key set (the idle one through LISTEN/NOTIFY).
      const committed = (await dbA.orm.em.fork().find(SigningKey, {})).map((k) => k.kid).sort();
      await eventually(() => JSON.stringify([...a.jwks().kids].sort()) === JSON.stringify(committed) && JSON.stringify([...b.jwks().kids].sort()) === JSON.stringify(committed), 'both instances to see the committed keys');
      const now = clock.now();
      for (const family of ['primary', 'rs256']) {
        const active = (await dbA.orm.em.fork().find(SigningKey, { family })).filter((k) => k.activatesAt.getTime() <= now && (!k.retiresAt || k.retiresAt.getTime() > now));
        expect(active, family).toHaveLength(1);
      }
      const fromA = await a.sign({ sub: 'x', exp: Math.floor(now / S) + 600 });
      const fromB = await b.sign({ sub: 'y', exp: Math.floor(now / S) + 600 }, { alg: 'RS256' });
      await jwtVerify(fromA, jwksOf(b), { currentDate: new Date(now) });
      await jwtVerify(fromB, jwksOf(a), { currentDate: new Date(now) });
      expect(decodeProtectedHeader(fromA).kid).toBe(a.status().find((f) => f.family === 'primary')!.activeKid);
    }
    expect(rotations).toBeGreaterThanOrEqual(8);
    await Promise.all([a.stop(), b.stop()]);
  });
});

describe('restarts and encryption secrets', () => {
  it('keeps the keys across a restart', async () => {
    const { open } = await database();
    const clock = new ManualClock();
    const first = manager(await open(), clock);
    await first.start();
    const before = first.status();
    await first.stop();
    const second = manager(await open(), clock);
    await second.start();
    expect(second.status()).toEqual(before);
    expect(await second.tick()).toEqual([]);
  });

  it('introduces a second secret, re-encrypts, retires the old one; a wrong secret fails clearly', async () => {
    const { open } = await database();
    const db = await open();
    const clock = new ManualClock();
    const original = manager(db, clock, {}, [SECRET_A]);
    await original.start();
    const kids = original.jwks().kids;

    const both = manager(db, clock, {}, [SECRET_B, SECRET_A]);
    await both.start(); // old keys still decrypt with the second entry
    expect(await both.reencrypt()).toBe(kids.length);
    const stored = await db.orm.em.fork().find(SigningKey, {});
    const idB = new KeyEncryption([SECRET_B]).currentSecretId;
    expect(stored.every((k) => KeyEncryption.secretIdOf(k.privateKey) === idB)).toBe(true);
    expect(JSON.stringify(stored)).not.toMatch(/"d":|PRIVATE KEY/); // the private key is never stored in the clear

    const onlyNew = manager(db, clock, {}, [SECRET_B]);
    await onlyNew.start();
    expect(onlyNew.jwks().kids).toEqual(kids);

    const wrong = manager(db, clock, {}, ['c'.repeat(40)]);
    const error = await wrong.start().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(KeyDecryptionError);
    expect((error as Error).message).toMatch(/encrypted with a secret that is not in JWT_OIDC_KEY_ENCRYPTION_SECRET/);
  });

  it('refuses a ciphertext moved to another key (bound to its kid)', () => {
    const enc = new KeyEncryption([SECRET_A]);
    const blob = enc.encrypt('kid-1', Buffer.from('secret key material'));
    expect(enc.decrypt('kid-1', blob).toString()).toBe('secret key material');
    expect(() => enc.decrypt('kid-2', blob)).toThrow(KeyDecryptionError);
    // Flip one character of the ciphertext (always a change, whatever the random bytes were).
    const tampered = blob.replace(/\.([^.]+)\.([^.]+)$/, (_m, ct: string, tag: string) => `.${ct[0] === 'A' ? 'B' : 'A'}${ct.slice(1)}.${tag}`);
    expect(tampered).not.toBe(blob);
    expect(() => enc.decrypt('kid-1', tampered)).toThrow(KeyDecryptionError);
  });
});

describe('algorithms', () => {
  const expectedKey: Record<string, { kty: string; crv?: string; bits?: number }> = {
    ES256: { kty: 'EC', crv: 'P-256' },
    ES384: { kty: 'EC', crv: 'P-384' },
    ES512: { kty: 'EC', crv: 'P-521' },
    RS256: { kty: 'RSA', bits: 2048 },
    RS384: { kty: 'RSA', bits: 3072 },
    RS512: { kty: 'RSA', bits: 4096 },
    PS256: { kty: 'RSA', bits: 2048 },
    PS384: { kty: 'RSA', bits: 3072 },
    PS512: { kty: 'RSA', bits: 4096 },
    EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  };
  let db: Database;
  beforeAll(async () => {
    db = await (await database()).open();
  });

  it.each(SIGNATURE_ALGS.map((alg) => [alg]))('%s: signs tokens that jose verifies with the published key (JW-01: public members only)', async (alg: SignatureAlg) => {
    await db.orm.em.fork().nativeDelete(SigningKey, {});
    const clock = new ManualClock();
    const keys = manager(db, clock, { signatureAlg: alg });
    await keys.start();
    const token = await keys.sign({ sub: 'alice', aud: 'api', exp: Math.floor(clock.now() / S) + 60 }, { typ: 'at+jwt' });
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg, typ: 'at+jwt' });
    const { payload } = await jwtVerify(token, jwksOf(keys), { currentDate: new Date(clock.now()), algorithms: [alg], typ: 'at+jwt', audience: 'api' });
    expect(payload.sub).toBe('alice');
    // RS256 is always available for ID tokens (OIDC Discovery §3).
    const rs = await keys.sign({ sub: 'alice' }, { alg: 'RS256' });
    expect(decodeProtectedHeader(rs).alg).toBe('RS256');

    const { keys: published } = JSON.parse(keys.jwks().body) as { keys: Record<string, string>[] };
    expect(new Set(published.map((k) => k.kid)).size).toBe(published.length);
    for (const jwk of published) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']) expect(jwk, member).not.toHaveProperty(member);
      expect(jwk.use).toBe('sig');
      expect(SIGNATURE_ALGS).toContain(jwk.alg);
    }
    const mine = published.find((k) => k.kid === header.kid)!;
    expect(mine.alg).toBe(alg);
    expect(mine.kty).toBe(expectedKey[alg]!.kty);
    if (expectedKey[alg]!.crv) expect(mine.crv).toBe(expectedKey[alg]!.crv);
    if (expectedKey[alg]!.bits) expect(createPublicKey({ key: mine, format: 'jwk' }).asymmetricKeyDetails?.modulusLength).toBe(expectedKey[alg]!.bits);
    // A token re-labelled with another algorithm does not verify (the key's own alg only).
    const [h, p, sig] = token.split('.');
    const relabelled = `${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(h!, 'base64url').toString()), alg: 'HS256' })).toString('base64url')}.${p}.${sig}`;
    await expect(keys.verify(relabelled)).rejects.toThrow();
    await keys.stop();
  });
});
