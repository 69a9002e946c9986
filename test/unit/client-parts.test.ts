/**
 * The pure parts of the relying party and the libraries: the return-target filter (CB-11), the
 * claim → field mapping that can never write admin flags, default attributes that are copied,
 * the expiring LRU, and the directive requirements of an operation.
 */
import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { requirementsOf, authDirectivesTypeDefs } from '../../packages/apollo/src/directives.js';
import { mapUser, fieldsFromClaims, type LocalUser, type UserStore } from '@jwt-oidc/express';
import { safeReturnTo } from '../../packages/express/src/oidc-client.js';
import { loadSettings } from '../../src/config/load.js';
import { ExpiringLru } from '../../packages/resource/src/lru.js';

describe('safeReturnTo (CB-11)', () => {
  it.each(['https://evil.example', '//evil.example', '/\\evil.example', 'https:evil.example', 'javascript:alert(1)', '%2F%2Fevil.example', '/%2F/evil.example', '/%5Cevil.example', ' /a', '/a b', ''])('refuses %j', (v) => {
    expect(safeReturnTo(v, '/')).toBe('/');
  });
  it.each(['/', '/a/b?c=1', '/orders#top', '/caf%C3%A9'])('keeps %j', (v) => {
    expect(safeReturnTo(v, '/')).toBe(v);
  });
  it('refuses anything longer than 2048 characters', () => {
    expect(safeReturnTo(`/${'x'.repeat(2048)}`, '/')).toBe('/');
  });
  it('refuses non-strings (a repeated query parameter arrives as an array)', () => {
    expect(safeReturnTo(['/a', '/b'], '/home')).toBe('/home');
  });
});

describe('user mapping', () => {
  function memoryStore(): UserStore & { users: LocalUser[] } {
    const users: LocalUser[] = [];
    return {
      users,
      async find(id) {
        return users.find((u) => u.identifier === id);
      },
      async create(identifier, fields) {
        const u = { id: String(users.length + 1), identifier, ...fields };
        users.push(u);
        return u;
      },
      async update(user, fields) {
        Object.assign(user, fields);
        return user;
      },
    };
  }

  it('writes only allow-listed fields, with values of the right type', () => {
    const fields = fieldsFromClaims(
      { given_name: 'Alice', is_admin: true, email: 42, email_verified: 'yes', picture: 'https://p.example/a.png' },
      { given_name: 'givenName', is_admin: 'admin', email: 'email', email_verified: 'emailVerified', picture: 'picture', missing: 'locale' },
    );
    expect(fields).toEqual({ givenName: 'Alice', picture: 'https://p.example/a.png' });
  });

  it('settings refuse a rename into admin or active', () => {
    for (const target of ['admin', 'active', 'passwordHash']) {
      expect(() => loadSettings({ env: { JWT_OIDC_TYPE: 'client', JWT_OIDC_DISCOVERY_ENDPOINT: 'https://id.example/.well-known/openid-configuration', JWT_OIDC_CLIENT_ID: 'c', JWT_OIDC_PKCE_EXTENSION: 'true', JWT_OIDC_ID_TOKEN_RENAME_ATTRIBUTES: JSON.stringify({ role: target }) } })).toThrow(/ID_TOKEN_RENAME_ATTRIBUTES/);
    }
  });

  it('creates with a copy of the defaults (never shared, never mutated), finds afterwards, and creates nothing without CREATE_USER', async () => {
    const store = memoryStore();
    const defaults = { locale: 'fr', picture: 'https://p.example/default.png' };
    const frozen = structuredClone(defaults);
    const mapping = { identificationClaim: 'sub', createUser: true, renameAttributes: { given_name: 'givenName' }, defaultAttributes: defaults };
    const a = await mapUser(store, mapping, { sub: 'a', given_name: 'A' });
    const b = await mapUser(store, mapping, { sub: 'b' });
    expect(a).toMatchObject({ identifier: 'a', givenName: 'A', locale: 'fr' });
    (b as Record<string, unknown>).locale = 'de';
    expect(defaults).toEqual(frozen);
    expect((await mapUser(store, mapping, { sub: 'a', given_name: 'Alicia' }))?.id).toBe(a!.id);
    expect(store.users).toHaveLength(2);
    expect(store.users[0]!.givenName).toBe('Alicia');
    expect(await mapUser(store, { ...mapping, createUser: false }, { sub: 'c' })).toBeUndefined();
    expect(store.users).toHaveLength(2);
  });

  it('needs a usable identifier', async () => {
    const store = memoryStore();
    const mapping = { identificationClaim: 'email', createUser: true, renameAttributes: {}, defaultAttributes: {} };
    for (const claims of [{}, { email: '' }, { email: 7 }, { email: 'x'.repeat(600) }]) expect(await mapUser(store, mapping, claims)).toBeUndefined();
    expect(store.users).toHaveLength(0);
  });
});

describe('ExpiringLru', () => {
  it('evicts the least recently used and never returns an entry past its instant', () => {
    let now = 1000;
    const lru = new ExpiringLru<string, number>(2, () => now);
    lru.set('a', 1, 5000);
    lru.set('b', 2, 2000);
    expect(lru.get('a')).toBe(1); // a is now the most recent
    lru.set('c', 3, 5000); // evicts b
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('c')).toBe(3);
    now = 5000;
    expect(lru.get('a')).toBeUndefined();
    expect(lru.get('c')).toBeUndefined();
    lru.set('d', 4, 4000); // already expired: not kept
    expect(lru.get('d')).toBeUndefined();
    expect(lru.size).toBe(0);
  });
});

describe('directive requirements', () => {
  const schema = buildSchema(`${authDirectivesTypeDefs}
    type Query { open: String, mine: Secret @authenticated, orders: [String] @requiresScopes(scopes: [["read"], ["admin", "write"]]), wire: String @requiresAcr(values: ["urn:jwt-oidc:mfa", "urn:example:loa:3"], maxAge: 300), vault: Vault }
    type Vault @requiresAcr(values: ["urn:jwt-oidc:mfa"]) { key: String }
    type Secret @requiresScopes(scopes: [["secret"]]) { value: String }
    enum Level @authenticated { LOW HIGH }
    type Mutation { level: Level }`);

  it('reads fields, their parent and returned types, only in the selected operation', () => {
    expect(requirementsOf(schema, parse('{ open }'))).toEqual({ authenticated: false, scopes: [], acr: [] });
    expect(requirementsOf(schema, parse('{ orders }')).scopes).toEqual([[['read'], ['admin', 'write']]]);
    const secret = requirementsOf(schema, parse('{ mine { value } }'));
    expect(secret.authenticated).toBe(true);
    expect(secret.scopes).toEqual([[['secret']]]);
    expect(requirementsOf(schema, parse('mutation { level }')).authenticated).toBe(true);
    const doc = parse('query A { open } query B { orders }');
    expect(requirementsOf(schema, doc, 'A')).toEqual({ authenticated: false, scopes: [], acr: [] });
    expect(requirementsOf(schema, doc, 'B').scopes).toHaveLength(1);
  });

  it('reads @requiresAcr of fields and types, with its maxAge; each needs a token', () => {
    expect(requirementsOf(schema, parse('{ wire }'))).toEqual({ authenticated: true, scopes: [], acr: [{ acrValues: ['urn:jwt-oidc:mfa', 'urn:example:loa:3'], maxAge: 300 }] });
    expect(requirementsOf(schema, parse('{ vault { key } }')).acr).toEqual([{ acrValues: ['urn:jwt-oidc:mfa'] }]);
    expect(requirementsOf(schema, parse('{ wire vault { key } }')).acr).toHaveLength(2);
  });

  it('sees through fragments and aliases', () => {
    const r = requirementsOf(schema, parse('query { x: mine { ...F } } fragment F on Secret { value }'));
    expect(r.scopes).toEqual([[['secret']]]);
  });
});
