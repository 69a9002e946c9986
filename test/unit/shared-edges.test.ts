/**
 * The decisions every edge shares, each made in one place: the access token in the URL
 * (docs/SECURITY.md BR-05), the table of JWS algorithms that signer and verifiers derive from,
 * and the answer while the database cannot be reached (HTTP and GraphQL).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { BearerError } from '../../packages/resource/src/errors.js';
import { bearerFromRequest, tokenInQuery } from '../../packages/resource/src/bearer.js';
import { ASYMMETRIC_ALGORITHMS, JWS_ALGORITHMS, verifyJwsSignature } from '../../packages/resource/src/jws.js';
import { SIGNATURE_ALGS } from '../../src/config/definitions.js';
import { ALGORITHMS } from '../../src/keys/algorithms.js';
import { signCompact } from '../../src/keys/jws.js';
import { databaseUnavailable } from '../../src/provider/unavailable.js';
import { renderPage } from '../../src/interaction/views/render.js';
import { PAGE_CSP } from '../../src/interaction/views/layout.js';
import { errorHandler } from '../../src/http/errors.js';
import { maskError, serviceUnavailable } from '../../src/graphql/errors.js';

const URL_REFUSAL = 'send the access token in the Authorization header, never in the URL';

describe('the access token in the URL (RFC 6750 §2.3, §5.3)', () => {
  it('tokenInQuery: the access_token parameter present at all, however the query was parsed', () => {
    for (const query of [{ access_token: 'x' }, { access_token: '' }, { access_token: ['a', 'b'] }, new URLSearchParams('access_token='), '?access_token=x', 'a=1&access_token', '?access%5Ftoken=x', 'access_token']) {
      expect(tokenInQuery(query), String(query)).toBe(true);
    }
    for (const query of [{}, { token: 'x', access_tokens: 'x' }, Object.create({ access_token: 'inherited' }) as Record<string, unknown>, new URLSearchParams('x=access_token'), '', '?', '?xaccess_token=1', undefined, null]) {
      expect(tokenInQuery(query), String(query)).toBe(false);
    }
  });

  it('bearerFromRequest: the Authorization header only; a token in the URL is 400 invalid_request, even beside a good header', () => {
    expect(bearerFromRequest('Bearer abc.def', {})).toBe('abc.def');
    expect(bearerFromRequest(undefined, '?a=1')).toBeUndefined();
    expect(bearerFromRequest('Basic dXNlcjpwYXNz', undefined)).toBeUndefined();
    for (const [authorization, query] of [
      [undefined, { access_token: 'abc' }],
      ['Bearer abc.def', '?access_token=abc.def'],
      ['Bearer abc.def', new URLSearchParams('access_token=')],
    ] as const) {
      let thrown: unknown;
      try {
        bearerFromRequest(authorization, query);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(BearerError);
      const e = thrown as BearerError;
      expect([e.code, e.status, e.description]).toEqual(['invalid_request', 400, URL_REFUSAL]);
      expect(e.challenge('api')).toBe(`Bearer realm="api", error="invalid_request", error_description="${URL_REFUSAL}"`);
    }
    // A malformed header is still its own refusal.
    expect(() => bearerFromRequest('Bearer a b', {})).toThrow('the Authorization header is malformed');
  });
});

describe('one table of JWS algorithms (RFC 7518 §3, RFC 8037 §3.1)', () => {
  const TEN = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'];

  it('resource servers accept the ten asymmetric algorithms; the provider may sign with each of them', () => {
    expect([...ASYMMETRIC_ALGORITHMS]).toEqual(TEN);
    expect(Object.keys(JWS_ALGORITHMS)).toEqual(TEN);
    expect(SIGNATURE_ALGS).toBe(ASYMMETRIC_ALGORITHMS);
    expect(Object.keys(ALGORITHMS)).toEqual(TEN);
  });

  it('the signing recipes derived from the table: curves, RSA sizes by hash, PSS salts as long as the hash', () => {
    const pss = (saltLength: number) => ({ padding: 6, saltLength });
    expect(ALGORITHMS).toEqual({
      ES256: { keyType: 'ec', keyOptions: { namedCurve: 'prime256v1' }, hash: 'sha256', signOptions: { dsaEncoding: 'ieee-p1363' } },
      ES384: { keyType: 'ec', keyOptions: { namedCurve: 'secp384r1' }, hash: 'sha384', signOptions: { dsaEncoding: 'ieee-p1363' } },
      ES512: { keyType: 'ec', keyOptions: { namedCurve: 'secp521r1' }, hash: 'sha512', signOptions: { dsaEncoding: 'ieee-p1363' } },
      RS256: { keyType: 'rsa', keyOptions: { modulusLength: 2048 }, hash: 'sha256', signOptions: {} },
      RS384: { keyType: 'rsa', keyOptions: { modulusLength: 3072 }, hash: 'sha384', signOptions: {} },
      RS512: { keyType: 'rsa', keyOptions: { modulusLength: 4096 }, hash: 'sha512', signOptions: {} },
      PS256: { keyType: 'rsa', keyOptions: { modulusLength: 2048 }, hash: 'sha256', signOptions: pss(32) },
      PS384: { keyType: 'rsa', keyOptions: { modulusLength: 3072 }, hash: 'sha384', signOptions: pss(48) },
      PS512: { keyType: 'rsa', keyOptions: { modulusLength: 4096 }, hash: 'sha512', signOptions: pss(64) },
      EdDSA: { keyType: 'ed25519', keyOptions: {}, hash: null, signOptions: {} },
    });
    // The OpenSSL curve names are the JOSE curves of RFC 7518 §6.2.1.1.
    for (const [alg, crv] of [['ES256', 'P-256'], ['ES384', 'P-384'], ['ES512', 'P-521']] as const) {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: ALGORITHMS[alg].keyOptions.namedCurve! });
      expect(publicKey.export({ format: 'jwk' }).crv, alg).toBe(crv);
    }
  });

  it.each(SIGNATURE_ALGS)('%s: what the provider signs, the resource verifier accepts', async (alg) => {
    const spec = ALGORITHMS[alg];
    const { publicKey, privateKey } = (generateKeyPairSync as (type: string, options: object) => { publicKey: KeyObject; privateKey: KeyObject })(spec.keyType, spec.keyOptions);
    const token = signCompact({ alg, kid: 'k' }, { sub: 'u' }, privateKey);
    const { header, payload } = await verifyJwsSignature(token, async () => publicKey, ASYMMETRIC_ALGORITHMS);
    expect([header.alg, payload.sub]).toEqual([alg, 'u']);
  });
});

describe('the database cannot be reached: one answer per edge', () => {
  it('HTTP, for API clients: 503, Retry-After, no-store, temporarily_unavailable', () => {
    expect(databaseUnavailable('json')).toEqual({
      status: 503,
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', Pragma: 'no-cache', 'Retry-After': '5' },
      body: JSON.stringify({ error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable; try again shortly.' }),
    });
  });

  it('HTTP, for browsers: a 503 page with Retry-After under the pages\' own policy', () => {
    const page = databaseUnavailable('page');
    expect(page.status).toBe(503);
    expect(page.headers).toEqual({ 'Content-Type': 'text/html; charset=utf-8', 'X-Frame-Options': 'DENY', 'Cache-Control': 'no-store', Pragma: 'no-cache', 'Retry-After': '5' });
    // The core says what to show; the edge draws it, with the pages' policy.
    expect(page.page).toEqual({ view: 'error', title: 'Temporarily unavailable', message: 'The sign-in service is briefly unavailable. Please try again in a few seconds.' });
    const drawn = renderPage(page.page!);
    expect(drawn.csp).toBe(PAGE_CSP);
    expect(drawn.html).toContain('<h1>Temporarily unavailable</h1>');
  });

  it('the Express error handler answers a lost connection with the same JSON 503', () => {
    const sent: { status?: number; headers: Record<string, unknown>; body?: string } = { headers: {} };
    const res = {
      headersSent: false,
      status(code: number) {
        sent.status = code;
        return this;
      },
      setHeader(name: string, value: unknown) {
        sent.headers[name] = value;
        return this;
      },
      end(body?: Buffer) {
        sent.body = body?.toString('utf8');
      },
    };
    const expected = databaseUnavailable('json');
    errorHandler(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), { log: { warn() {} } } as unknown as Request, res as unknown as Response, (() => undefined) as NextFunction);
    expect(sent).toEqual({ status: 503, headers: { ...expected.headers, 'Content-Length': Buffer.byteLength(expected.body!) }, body: expected.body });
  });

  it('GraphQL: SERVICE_UNAVAILABLE with retryAfter, HTTP 503 with Retry-After', () => {
    const error = serviceUnavailable();
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error.message).toBe('The service is temporarily unavailable; try again shortly.');
    expect(error.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryAfter: 5, http: { status: 503, headers: new Map([['retry-after', '5']]) } });
    const client = { message: error.message, locations: undefined, path: ['me'], extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: 5 } };
    // A driver error of a resolver, and an unreachable upstream issuer (its own message): the same answer.
    const lost = Object.assign(new Error('Connection terminated unexpectedly'), { code: '57P01' });
    expect(maskError({ message: lost.message, path: ['me'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }, new GraphQLError(lost.message, { originalError: lost, path: ['me'] }))).toEqual(client);
    expect(maskError({ message: 'the token issuer cannot be reached', path: ['me'], extensions: { code: 'SERVICE_UNAVAILABLE' } }, new GraphQLError('x'))).toEqual(client);
  });
});
