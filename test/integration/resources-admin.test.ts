/**
 * The GraphQL administration of registered resources (RFC 8707): `resources`, `resource`,
 * `createResource`, `updateResource`, `deleteResource` — admin only, audited as every mutation,
 * invalid input BAD_USER_INPUT naming the field, an unknown id NOT_FOUND.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUserTokens, clientToken, expectNothingPersisted, gql, startProvider, tokensFor, type TestProvider } from '../support/provider.js';

let p: TestProvider;
let admin: string;
let userToken: string;

const FIELDS = 'id scopes accessTokenLifetime alg createdAt';
const CREATE = `mutation($input: CreateResourceInput!) { createResource(input: $input) { ${FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: ResourceMetadataInput!) { updateResource(id: $id, input: $input) { ${FIELDS} } }`;
const DELETE = 'mutation($id: ID!) { deleteResource(id: $id) }';
const LIST = `query($first: Int, $after: String, $search: String) { resources(first: $first, after: $after, search: $search) { edges { node { ${FIELDS} } } pageInfo { hasNextPage endCursor } } }`;

beforeAll(async () => {
  p = await startProvider({ JWT_OIDC_SIGNATURE_ALG: 'ES256' }, { captureLogs: true });
  admin = (await adminUserTokens(p)).tokens.access_token;
  const rp = await p.createClient();
  userToken = (await tokensFor(p, rp, await p.createUser(), 'openid profile')).access_token;
});
afterAll(() => p?.close());

describe('GraphQL administration of resources', () => {
  it('creates, reads, pages, updates and deletes a resource', async () => {
    const created = await gql(p, CREATE, { input: { id: 'https://one.example/api', scopes: ['one:read'], accessTokenLifetime: 120, alg: 'RS256' } }, admin);
    expect(created.body.errors).toBeUndefined();
    expect(created.body.data.createResource).toMatchObject({ id: 'https://one.example/api', scopes: ['one:read'], accessTokenLifetime: 120, alg: 'RS256' });
    await gql(p, CREATE, { input: { id: 'https://two.example/api', scopes: [] } }, admin);

    const first = await gql(p, LIST, { first: 1 }, admin);
    expect(first.body.data.resources.edges.map((e: any) => e.node.id)).toEqual(['https://one.example/api']);
    expect(first.body.data.resources.pageInfo.hasNextPage).toBe(true);
    const next = await gql(p, LIST, { first: 1, after: first.body.data.resources.pageInfo.endCursor }, admin);
    expect(next.body.data.resources.edges.map((e: any) => e.node.id)).toEqual(['https://two.example/api']);
    const search = await gql(p, LIST, { search: 'TWO' }, admin);
    expect(search.body.data.resources.edges).toHaveLength(1);

    const one = await gql(p, 'query($id: ID!) { resource(id: $id) { id scopes } }', { id: 'https://one.example/api' }, admin);
    expect(one.body.data.resource).toEqual({ id: 'https://one.example/api', scopes: ['one:read'] });
    const none = await gql(p, 'query($id: ID!) { resource(id: $id) { id } }', { id: 'https://none.example/' }, admin);
    expect(none.body.data.resource).toBeNull();

    const updated = await gql(p, UPDATE, { id: 'https://one.example/api', input: { scopes: ['one:read', 'one:write'], accessTokenLifetime: null } }, admin);
    expect(updated.body.data.updateResource).toMatchObject({ scopes: ['one:read', 'one:write'], accessTokenLifetime: null, alg: 'RS256' });

    const deleted = await gql(p, DELETE, { id: 'https://two.example/api' }, admin);
    expect(deleted.body.data.deleteResource).toBe(true);
    const again = await gql(p, DELETE, { id: 'https://two.example/api' }, admin);
    expect(again.body.errors[0].extensions.code).toBe('NOT_FOUND');
  });

  it('RI-05: invalid input is BAD_USER_INPUT naming the field, and changes nothing', async () => {
    for (const [input, field] of [
      [{ id: 'https://x.example/#f', scopes: [] }, 'id'],
      [{ id: 'relative/path', scopes: [] }, 'id'],
      [{ id: 'https://x.example/', scopes: ['openid'] }, 'scopes'],
      [{ id: 'https://x.example/', scopes: ['a b'] }, 'scopes'],
      [{ id: 'https://x.example/', scopes: [], alg: 'HS256' }, 'alg'],
      [{ id: 'https://x.example/', scopes: [], accessTokenLifetime: 86_401 }, 'accessTokenLifetime'],
    ] as const) {
      const res = await expectNothingPersisted(p, () => gql(p, CREATE, { input }, admin));
      expect(res.body.errors?.[0]?.extensions, JSON.stringify(input)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    await gql(p, CREATE, { input: { id: 'urn:example:taken', scopes: [] } }, admin);
    const dup = await gql(p, CREATE, { input: { id: 'urn:example:taken', scopes: [] } }, admin);
    expect(dup.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    const missing = await gql(p, UPDATE, { id: 'urn:example:missing', input: { scopes: [] } }, admin);
    expect(missing.body.errors[0].extensions.code).toBe('NOT_FOUND');
  });

  it('needs the admin scope: a user token and a client token are refused, ∅DB', async () => {
    const svc = await p.createClient({ grantTypes: ['client_credentials'] });
    const service = await clientToken(p, svc);
    for (const token of [userToken, service, undefined]) {
      const res = await expectNothingPersisted(p, () => gql(p, CREATE, { input: { id: 'https://evil.example/', scopes: [] } }, token));
      expect(res.body.data?.createResource ?? null).toBeNull();
      expect(['FORBIDDEN', 'UNAUTHENTICATED']).toContain(res.body.errors[0].extensions.code);
      const list = await gql(p, LIST, {}, token);
      expect(list.body.data?.resources ?? null).toBeNull();
    }
  });

  it('mutations are audited with the resource id, never the input', async () => {
    await gql(p, UPDATE, { id: 'https://one.example/api', input: { scopes: ['one:read'] } }, admin);
    const events = p.logs.filter((l: any) => l.event === 'graphql.mutation' && l.fields?.includes('updateResource'));
    expect(events.at(-1)).toMatchObject({ outcome: 'success', admin: true, targets: { 'updateResource.id': 'https://one.example/api' } });
  });
});
