/**
 * The signature check of packages/resource/src/jws.ts against tokens signed by jose: every algorithm of the
 * allow-list verifies, and every mismatch between token, key and algorithm is refused (JW-01…JW-04
 * rules: the key set decides the key, the algorithm must fit it).
 */
import { generateKeyPairSync } from 'node:crypto';
import { CompactSign, generateKeyPair, type CryptoKey } from 'jose';
import { describe, expect, it } from 'vitest';
import { ASYMMETRIC_ALGORITHMS, JwsInvalid, verifyJwsSignature } from '../../packages/resource/src/jws.js';

const payload = Buffer.from(JSON.stringify({ sub: 'u', iss: 'https://op.example' }));
const sign = (alg: string, key: CryptoKey | import('node:crypto').KeyObject, header: Record<string, unknown> = {}) =>
  new CompactSign(payload).setProtectedHeader({ alg, ...header }).sign(key);
const fixed = (key: unknown) => async () => key as CryptoKey;

describe('verifyJwsSignature', () => {
  for (const alg of ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA']) {
    it(`${alg}: a token jose signed verifies, a changed payload does not`, async () => {
      const { publicKey, privateKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
      const token = await sign(alg, privateKey);
      const { header, payload: claims } = await verifyJwsSignature(token, fixed(publicKey), ASYMMETRIC_ALGORITHMS);
      expect(header.alg).toBe(alg);
      expect(claims.sub).toBe('u');
      const [h, , s] = token.split('.');
      const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'admin' })).toString('base64url')}.${s}`;
      await expect(verifyJwsSignature(forged, fixed(publicKey), ASYMMETRIC_ALGORITHMS)).rejects.toBeInstanceOf(JwsInvalid);
    });
  }

  it('an algorithm outside the allow-list, "none" and HS256 are refused before the key source is asked', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    let asked = 0;
    const getKey = async () => {
      asked++;
      return publicKey;
    };
    await expect(verifyJwsSignature(await sign('ES256', privateKey), getKey, ['RS256'])).rejects.toThrow('not allowed');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload.toString('base64url')}.`;
    await expect(verifyJwsSignature(none, getKey, ASYMMETRIC_ALGORITHMS)).rejects.toThrow('not allowed');
    const hs = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${payload.toString('base64url')}.c2ln`;
    await expect(verifyJwsSignature(hs, getKey, [...ASYMMETRIC_ALGORITHMS, 'HS256'])).rejects.toThrow('not allowed');
    expect(asked).toBe(0);
  });

  it('crit and b64 headers are refused (no extension is implemented)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const crit = await new CompactSign(payload).setProtectedHeader({ alg: 'ES256', crit: ['exp'], exp: 1 }).sign(privateKey).catch(() => undefined);
    const forgedCrit = crit ?? `${Buffer.from('{"alg":"ES256","crit":["x"],"x":1}').toString('base64url')}.${payload.toString('base64url')}.AAAA`;
    await expect(verifyJwsSignature(forgedCrit, fixed(publicKey), ASYMMETRIC_ALGORITHMS)).rejects.toThrow('extensions');
    const b64 = `${Buffer.from('{"alg":"ES256","b64":true}').toString('base64url')}.${payload.toString('base64url')}.AAAA`;
    await expect(verifyJwsSignature(b64, fixed(publicKey), ASYMMETRIC_ALGORITHMS)).rejects.toThrow('extensions');
  });

  it('a key that does not fit the algorithm: another curve, another type, a private key, RSA under 2048 bits', async () => {
    const es256 = await generateKeyPair('ES256');
    const token = await sign('ES256', es256.privateKey);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ed = generateKeyPairSync('ed25519');
    for (const key of [p384.publicKey, rsa.publicKey, ed.publicKey]) {
      await expect(verifyJwsSignature(token, fixed(key), ASYMMETRIC_ALGORITHMS)).rejects.toThrow('does not fit');
    }
    await expect(verifyJwsSignature(token, fixed(p384.privateKey), ASYMMETRIC_ALGORITHMS)).rejects.toThrow('does not fit');
    const short = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const weak = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${payload.toString('base64url')}.AAAA`;
    await expect(verifyJwsSignature(weak, fixed(short.publicKey), ASYMMETRIC_ALGORITHMS)).rejects.toThrow('too short');
    await expect(verifyJwsSignature(token, fixed('not a key'), ASYMMETRIC_ALGORITHMS)).rejects.toBeInstanceOf(JwsInvalid);
  });

  it('an ECDSA signature of the wrong length (DER, truncated, padded) is refused', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const [h, p, s] = (await sign('ES256', privateKey)).split('.') as [string, string, string];
    const raw = Buffer.from(s, 'base64url');
    for (const sig of [raw.subarray(0, 63), Buffer.concat([raw, Buffer.from([0])]), Buffer.alloc(0)]) {
      await expect(verifyJwsSignature(`${h}.${p}.${sig.toString('base64url')}`, fixed(publicKey), ASYMMETRIC_ALGORITHMS)).rejects.toThrow('wrong length');
    }
  });

  it('header or payload that is not a JSON object, or not UTF-8, is refused', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    for (const body of [Buffer.from('[]'), Buffer.from('"x"'), Buffer.from('null'), Buffer.from([0x7b, 0xc3, 0x28, 0x7d])]) {
      const token = await new CompactSign(body).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
      await expect(verifyJwsSignature(token, fixed(publicKey), ASYMMETRIC_ALGORITHMS)).rejects.toBeInstanceOf(JwsInvalid);
    }
  });
});
