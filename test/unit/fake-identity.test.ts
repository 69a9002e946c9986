/**
 * The fake mode's pure rules: what may be typed as an identity (src/fake/identity.ts), and which
 * redirect URIs a client with an origin policy accepts (src/clients/client-registry.ts), without
 * HTTP or a database.
 */
import { describe, expect, it } from 'vitest';
import { isPostLogoutRedirectUriOf, isRedirectUriOf, type RegisteredClient } from '../../src/clients/client-registry.js';
import { isLoopbackOrigin } from '../../src/fake/client.js';
import { IdentityError, identityFromForm } from '../../src/fake/identity.js';
import { RESERVED_CLAIMS } from '../../src/provider/tokens.js';

function fieldOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(IdentityError);
    return (e as IdentityError).field;
  }
}

describe('identityFromForm', () => {
  it('takes any visible-ASCII subject of 1–255 characters, trimmed, and nothing else', () => {
    expect(identityFromForm({ sub: '  alice  ' })).toEqual({ sub: 'alice', claims: {} });
    expect(identityFromForm({ sub: 'a'.repeat(255) }).sub).toHaveLength(255);
    expect(identityFromForm({ sub: 'auth0|5f7c8ec7c33c6c004bbafe82' }).sub).toBe('auth0|5f7c8ec7c33c6c004bbafe82');
    for (const sub of ['', '   ', 'a'.repeat(256), 'a b', 'é', 'a\tb', 'a\u0000', undefined]) expect(fieldOf(() => identityFromForm({ sub })), JSON.stringify(sub)).toBe('sub');
  });

  it('an email is released verified; a malformed one is the email field\'s error', () => {
    expect(identityFromForm({ sub: 'a', email: 'a@example.com' }).claims).toEqual({ email: 'a@example.com', email_verified: true });
    for (const email of ['x', '@', 'a@', 'a b@example.com', `${'a'.repeat(65)}@example.com`]) expect(fieldOf(() => identityFromForm({ sub: 'a', email })), email).toBe('email');
  });

  it('a name of 200 characters at most', () => {
    expect(identityFromForm({ sub: 'a', name: ' Alice ' }).claims).toEqual({ name: 'Alice' });
    expect(identityFromForm({ sub: 'a', name: 'n'.repeat(200) }).claims.name).toHaveLength(200);
    expect(fieldOf(() => identityFromForm({ sub: 'a', name: 'n'.repeat(201) }))).toBe('name');
  });

  it('extra claims: a JSON object of 4096 characters at most, none of the claims tokens set themselves', () => {
    expect(identityFromForm({ sub: 'a', claims: '{"roles":["admin"],"tenant":{"id":1}}' }).claims).toEqual({ roles: ['admin'], tenant: { id: 1 } });
    for (const claims of ['{', '[]', '1', 'null', '"x"', `{"a":"${'x'.repeat(4100)}"}`]) expect(fieldOf(() => identityFromForm({ sub: 'a', claims })), claims.slice(0, 20)).toBe('claims');
    // The one list of the provider's own claims decides, for every one of them.
    for (const claim of RESERVED_CLAIMS) expect(fieldOf(() => identityFromForm({ sub: 'a', claims: JSON.stringify({ [claim]: 'x' }) })), claim).toBe('claims');
    expect([...RESERVED_CLAIMS]).toEqual(expect.arrayContaining(['iss', 'sub', 'aud', 'exp', 'nonce', 'client_id', 'scope', 'cnf']));
  });

  it('typed extras may set email and name too, after the fields (what was typed last wins)', () => {
    expect(identityFromForm({ sub: 'a', email: 'a@example.com', claims: '{"email":"b@example.com"}' }).claims.email).toBe('b@example.com');
  });
});

describe('redirect URIs of a client', () => {
  const base = { redirectUris: ['https://rp.example/cb'], postLogoutRedirectUris: ['https://rp.example/bye'] } as unknown as RegisteredClient;
  const withPolicy = { ...base, redirectOrigin: (o: string) => o === 'http://localhost:5173' } as RegisteredClient;

  it('registered ones match exactly (RFC 9700 §4.1.3): no prefix, no normalisation', () => {
    const exact = { ...base, redirectOrigin: null } as RegisteredClient;
    expect(isRedirectUriOf(exact, 'https://rp.example/cb')).toBe(true);
    for (const uri of ['https://rp.example/cb/', 'https://RP.example/cb', 'https://rp.example/cb?x=1', 'https://rp.example:443/cb', 'http://localhost:5173/']) expect(isRedirectUriOf(exact, uri), uri).toBe(false);
    expect(isPostLogoutRedirectUriOf(exact, 'https://rp.example/bye')).toBe(true);
    expect(isPostLogoutRedirectUriOf(exact, 'https://rp.example/cb')).toBe(false);
  });

  it('with an origin policy: any http(s) URI on an accepted origin, without fragment or credentials, in visible ASCII', () => {
    for (const uri of ['http://localhost:5173/', 'http://localhost:5173/callback?x=1', 'http://localhost:5173']) expect(isRedirectUriOf(withPolicy, uri), uri).toBe(true);
    expect(isPostLogoutRedirectUriOf(withPolicy, 'http://localhost:5173/signed-out')).toBe(true);
    for (const uri of ['http://localhost:5174/', 'http://localhost:5173/#x', 'http://user:pw@localhost:5173/', 'http://localhost:5173/\tx', 'http://localhost:5173/é', 'javascript://localhost:5173/', 'http://localhost:5173.evil.example/', '/callback', '']) {
      expect(isRedirectUriOf(withPolicy, uri), JSON.stringify(uri)).toBe(false);
    }
    // The registered ones still count.
    expect(isRedirectUriOf(withPolicy, 'https://rp.example/cb')).toBe(true);
  });

  it('the default policy of the fake: loopback origins, any port (RFC 8252 §7.3)', () => {
    for (const o of ['http://localhost:5173', 'http://127.0.0.1:1', 'https://localhost', 'http://[::1]:8080', 'http://127.1.2.3:8080']) expect(isLoopbackOrigin(o), o).toBe(true);
    for (const o of ['http://localhost.evil.example', 'http://10.0.0.1:3000', 'http://localhost:5173/', 'file://localhost', 'http://127.0.0.1.nip.io', 'localhost:5173']) expect(isLoopbackOrigin(o), o).toBe(false);
  });
});
