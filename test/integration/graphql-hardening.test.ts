/**
 * The docs/SECURITY.md section H rows that apply to the GraphQL endpoint itself, over real HTTP, against a
 * production-configured and a development-configured server.
 */
import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUERY_LIMITS } from '../../src/graphql/apollo.js';
import { maskError } from '../../src/graphql/errors.js';
import { graphql, startTestServer, type TestServer } from '../support/server.js';

const PRODUCTION_SECRET = 'p'.repeat(40);
let prod: TestServer;
let dev: TestServer;
beforeAll(async () => {
  [prod, dev] = await Promise.all([
    startTestServer({ NODE_ENV: 'production', JWT_OIDC_ISSUER: 'https://id.example.com', JWT_OIDC_KEY_ENCRYPTION_SECRET: PRODUCTION_SECRET }),
    startTestServer({ NODE_ENV: 'development' }),
  ]);
});
afterAll(() => Promise.all([prod?.close(), dev?.close()]));

const INTROSPECTION = [`{ __schema { types { name } } }`, `{ __type(name: "ServerInfo") { fields { name } } }`];

function expectNoLeak(text: string) {
  expect(text).not.toMatch(/stacktrace|node_modules|at \w+ \(|select |insert |relation "|syntax error at/i);
}

describe('GQ-01 introspection in production', () => {
  it('refuses __schema and __type with 400 INTROSPECTION_DISABLED, but __typename works', async () => {
    for (const query of INTROSPECTION) {
      const res = await graphql(prod.url, query);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', validationErrorCode: 'INTROSPECTION_DISABLED' });
      expect(res.body.data).toBeUndefined();
      expectNoLeak(res.text);
    }
    const typename = await graphql(prod.url, '{ __typename }');
    expect(typename.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('serves no landing page to a browser', async () => {
    const res = await fetch(`${prod.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.headers.get('content-type') ?? '').not.toContain('text/html');
    expect(await res.text()).not.toMatch(/apollographql|<html/i);
  });

  it('allows introspection in development, and in production only when enabled', async () => {
    for (const query of INTROSPECTION) expect((await graphql(dev.url, query)).status).toBe(200);
    const enabled = await startTestServer({ NODE_ENV: 'production', JWT_OIDC_ISSUER: 'https://id.example.com', JWT_OIDC_KEY_ENCRYPTION_SECRET: PRODUCTION_SECRET, JWT_OIDC_GRAPHQL_INTROSPECTION: 'true' });
    try {
      expect((await graphql(enabled.url, INTROSPECTION[0]!)).status).toBe(200);
    } finally {
      await enabled.close();
    }
    const page = await fetch(`${dev.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).toContain('text/html');
  });
});

describe('GQ-02 no field suggestions', () => {
  it('reports an unknown field without "Did you mean"', async () => {
    for (const server of [prod, dev]) {
      for (const query of ['{ serverInfo { versio } }', '{ serverInf { version } }', '{ serverInfo { mode(x: 1) } }']) {
        const res = await graphql(server.url, query);
        expect(res.status).toBe(400);
        expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
        expect(res.text).not.toMatch(/did you mean/i);
      }
    }
  });
});

describe('GQ-03 depth limit', () => {
  it(`rejects a query deeper than ${QUERY_LIMITS.maxDepth} at validation, executing nothing`, async () => {
    // Deeper than the schema allows today, too: the depth rule must report it all the same.
    let selection = 'version';
    for (let i = 0; i < 30; i++) selection = `friends { ${selection} }`;
    const res = await graphql(prod.url, `{ serverInfo { ${selection} } }`);
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors.map((e: { message: string }) => e.message)).toContainEqual(expect.stringMatching(/^query depth \d+ exceeds the limit of 10;/));
  });
});

describe('GQ-04 alias limit', () => {
  const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: serverInfo { version }`).join(' ')} }`;
  it(`accepts ${QUERY_LIMITS.maxAliases} aliases and rejects more`, async () => {
    expect((await graphql(prod.url, aliases(QUERY_LIMITS.maxAliases))).status).toBe(200);
    for (const n of [QUERY_LIMITS.maxAliases + 1, 1000]) {
      const res = await graphql(prod.url, aliases(n));
      expect(res.status).toBe(400);
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors[0].message).toMatch(n > 100 ? /alias|tokens/i : /alias/i);
    }
  });
});

describe('GQ-05 HTTP batching is off', () => {
  it('refuses an array of operations with 400', async () => {
    const body = JSON.stringify(Array.from({ length: 100 }, () => ({ query: '{ serverInfo { version } }' })));
    const res = await fetch(`${prod.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain('"version"');
  });
});

describe('GQ-07 token and directive limits', () => {
  it('rejects too many tokens and too many directives before execution', async () => {
    const tokens = await graphql(prod.url, `{ serverInfo { ${'version '.repeat(5000)} } }`);
    expect(tokens.status).toBe(400);
    expect(tokens.body.data).toBeUndefined();
    const directives = await graphql(prod.url, `{ serverInfo { version ${'@include(if: true) '.repeat(QUERY_LIMITS.maxDirectives + 1)} } }`);
    expect(directives.status).toBe(400);
    expect(directives.body.data).toBeUndefined();
  });
});

describe('GQ-08 / GQ-09 CSRF prevention', () => {
  it('refuses a simple GET (an <img> tag) and executes nothing', async () => {
    const res = await fetch(`${prod.url}/graphql?query=${encodeURIComponent('{ serverInfo { version } }')}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/Cross-Site Request Forgery/);
    // control: a non-simple request (custom header forces a CORS preflight) is served
    const ok = await fetch(`${prod.url}/graphql?query=${encodeURIComponent('{ serverInfo { version } }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(ok.status).toBe(200);
  });

  it('refuses simple POSTs from an HTML form', async () => {
    const query = '{ serverInfo { version } }';
    const bodies: [string, BodyInit][] = [
      ['text/plain', JSON.stringify({ query })],
      ['application/x-www-form-urlencoded', `query=${encodeURIComponent(query)}`],
    ];
    for (const [type, body] of bodies) {
      const res = await fetch(`${prod.url}/graphql`, { method: 'POST', headers: { 'content-type': type }, body });
      expect(res.status, type).toBe(400);
      expect(await res.text()).not.toContain('"version"');
    }
    const form = new FormData();
    form.set('query', query);
    const multipart = await fetch(`${prod.url}/graphql`, { method: 'POST', body: form });
    expect(multipart.status).toBe(400);
  });
});

describe('GQ-16 masked errors', () => {
  it('answers a variable coercion error with 400 BAD_USER_INPUT and no stack', async () => {
    const res = await graphql(prod.url, 'query Q($n: Boolean!) { serverInfo @include(if: $n) { version } }', { n: { $ne: null } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expectNoLeak(res.text);
  });

  it('turns anything unexpected into a generic INTERNAL_SERVER_ERROR', () => {
    const dbError = new Error('insert into "users" ... duplicate key value violates unique constraint "users_username_unique"');
    const wrapped = new GraphQLError(dbError.message, { originalError: dbError, path: ['createUser'] });
    const formatted = maskError({ message: dbError.message, path: ['createUser'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] } }, wrapped);
    expect(formatted).toEqual({ message: 'Internal server error', path: ['createUser'], locations: undefined, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    // A plain Error that claims a client code is still masked: only GraphQLErrors are raised on purpose.
    const sneaky = new GraphQLError('boom', { path: ['user'], originalError: Object.assign(new Error('select * from users'), { extensions: { code: 'BAD_USER_INPUT' } }) });
    expect(maskError({ message: 'select * from users', extensions: { code: 'BAD_USER_INPUT' } }, sneaky).message).toBe('Internal server error');
    // Errors raised on purpose keep their message, code and field, nothing else.
    const intended = new GraphQLError('username: must not be empty', { extensions: { code: 'BAD_USER_INPUT', field: 'username', secret: 'x' } });
    expect(maskError({ message: intended.message, extensions: intended.extensions }, intended)).toEqual({
      message: 'username: must not be empty',
      locations: undefined,
      path: undefined,
      extensions: { code: 'BAD_USER_INPUT', field: 'username' },
    });
  });
});
