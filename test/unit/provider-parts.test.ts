/** The small pure parts of the provider: redirect URI rules, parameters, Basic credentials, cookies, throttling. */
import { describe, expect, it } from 'vitest';
import { originProblem, redirectUriProblem } from '../../src/clients/redirect-uri.js';
import { ManualClock } from '../../src/clock.js';
import { cookieName, parseCookies, serializeCookie } from '../../src/provider/cookies.js';
import { corsHeaders } from '../../src/http/cors.js';
import { OAuthError } from '../../src/provider/errors.js';
import { readParams, requireSingle, spaceList } from '../../src/provider/params.js';
import { parseBasic } from '../../src/provider/token/client-auth.js';
import { halfHash } from '../../src/provider/tokens.js';
import { FailureThrottle } from '../../src/util/failure-throttle.js';

describe('redirect URI rules (AZ-08)', () => {
  it('accepts https, http on loopback and reverse-domain app schemes', () => {
    for (const ok of ['https://rp.example/cb', 'https://rp.example/cb?a=1', 'http://localhost:8080/cb', 'http://127.0.0.1/cb', 'http://[::1]:3000/cb', 'com.example.app:/oauth2redirect']) {
      expect(redirectUriProblem(ok), ok).toBeUndefined();
    }
  });
  it('refuses fragments, scripts, data, files, wildcards, credentials, relative and plain-http URIs', () => {
    const bad: [string, RegExp][] = [
      ['https://rp.example/cb#f', /fragment/],
      ['https://rp.example/cb#', /fragment/],
      ['javascript:alert(1)', /scheme/],
      ['data:text/html,x', /scheme/],
      ['file:///etc/passwd', /scheme/],
      ['https://*.rp.example/*', /wildcard/],
      ['http://rp.example/cb', /loopback/],
      ['https://user:pw@rp.example/cb', /credentials/],
      ['/cb', /absolute/],
      ['https://rp.example/c b', /whitespace/],
      ['myapp:/cb', /scheme/],
      ['', /non-empty/],
    ];
    for (const [uri, why] of bad) expect(redirectUriProblem(uri), uri).toMatch(why);
  });
  it('accepts origins only in their exact form', () => {
    expect(originProblem('https://app.example')).toBeUndefined();
    expect(originProblem('http://localhost:5173')).toBeUndefined();
    expect(originProblem('https://app.example/')).toMatch(/origin/);
    expect(originProblem('http://app.example')).toMatch(/https/);
    expect(originProblem('null')).toMatch(/origin/);
  });
});

describe('parameters (AZ-15, AZ-16)', () => {
  it('reads single values, reports duplicates and non-strings, treats empty as absent', () => {
    const p = readParams({ a: '1', b: ['x', 'y'], c: { $gt: '' }, d: '' });
    expect(p.get('a')).toBe('1');
    expect(p.get('b')).toBeUndefined();
    expect(p.get('d')).toBeUndefined();
    expect(p.duplicates).toEqual(['b']);
    expect(p.malformed).toEqual(['c']);
    expect(() => requireSingle(p, ['a', 'b'])).toThrow(OAuthError);
    expect(() => requireSingle(p, ['a'])).not.toThrow();
    expect(spaceList('openid  profile')).toEqual(['openid', 'profile']);
    // Bracketed spellings taint the parameter they name instead of vanishing.
    const tainted = readParams({ 'redirect_uri[toString]': 'x', 'state[]': ['a', 'b'], client_id: 'rp1' });
    expect(tainted.malformed.sort()).toEqual(['redirect_uri', 'state']);
    expect(tainted.get('client_id')).toBe('rp1');
  });
});

describe('client_secret_basic (RFC 6749 §2.3.1)', () => {
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  it('form-decodes id and secret', () => {
    expect(parseBasic(basic('my client', 'p@ss:w/o+rd'))).toEqual({ id: 'my client', secret: 'p@ss:w/o+rd' });
    expect(parseBasic(undefined)).toBeUndefined();
    expect(parseBasic('Bearer abc')).toBeUndefined();
  });
  it('refuses malformed credentials as invalid_client', () => {
    for (const header of ['Basic', 'Basic !!!', `Basic ${Buffer.from('no-colon').toString('base64')}`, `Basic ${Buffer.from('%E0%A4%A:x').toString('base64')}`]) {
      expect(() => parseBasic(header), header).toThrow(expect.objectContaining({ error: 'invalid_client' }));
    }
  });
});

describe('cookies', () => {
  it('parses the first of duplicated names and serialises safe attributes', () => {
    expect(parseCookies('a=1; b=two%20words; a=2')).toEqual(new Map([['a', '1'], ['b', 'two words']]));
    expect(serializeCookie({ name: 's', value: 'v', maxAge: 60, path: '/', secure: true, sameSite: 'Lax' })).toBe('s=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure');
    expect(cookieName('x', true)).toBe('__Host-x');
    expect(cookieName('x', true, true)).toBe('__Secure-x');
    expect(cookieName('x', false)).toBe('x');
  });
});

describe('CORS (TK-17, GQ-11)', () => {
  const policy = { isAllowed: (o: string) => o === 'https://app.example', methods: 'POST' };
  it('allows exactly the registered origins, never with credentials', () => {
    expect(corsHeaders('https://app.example', policy, true)).toMatchObject({ 'Access-Control-Allow-Origin': 'https://app.example', 'Access-Control-Allow-Methods': 'POST' });
    for (const origin of ['https://evil.example', 'null', undefined]) {
      const headers = corsHeaders(origin, policy, true);
      expect(headers['Access-Control-Allow-Origin']).toBeUndefined();
    }
    expect(Object.keys(corsHeaders('https://app.example', policy, false))).not.toContain('Access-Control-Allow-Credentials');
  });
});

describe('at_hash / c_hash (OIDC Core §3.1.3.6)', () => {
  it('is the left half of the hash of the signing algorithm', () => {
    // The example of OIDC Core A.3 (RS256): access_token "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y".
    expect(halfHash('jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y', 'RS256')).toBe('77QmUPtjPfzWtF2AnpK9RQ');
    expect(halfHash('x', 'ES384')).toHaveLength(32);
    expect(halfHash('x', 'EdDSA')).toHaveLength(43);
  });
});

describe('failure throttle', () => {
  it('blocks after the limit within the window, forgets after it, and caps its memory', () => {
    const clock = new ManualClock(0);
    const t = new FailureThrottle({ limit: 3, windowMs: 60_000, clock, maxKeys: 10 });
    for (let i = 0; i < 3; i++) {
      expect(t.retryAfter('k')).toBe(0);
      t.fail('k');
      clock.advance(1000);
    }
    expect(t.retryAfter('k')).toBe(57);
    clock.advance(58_000);
    expect(t.retryAfter('k')).toBe(0);
    for (let i = 0; i < 50; i++) t.fail(`flood-${i}`);
    expect((t as unknown as { failures: Map<string, unknown> }).failures.size).toBeLessThanOrEqual(10);
  });
});
