/**
 * Answers a caller can act on, over real HTTP against a real provider (README "GraphQL"): a query
 * over the limits is BAD_USER_INPUT naming the limit and what to change (never "Syntax Error"),
 * a page size out of range names the argument and the range, a cursor this API did not hand out is
 * refused on every connection, and a refused token says which check failed (RFC 6750 §3.1
 * invalid_token), the same in the GraphQL message and in WWW-Authenticate, without echoing the
 * token or anything internal.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { getNamedType, isObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUERY_LIMITS } from '../../src/graphql/apollo.js';
import { graphqlSchema } from '../../src/graphql/schema.js';
import { signCompact, type JwsHeader } from '../../src/keys/jws.js';
import { clientToken, gql, startProvider, type TestProvider } from '../support/provider.js';

let p: TestProvider;
let admin: string;
beforeAll(async () => {
  p = await startProvider();
  const automation = await p.createClient({ name: 'Automation', admin: true, grantTypes: ['client_credentials'] });
  admin = await clientToken(p, automation, 'admin');
  // Two of each at least, so that every list has a second page.
  for (let i = 0; i < 3; i++) await p.createUser({ username: `answers-${i}` });
  await p.createClient({ name: 'Second client' });
  for (const id of ['https://api-1.example/', 'https://api-2.example/']) {
    const created = await gql(p, 'mutation($input: CreateResourceInput!) { createResource(input: $input) { id } }', { input: { id, scopes: ['read'] } }, admin);
    if (created.body.errors) throw new Error(created.text);
  }
});
afterAll(() => p?.close());

type Answer = Awaited<ReturnType<typeof gql>>;

/** Nothing internal in an answer: no stack, no module paths, no SQL, no library names. */
function expectNoLeak(a: Answer): void {
  expect(a.text).not.toMatch(/stacktrace|node_modules|\bat \S+ \(|\.ts:\d|select |insert |relation "|graphql-armor|Syntax Error|jose|ERR_[A-Z_]+/i);
}

/** A request refused before execution: HTTP 400, BAD_USER_INPUT first, nothing executed. */
function expectRefusedInput(a: Answer, message: RegExp | string, field?: string): void {
  expect(a.status, a.text).toBe(400);
  expect(a.body.data, a.text).toBeUndefined();
  const [first] = a.body.errors;
  if (typeof message === 'string') expect(first.message).toBe(message);
  else expect(first.message).toMatch(message);
  expect(first.extensions).toEqual({ code: 'BAD_USER_INPUT', ...(field ? { field } : {}) });
  expectNoLeak(a);
}

describe('query limits: the limit, what the query has, what to change', () => {
  const bigPages = '{ users(first: 100) { edges { node { id username email givenName familyName admin active } } } clients(first: 100) { edges { node { id name redirectUris } } } }';

  it('cost: names the cost, the limit and the remedy, for anonymous and admin callers alike', async () => {
    for (const token of [undefined, admin]) {
      const a = await gql(p, bigPages, undefined, token);
      expectRefusedInput(a, new RegExp(`^query cost \\d+ exceeds the limit of ${QUERY_LIMITS.maxCost}; request fewer items \\(first/last\\) or fewer fields$`));
      expect(Number(/cost (\d+)/.exec(a.body.errors[0].message)![1])).toBeGreaterThan(QUERY_LIMITS.maxCost);
      expect(a.body.errors).toHaveLength(1);
    }
    // The control: the same lists, smaller pages, pass.
    const fine = await gql(p, bigPages.replaceAll('first: 100', 'first: 10'), undefined, admin);
    expect(fine.status, fine.text).toBe(200);
    expect(fine.body.errors).toBeUndefined();
  });

  it('depth, aliases, directives and tokens: each names its limit', async () => {
    let deep = 'version';
    for (let i = 0; i < 30; i++) deep = `friends { ${deep} }`;
    const depth = await gql(p, `{ serverInfo { ${deep} } }`);
    expect(depth.status).toBe(400);
    expect(depth.body.errors[0]).toEqual({ message: `query depth 32 exceeds the limit of ${QUERY_LIMITS.maxDepth}; nest fewer selections`, extensions: { code: 'BAD_USER_INPUT' } });
    expectNoLeak(depth);

    const aliases = await gql(p, `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: serverInfo { version }`).join(' ')} }`);
    expectRefusedInput(aliases, `query has 20 aliases, more than the limit of ${QUERY_LIMITS.maxAliases}; use fewer aliases, or several requests`);

    const directives = await gql(p, `{ serverInfo { version ${'@include(if: true) '.repeat(60)} } }`);
    expect(directives.status).toBe(400);
    expect(directives.body.errors[0]).toEqual({ message: `query has 60 directives, more than the limit of ${QUERY_LIMITS.maxDirectives}; use fewer directives`, extensions: { code: 'BAD_USER_INPUT' } });
    expectNoLeak(directives);

    const tokens = await gql(p, `{ serverInfo { ${'version '.repeat(3000)} } }`);
    expectRefusedInput(tokens, `query has more tokens than the limit of ${QUERY_LIMITS.maxTokens}; send a shorter query (fewer fields, arguments or aliases)`);
    expect(tokens.body.errors[0].locations, 'a character offset deep in a long line helps nobody').toBeUndefined();
  });
});

describe('pagination arguments', () => {
  /** Every field of the schema that pages with `after` (Relay connections): all must refuse a foreign cursor. */
  async function connections(): Promise<string[]> {
    const query = (await graphqlSchema()).getQueryType()!;
    return Object.values(query.getFields())
      .filter((f) => f.args.some((a) => a.name === 'after'))
      .filter((f) => isObjectType(getNamedType(f.type)) && 'edges' in (getNamedType(f.type) as { getFields(): object }).getFields())
      .map((f) => f.name);
  }

  it('first out of range names the argument and the range: as a literal (before execution) and as a variable', async () => {
    const lists = await connections();
    expect(lists).toEqual(expect.arrayContaining(['users', 'clients']));
    for (const list of lists) {
      for (const n of [0, -1, 101, 500]) {
        // `first: 500` is reported as what it is, not as the query cost it multiplies.
        expectRefusedInput(await gql(p, `{ ${list}(first: ${n}) { edges { cursor } } }`, undefined, admin), `first: must be between 1 and 100; got ${n}`, 'first');
        const viaVariable = await gql(p, `query($n: Int!) { ${list}(first: $n) { edges { cursor } } }`, { n }, admin);
        expect(viaVariable.body.errors?.[0], viaVariable.text).toMatchObject({ message: `first: must be between 1 and 100; got ${n}`, path: [list], extensions: { code: 'BAD_USER_INPUT', field: 'first' } });
        expectNoLeak(viaVariable);
      }
      for (const n of [1, 100]) expect((await gql(p, `{ ${list}(first: ${n}) { edges { cursor } } }`, undefined, admin)).body.errors).toBeUndefined();
    }
  });

  it('a cursor this API did not hand out is BAD_USER_INPUT "after: not a cursor of this list", on every connection', async () => {
    const lists = await connections();
    const cursors: Record<string, string> = {};
    for (const list of lists) {
      const page = await gql(p, `{ ${list}(first: 1) { edges { cursor } pageInfo { endCursor hasNextPage } } }`, undefined, admin);
      expect(page.body.data[list].pageInfo.hasNextPage, `${list} needs two items for this test`).toBe(true);
      cursors[list] = page.body.data[list].pageInfo.endCursor;
      // The control: its own cursor leads to the next page.
      const next = await gql(p, `query($a: String) { ${list}(first: 1, after: $a) { edges { cursor } } }`, { a: cursors[list] }, admin);
      expect(next.body.errors, next.text).toBeUndefined();
      expect(next.body.data[list].edges[0].cursor).not.toBe(cursors[list]);
    }
    for (const list of lists) {
      const foreign = [
        'garbage',
        '',
        'not base64!',
        Buffer.from('alice').toString('base64url'),
        ...Object.entries(cursors).filter(([other]) => other !== list).map(([, c]) => c),
        `${cursors[list]}x`,
      ];
      for (const after of foreign) {
        const a = await gql(p, `query($a: String) { ${list}(first: 5, after: $a) { edges { cursor } } }`, { a: after }, admin);
        expect(a.body.errors?.[0], `${list} after ${JSON.stringify(after)}: ${a.text}`).toMatchObject({ path: [list], extensions: { code: 'BAD_USER_INPUT', field: 'after' } });
        expect(a.body.errors[0].message).toBe(`after: not a cursor of this list; pass an edge's cursor or pageInfo.endCursor from an earlier page of ${list}`);
        expect(a.body.data).toBeNull();
        expectNoLeak(a);
      }
    }
  });
});

describe('a refused access token says which check failed (RFC 6750 §3.1)', () => {
  interface LoadedKey {
    kid: string;
    alg: JwsHeader['alg'];
    signingKey?: KeyObject;
  }
  let base: Record<string, unknown>;
  let key: LoadedKey;
  const MARKER = `marker-${randomUUID()}`;

  beforeAll(async () => {
    const svc = await p.createClient({ name: 'Service', grantTypes: ['client_credentials'] });
    const token = await clientToken(p, svc);
    base = decodeJwt(token);
    const { kid } = decodeProtectedHeader(token);
    key = (p.provider!.keys as unknown as { keys: LoadedKey[] }).keys.find((k) => k.kid === kid && k.signingKey)!;
    expect(key, 'the signing key of the access token').toBeDefined();
  });

  /** A token of the provider's own key: the base claims (a fresh jti and a marker) with `claims` changed. */
  function token(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): string {
    return signCompact({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header } as JwsHeader, { ...base, jti: randomUUID(), marker: MARKER, ...claims }, key.signingKey!);
  }

  /** GraphQL and WWW-Authenticate tell the same description; nothing of the token comes back. */
  async function expectRefusedToken(jwt: string, description: string): Promise<void> {
    const a = await gql(p, '{ me { sub } }', undefined, jwt);
    expect(a.status, a.text).toBe(401);
    // resource_metadata: where a client finds the authorization server for /graphql (RFC 9728 §5.1).
    const metadata = `${new URL(p.issuer).origin}/.well-known/oauth-protected-resource/graphql`;
    expect(a.headers.get('www-authenticate')).toBe(`Bearer realm="${p.issuer}", resource_metadata="${metadata}", error="invalid_token", error_description="${description}"`);
    expect(a.body.errors).toEqual([{ message: description, extensions: { code: 'UNAUTHENTICATED' } }]);
    expect(a.body.data ?? null).toBeNull();
    for (const echo of [MARKER, jwt, jwt.split('.')[1]!, 'evil.example', 'another-api']) expect(a.text).not.toContain(echo);
    expectNoLeak(a);
    // The userinfo endpoint verifies with the same code and says the same.
    const info = await fetch(`${p.issuer}/userinfo`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(info.status).toBe(401);
    expect(info.headers.get('www-authenticate')).toContain(`error_description="${description}"`);
  }

  it('the control: the re-signed token is accepted', async () => {
    const a = await gql(p, '{ me { sub } }', undefined, token());
    expect(a.body, a.text).toEqual({ data: { me: { sub: base.sub } } });
  });

  it('another audience', () => expectRefusedToken(token({ aud: 'https://another-api.example' }), 'the access token was issued for another audience'));

  it('expired', () => expectRefusedToken(token({ iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }), 'the access token has expired'));

  it('another issuer, named as ours without echoing theirs', () => expectRefusedToken(token({ iss: 'https://evil.example' }), `the access token's issuer is not ${p.issuer}`));

  it('not an RFC 9068 access token (typ)', async () => {
    await expectRefusedToken(token({}, { typ: 'JWT' }), 'the access token is not an RFC 9068 access token (typ is not at+jwt)');
    // No typ at all.
    await expectRefusedToken(token({}, { typ: undefined }), 'the access token is not an RFC 9068 access token (typ is not at+jwt)');
  });

  it('a signature that does not verify', async () => {
    const [h, body] = token().split('.');
    const other = token({ sub: 'someone-else' }).split('.')[2];
    await expectRefusedToken(`${h}.${body}.${other}`, "the access token's signature does not verify");
  });

  it('a key the issuer does not publish (an extra jose key), and a required claim missing', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await new SignJWT({ ...base, jti: randomUUID(), marker: MARKER }).setProtectedHeader({ alg: 'ES256', kid: 'not-one-of-ours', typ: 'at+jwt' }).sign(privateKey);
    await expectRefusedToken(foreign, 'the access token is not signed by a published key of its issuer');
    await expectRefusedToken(token({ client_id: undefined }), 'the access token lacks the client_id claim (RFC 9068)');
  });
});
