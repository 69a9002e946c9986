/** RFC 9449 §4.3: every check of a DPoP proof, each able to fail on its own. */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { accessTokenHash, BearerError, boundKeyThumbprint, checkTokenBinding, dpopFromHeaders, tokenFromAuthorization, memoryDpopReplayCache, verifyDpopProof, type DpopProofOptions } from '@jwt-oidc/resource';

const URL_ = 'https://api.example/graphql';
const NOW = 1_800_000_000_000;
let privateKey: CryptoKey;
let jwk: JWK;
let privateJwk: JWK;
let jkt: string;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey;
  jwk = await exportJWK(pair.publicKey);
  privateJwk = await exportJWK(pair.privateKey);
  jkt = await calculateJwkThumbprint(jwk);
});

let n = 0;
async function proof(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key: CryptoKey = privateKey): Promise<string> {
  return new SignJWT({ jti: `j-${++n}`, htm: 'POST', htu: URL_, iat: NOW / 1000, ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk, ...header })
    .sign(key);
}

function options(extra: Partial<DpopProofOptions> = {}): DpopProofOptions {
  return { method: 'POST', url: URL_, replay: memoryDpopReplayCache({ now: () => NOW }), now: () => NOW, ...extra };
}

async function refusal(p: Promise<unknown>): Promise<BearerError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(BearerError);
  return e as BearerError;
}

describe('verifyDpopProof', () => {
  it('accepts a good proof and names its key by thumbprint', async () => {
    const verified = await verifyDpopProof(await proof(), options());
    expect(verified.jkt).toBe(jkt);
    expect(verified.jwk).toEqual(jwk);
  });

  it('ignores the query and fragment of htu and normalises it', async () => {
    await expect(verifyDpopProof(await proof({ htu: 'HTTPS://API.example:443/graphql' }), options({ url: `${URL_}?x=1#f` }))).resolves.toBeTruthy();
  });

  it.each([
    ['typ', {}, { typ: 'JWT' }, /typ/],
    ['no jwk', {}, { jwk: undefined }, /jwk/],
    ['private jwk', {}, { jwk: undefined, private: true }, /private/],
    ['htm', { htm: 'GET' }, {}, /htm/],
    ['htu', { htu: 'https://api.example/other' }, {}, /htu/],
    ['no jti', { jti: undefined }, {}, /jti/],
    ['iat future', { iat: NOW / 1000 + 6 }, {}, /future/],
    ['iat old', { iat: NOW / 1000 - 66 }, {}, /too old/],
    ['iat string', { iat: String(NOW / 1000) }, {}, /iat/],
  ])('refuses a proof with a bad %s', async (_name, claims, header, message) => {
    const h = { ...header } as Record<string, unknown>;
    if (h.private) {
      delete h.private;
      h.jwk = privateJwk;
    }
    const e = await refusal(verifyDpopProof(await proof(claims, h), options()));
    expect(e.code).toBe('invalid_dpop_proof');
    expect(e.status).toBe(401);
    expect(e.description).toMatch(message);
  });

  it('accepts iat at the edges of the window', async () => {
    await expect(verifyDpopProof(await proof({ iat: NOW / 1000 + 5 }), options())).resolves.toBeTruthy();
    await expect(verifyDpopProof(await proof({ iat: NOW / 1000 - 65 }), options())).resolves.toBeTruthy();
  });

  it('refuses a signature by another key than the jwk', async () => {
    const other = await generateKeyPair('ES256');
    expect((await refusal(verifyDpopProof(await proof({}, {}, other.privateKey), options()))).description).toMatch(/signature/);
  });

  it('refuses none and HMAC', async () => {
    const [h, p] = (await proof()).split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk })).toString('base64url')}.${p}.x`;
    expect((await refusal(verifyDpopProof(none, options()))).description).toMatch(/alg/);
    expect(h).toBeTruthy();
  });

  it('refuses a replayed proof, once spent', async () => {
    const o = options();
    const p = await proof();
    await verifyDpopProof(p, o);
    expect((await refusal(verifyDpopProof(p, o))).description).toMatch(/used before/);
  });

  it('spends a proof once in a burst', async () => {
    const o = options();
    const p = await proof();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => verifyDpopProof(p, o)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('checks ath against the access token and the binding to cnf.jkt', async () => {
    const token = 'header.payload.signature';
    await expect(verifyDpopProof(await proof({ ath: accessTokenHash(token) }), options({ accessToken: token, jkt }))).resolves.toBeTruthy();
    expect((await refusal(verifyDpopProof(await proof({ ath: accessTokenHash('other') }), options({ accessToken: token })))).description).toMatch(/ath/);
    expect((await refusal(verifyDpopProof(await proof(), options({ accessToken: token })))).description).toMatch(/ath/);
    expect((await refusal(verifyDpopProof(await proof({ ath: accessTokenHash(token) }), options({ accessToken: token, jkt: 'another' })))).description).toMatch(/another key/);
  });

  it('asks for a nonce, and a rejected proof is not spent', async () => {
    const o = options({ checkNonce: (nonce) => nonce === 'n1' });
    const p = await proof();
    const e = await refusal(verifyDpopProof(p, o));
    expect(e.code).toBe('use_dpop_nonce');
    expect((await refusal(verifyDpopProof(await proof({ nonce: 'old' }), o))).code).toBe('use_dpop_nonce');
    await expect(verifyDpopProof(await proof({ nonce: 'n1' }), o)).resolves.toMatchObject({ nonce: 'n1' });
  });
});

describe('dpopFromHeaders', () => {
  it('takes one header, refuses several', () => {
    expect(dpopFromHeaders(undefined)).toBeUndefined();
    expect(dpopFromHeaders('a.b.c')).toBe('a.b.c');
    expect(() => dpopFromHeaders(['a.b.c', 'd.e.f'])).toThrow(BearerError);
    expect(() => dpopFromHeaders('a.b.c, d.e.f')).toThrow(BearerError);
  });
});

describe('memoryDpopReplayCache', () => {
  it('forgets a proof after its window, and refuses rather than forgets when full', () => {
    let t = 0;
    const cache = memoryDpopReplayCache({ maxEntries: 2, now: () => t });
    expect(cache.spend('a', 10)).toBe(true);
    expect(cache.spend('a', 10)).toBe(false);
    expect(cache.spend('b', 10)).toBe(true);
    expect(() => cache.spend('c', 10)).toThrow(BearerError);
    t = 10;
    expect(cache.spend('a', 20)).toBe(true);
    expect(cache.spend('c', 20)).toBe(true);
  });
});

describe('token binding (RFC 9449 §7)', () => {
  const claims = (cnf?: unknown) => ({ sub: 'u', ...(cnf === undefined ? {} : { cnf }) });
  const token = 'aaa.bbb.ccc';

  it('reads both schemes', () => {
    expect(tokenFromAuthorization('DPoP abc')).toEqual({ scheme: 'DPoP', token: 'abc' });
    expect(tokenFromAuthorization('bearer abc')).toEqual({ scheme: 'Bearer', token: 'abc' });
    expect(tokenFromAuthorization('Basic abc')).toBeUndefined();
    expect(() => tokenFromAuthorization('DPoP a b')).toThrow(BearerError);
  });

  it('accepts a bound token with its proof, and nothing less', async () => {
    const good = await proof({ ath: accessTokenHash(token) });
    await expect(checkTokenBinding({ scheme: 'DPoP', token }, claims({ jkt }), good, options())).resolves.toMatchObject({ jkt });
    expect((await refusal(checkTokenBinding({ scheme: 'Bearer', token }, claims({ jkt }), await proof({ ath: accessTokenHash(token) }), options()))).description).toMatch(/DPoP scheme/);
    expect((await refusal(checkTokenBinding({ scheme: 'DPoP', token }, claims({ jkt }), undefined, options()))).code).toBe('invalid_dpop_proof');
    const otherJkt = 'A'.repeat(43);
    expect((await refusal(checkTokenBinding({ scheme: 'DPoP', token }, claims({ jkt: otherJkt }), await proof({ ath: accessTokenHash(token) }), options()))).description).toMatch(/another key/);
  });

  it('keeps bearer tokens bearer', async () => {
    await expect(checkTokenBinding({ scheme: 'Bearer', token }, claims(), 'ignored', options())).resolves.toBeUndefined();
    expect((await refusal(checkTokenBinding({ scheme: 'DPoP', token }, claims(), await proof(), options()))).code).toBe('invalid_token');
  });

  it('refuses a cnf it does not understand', () => {
    expect(() => boundKeyThumbprint(claims({ x5t: 'abc' }) as never)).toThrow(BearerError);
    expect(() => boundKeyThumbprint(claims('jkt') as never)).toThrow(BearerError);
  });
});

describe('dpopNonces', () => {
  it('takes the current and the previous window only, and a nonce of any characters is refused, never an error', async () => {
    const { dpopNonces } = await import('@jwt-oidc/resource');
    let t = 1_000_000;
    const nonces = dpopNonces({ secret: 's'.repeat(32), window: 10, now: () => t });
    const first = nonces.current();
    t += 10_000;
    expect(nonces.accepts(first)).toBe(true);
    t += 10_000;
    expect(nonces.accepts(first)).toBe(false);
    // As long in characters as a nonce, longer in bytes: compared by bytes (timingSafeEqual would throw).
    expect(nonces.accepts('é'.repeat(first.length))).toBe(false);
    expect(nonces.accepts('')).toBe(false);
  });
});
