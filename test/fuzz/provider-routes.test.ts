/**
 * Fuzzing every route of the provider: discovery and JWKS with any method, query and conditional
 * request; every route with odd methods, paths, queries, headers and bodies; and raw bytes on the
 * socket (request lines, headers and bodies fetch would not send). Every response passes the
 * properties of support/checker.ts, and a rejection leaves the database alone
 * (support/database.ts).
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { FuzzProvider } from './fixtures.js';
import { useFuzzProvider } from './provider-harness.js';
import { bodyKind } from './support/bodies.js';
import { assertResponse } from './support/checker.js';
import { headerPlan } from './support/headers.js';
import { parseHeaders, rawExchange, record } from './support/http.js';
import { mutate, variations } from './support/mutators.js';
import { fuzzParams, timeoutFor } from './support/settings.js';
import { junk, type Entry } from './support/values.js';

let fx: FuzzProvider;
let issuer: string;
const { build, check } = useFuzzProvider('provider (every route, raw socket): statuses per endpoint', (started) => {
  fx = started;
  issuer = started.p.issuer;
  // Every page of the service: registration's too (off by default).
}, { JWT_OIDC_REGISTRATION: 'open' });

// ------------------------------------------------------------------------------------------------

describe('discovery and JWKS', () => {
  it('answer any method, query, header and conditional request without a 5xx or a leak', { timeout: timeoutFor(60) }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          path: fc.constantFrom('/.well-known/openid-configuration', '/jwks', '/.well-known/openid-configuration/', '/jwks/', '/.well-known/openid-configuration/x', '/.well-known/%6Fpenid-configuration', '/JWKS', '/.well-known/'),
          method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST', 'OPTIONS', 'PUT', 'DELETE', 'PATCH'),
          query: fc.array(fc.tuple(junk, junk), { maxLength: 3 }),
          ifNoneMatch: fc.option(fc.oneof(junk, fc.constantFrom('*', 'W/"x"', '"x", W/"y"', ',,,', 'W/', '"'.repeat(100))), { nil: undefined }),
          preflight: fc.option(junk, { nil: undefined, freq: 3 }),
          plan: headerPlan,
          kind: bodyKind,
          seed: fc.nat(),
        }),
        async (c) => {
          const headers: Record<string, string | undefined> = { 'if-none-match': c.ifNoneMatch, 'access-control-request-method': c.preflight };
          const req = build({ method: c.method, path: c.path, query: c.query as Entry[], body: c.method === 'GET' || c.method === 'HEAD' ? undefined : [['x', 'y']], kind: c.kind, seed: c.seed, headers, plan: c.plan });
          await check(req);
        },
      ),
      fuzzParams(60),
    );
  });
});

// ------------------------------------------------------------------------------------------------

const PATHS = [
  '/',
  '/authorize',
  '/authorize/',
  '/token',
  '/token/x',
  '/userinfo',
  '/revoke',
  '/introspect',
  '/par',
  '/par/x',
  '/device',
  '/device/authorization',
  '/device/confirm',
  '/device/x',
  '/session/end',
  '/session/end/confirm',
  '/interaction/',
  '/interaction/x',
  '/interaction/x/login',
  '/interaction/%zz/consent',
  '/interaction/..%2f..%2ftoken/login',
  '/interaction/x/reset/x',
  '/account/password-reset',
  '/account/password-reset/x',
  '/account/password-reset/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  '/interaction/x/verify/x',
  '/interaction/x/mfa/passkey',
  '/interaction/x/enrol/passkey',
  '/interaction/x/passkey',
  '/webauthn/passkey.js',
  '/webauthn/simplewebauthn-browser.js',
  '/account/register',
  '/account/verify',
  '/account/verify/x',
  '/account/verify/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  '/admin',
  '/admin/users/x',
  '/admin/assets/x.js',
  '/.well-known/openid-configuration',
  '/.well-known/oauth-authorization-server',
  '/jwks',
  '/graphql',
  '/healthz',
  '/readyz',
  '/%',
  '/%00',
  '/..%2f',
  '/%2e%2e/token',
  '/favicon.ico',
  '//token',
  '/token;x',
  '/authorize%0d%0aSet-Cookie:x=1',
];

describe('every route', () => {
  it('odd methods, paths, queries, headers and bodies: no 5xx, no leak, ∅DB on rejection', { timeout: timeoutFor(150) }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          path: fc.constantFrom(...PATHS),
          method: fc.constantFrom('GET', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'PROPFIND', 'SEARCH'),
          query: fc.array(fc.tuple(fc.oneof(junk, fc.constantFrom('client_id', 'access_token', 'uid', 'query', 'redirect_uri')), junk), { maxLength: 4 }),
          rawQuery: fc.option(fc.constantFrom('%', '%%', '&&&', '=', '==a', 'a=%FF%FE', 'a[b]=1&a[c]=2', 'a=1&a=2&a=3', '__proto__[x]=1', 'constructor[prototype][x]=1', `${'a=1&'.repeat(2000)}`), { nil: undefined, freq: 4 }),
          ...variations(3),
        }),
        async (c) => {
          const body = mutate([['client_id', fx.clients.conf.id], ['token', 'x']], c.ops, [...fx.ids, ...fx.uris]);
          const req = build({ method: c.method, path: c.path, query: c.query as Entry[], rawQuery: c.rawQuery, body: c.method === 'GET' || c.method === 'HEAD' ? undefined : body, kind: c.kind, seed: c.seed, plan: c.plan });
          await check(req);
        },
      ),
      fuzzParams(150),
    );
  });

  it('raw bytes on the socket: request lines, headers and bodies fetch would not send: no 5xx, no leak', { timeout: timeoutFor(60) }, async () => {
    const port = Number(new URL(issuer).port);
    const METHODS = ['GET', 'POST', 'TRACE', 'CONNECT', 'TRACK', 'get', 'G\u00e9T', 'POST POST', '', 'M-SEARCH', 'PRI'];
    const VERSIONS = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.1 x', '', 'http/1.1'];
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          method: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('GET', 'POST') }, fc.constantFrom(...METHODS)),
          path: fc.oneof(fc.constantFrom(...PATHS), fc.constantFrom('*', 'http://evil.example/token', '/token?%', '/\u00ff', '/a b', '/token#x', 'token')),
          pathBytes: fc.option(fc.uint8Array({ maxLength: 12 }), { nil: undefined, freq: 6 }),
          version: fc.oneof({ weight: 8, arbitrary: fc.constant('HTTP/1.1') }, fc.constantFrom(...VERSIONS)),
          headers: fc.array(
            fc.oneof(
              fc.constantFrom(
                'Content-Length: 5',
                'Content-Length: -1',
                'Content-Length: 5\r\nContent-Length: 6',
                'Transfer-Encoding: chunked',
                'Transfer-Encoding: gzip, chunked',
                'Transfer-Encoding: chunked\r\nContent-Length: 3',
                'Content-Type: application/x-www-form-urlencoded',
                'Content-Type: application/json',
                'Content-Type: application/x-www-form-urlencoded; charset=utf-7',
                'Content-Encoding: gzip',
                'Expect: 100-continue',
                'Host:',
                'Host: evil.example',
                'Host: a\r\nHost: b',
                ' folded: header',
                'X: \u00ff\u00fe',
                'Cookie: \u00ff=\u00ff',
                'Authorization: Basic \u00ff',
                'X-Null: a\u0000b',
                'Bad Header: x',
                ': empty',
                `X-Big: ${'a'.repeat(20_000)}`,
                'Connection: upgrade\r\nUpgrade: websocket',
              ),
              fc.tuple(fc.stringMatching(/^[!-9;-~]{1,12}$/), fc.string({ unit: 'binary-ascii', maxLength: 20 })).map(([k, v]) => `${k}: ${v.replace(/[\r\n]/g, '')}`),
            ),
            { maxLength: 3 },
          ).chain((h) => fc.oneof({ weight: 2, arbitrary: fc.constant<string[]>([]) }, fc.constant(h))),
          body: fc.oneof(fc.constantFrom('', 'grant_type=authorization_code', '5\r\nhello\r\n0\r\n\r\n', 'zz\r\nxx\r\n', '{"a":', 'x'.repeat(1000)), fc.string({ unit: 'binary', maxLength: 60 })),
        }),
        async (c) => {
          const path = c.pathBytes ? Buffer.concat([Buffer.from(c.path, 'latin1'), Buffer.from(c.pathBytes)]) : Buffer.from(c.path, 'latin1');
          const body = Buffer.from(c.body, 'utf8');
          // A length unless the case frames the body itself (or means to get it wrong).
          const framed = c.headers.some((h) => /^(content-length|transfer-encoding):/im.test(h));
          const lines = [`Host: localhost`, ...c.headers, ...(framed || body.length === 0 ? [] : [`Content-Length: ${body.length}`, 'Content-Type: application/x-www-form-urlencoded']), 'Connection: close'];
          const head = Buffer.from(` ${c.version}\r\n${lines.map((h) => `${h}\r\n`).join('')}\r\n`, 'latin1');
          const request = Buffer.concat([Buffer.from(c.method, 'latin1'), Buffer.from(' '), path, head, body]);
          const res = await rawExchange(port, request);
          record({ method: `RAW ${c.method}`, url: `${issuer}/raw` }, res?.status ?? 0);
          if (!res) return; // the server closed the connection: fine
          assertResponse({ status: res.status, headers: parseHeaders(res.headers), body: res.body, url: `${issuer}/` }, fx.policyFor(request.toString('latin1')), { raw: request.toString('latin1').slice(0, 2000) });
        },
      ),
      fuzzParams(60),
    );
  });
});
