/**
 * The fuzz properties can fail: the response checker flags fabricated 5xx answers, stack traces,
 * SQL, foreign redirects and auto-submitting forms, and the ∅DB diff sees a changed row. Also
 * that the JWT mutator marks forgeries as such. No server needed.
 */
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allowedTarget, problemsOf, type Observed, type Policy } from './support/checker.js';
import { diffSnapshots, onlyCsrfRenewed } from './support/database.js';
import { applyJwtRecipe, jwtRecipe, signWith, type SigningKey } from './support/jwt.js';
import { mutate, mutations } from './support/mutators.js';
import { fuzzParams } from './support/settings.js';
import { encodeEntries, pct } from './support/values.js';

const OWN = 'http://localhost:3000';
const policy: Policy = { own: [OWN], targets: ['https://rp.example/cb', 'https://rp.example/cb?x=1'], origins: ['http://localhost:5173'], endpoints: ['http://127.0.0.1:4000/authorize'] };

function observed(status: number, body = '', headers: Record<string, string> = {}): Observed {
  return { status, headers: new Headers(headers), body, url: `${OWN}/authorize?x=1` };
}

describe('the response checker', () => {
  it('passes ordinary answers', () => {
    expect(problemsOf(observed(200, '{"ok":true}'), policy)).toEqual([]);
    expect(problemsOf(observed(400, '<!doctype html><p>Sign-in request not valid</p>'), policy)).toEqual([]);
    expect(problemsOf(observed(429, '{"error":"invalid_request"}'), policy)).toEqual([]);
    expect(problemsOf(observed(303, '', { location: 'https://rp.example/cb?code=abc&state=x' }), policy)).toEqual([]);
    expect(problemsOf(observed(303, '', { location: 'https://rp.example/cb?x=1&code=abc' }), policy)).toEqual([]);
    expect(problemsOf(observed(303, '', { location: 'https://rp.example/cb#id_token=abc' }), policy)).toEqual([]);
    expect(problemsOf(observed(303, '', { location: '/interaction/abc' }), policy)).toEqual([]);
    expect(problemsOf(observed(303, '', { location: 'http://localhost:3000/interaction/abc' }), policy)).toEqual([]);
    expect(problemsOf(observed(303, '', { location: 'http://localhost:5173/anything?x' }), policy)).toEqual([]);
    expect(problemsOf(observed(303, '', { location: 'http://127.0.0.1:4000/authorize?client_id=a' }), policy)).toEqual([]);
    expect(problemsOf(observed(200, '<form method="post" action="https://rp.example/cb"><input name="code"></form><script>document.forms[0].submit()</script>'), policy)).toEqual([]);
    expect(problemsOf(observed(200, '<form method="post" action="/interaction/x/login"></form>'), policy)).toEqual([]);
  });

  it('flags a synthetic 500 and any 5xx', () => {
    expect(problemsOf(observed(500, '{"error":"server_error"}'), policy)).toContain('status 500');
    expect(problemsOf(observed(503, ''), policy)).toContain('status 503');
    expect(problemsOf(observed(502, ''), policy)).toHaveLength(1);
  });

  it('flags stack traces, source paths and SQL in bodies', () => {
    const leaks = [
      'TypeError: Cannot read properties of undefined (reading \'x\')\n    at authorize (/app/dist/src/provider/authorization/authorize.js:12:7)',
      '{"message":"boom","stack":"Error: boom\\n    at Object.<anonymous> (file:///app/x.js:1:2)"}',
      'at async Promise.all (index 0)\n at file:///work/main/src/app.ts:10:5',
      '/work/main/node_modules/express/lib/router.js',
      '{"errors":[{"extensions":{"stacktrace":["x"]}}]}',
      'select "u0".* from "users" as "u0" where "u0"."id" = $1',
      'insert into "sessions" ("id_hash") values ($1)',
      'syntax error at or near "\'"',
      'duplicate key value violates unique constraint "clients_pkey"',
      'relation "users" does not exist',
      '{"errors":[{"message":"Internal server error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}',
    ];
    for (const body of leaks) expect(problemsOf(observed(400, body), policy), body).not.toEqual([]);
  });

  it('flags a Location, Refresh, meta refresh or form action outside the allowed targets', () => {
    const foreign = [
      'https://evil.example/cb',
      '//evil.example/x',
      '/\\evil.example',
      'https://rp.example/cb.evil.example',
      'https://rp.example/cbx',
      'https://rp.example/cb/../other',
      'https://rp.example/other?https://rp.example/cb',
      'javascript:alert(1)',
      'http://localhost:5174/',
      'http://127.0.0.1:4000/authorizex',
      'http://[',
    ];
    for (const location of foreign) {
      expect(problemsOf(observed(303, '', { location }), policy), location).toHaveLength(1);
      expect(allowedTarget(location, `${OWN}/x`, policy), location).toBe(false);
    }
    expect(problemsOf(observed(200, '', { refresh: '0; url=https://evil.example/' }), policy)).toHaveLength(1);
    expect(problemsOf(observed(200, '<meta http-equiv="refresh" content="0;url=https://evil.example/">'), policy)).toHaveLength(1);
    expect(problemsOf(observed(200, '<form method="post" action="https://evil.example/cb"></form><script>document.forms[0].submit()</script>'), policy)).toHaveLength(1);
    expect(problemsOf(observed(200, '<form method="post" action="https:&#x2F;&#x2F;evil.example&#x2F;cb"></form>'), policy)).toHaveLength(1);
  });

  it('sees a changed, added or removed row, and tells a renewed CSRF token apart', () => {
    const before = new Map([['interactions', new Set(['{"uid":"a","csrf_hash":"1","user_id":null}'])], ['sessions', new Set<string>()]]);
    expect(diffSnapshots(before, before)).toEqual([]);
    const csrf = new Map([['interactions', new Set(['{"uid":"a","csrf_hash":"2","user_id":null}'])], ['sessions', new Set<string>()]]);
    expect(diffSnapshots(before, csrf)).toHaveLength(1);
    expect(onlyCsrfRenewed(diffSnapshots(before, csrf))).toBe(true);
    const login = new Map([['interactions', new Set(['{"uid":"a","csrf_hash":"1","user_id":"u"}'])], ['sessions', new Set<string>()]]);
    expect(onlyCsrfRenewed(diffSnapshots(before, login))).toBe(false);
    const session = new Map([['interactions', before.get('interactions')!], ['sessions', new Set(['{"id_hash":"s"}'])]]);
    expect(diffSnapshots(before, session)).toEqual([{ table: 'sessions', added: ['{"id_hash":"s"}'], removed: [] }]);
    expect(onlyCsrfRenewed(diffSnapshots(before, session))).toBe(false);
  });
});

describe('the generators', () => {
  it('percent-encode anything, lone surrogates included', () => {
    expect(pct('a b&=\u0000')).toBe('a%20b%26%3D%00');
    expect(pct('\uD800')).toBe('%EF%BF%BD');
    expect(encodeEntries([['a', { raw: '%zz' }], ['b', { bytes: [0xff] }], ['a', '1']])).toBe('a=%zz&b=%FF&a=1');
  });

  it('mutate parameters without throwing', () => {
    fc.assert(
      fc.property(mutations(6), (ops) => {
        const out = mutate([['client_id', 'c'], ['redirect_uri', 'https://rp.example/cb']], ops, ['pool']);
        expect(Array.isArray(out)).toBe(true);
        encodeEntries(out);
      }),
      fuzzParams(200),
    );
  });

  it('mark every changed, unsigned token as a forgery, and re-signed ones as genuine', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key: SigningKey = { kid: 'k1', alg: 'ES256', key: privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
    const input = `${Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })).toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'a', exp: 1 })).toString('base64url')}`;
    const token = `${input}.${signWith(key, input)}`;
    fc.assert(
      fc.property(jwtRecipe, (recipe) => {
        const { token: mutant, genuine } = applyJwtRecipe(recipe, [token], [key], ['rp1']);
        if (genuine) {
          // Genuine: the original, or three segments signed by the key the header names.
          const [h, p, s] = mutant.split('.');
          const header = JSON.parse(Buffer.from(h!, 'base64url').toString());
          expect(mutant === token || (header.kid === 'k1' && header.alg === 'ES256' && s === signWith(key, `${h}.${p}`)) || recipe.signature === 'resign').toBe(true);
        } else {
          expect(mutant).not.toBe(token);
        }
      }),
      fuzzParams(300),
    );
  });
});
