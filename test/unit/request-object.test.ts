/**
 * The unpacking of a request object's members into parameters (RFC 9101 §4, §6.3;
 * docs/SECURITY.md RO-01, RO-08), generic so that any parameter — `claims` (OIDC Core §5.5),
 * `resource` (RFC 8707) — works inside an object as it does outside: with a client_secret_jwt
 * client's MAC, a clock and an in-memory jti record instead of the database.
 */
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { RegisteredClient } from '../../src/clients/client-registry.js';
import { OAuthError } from '../../src/provider/errors.js';
import { readParams } from '../../src/provider/params.js';
import { unpackRequestObject, type RequestObjectContext } from '../../src/provider/authorization/request-object.js';

const ISSUER = 'https://op.example';
const SECRET = 's'.repeat(64);
const NOW = 1_900_000_000_000;
const used = new Set<string>();
const warnings: unknown[] = [];

const ctx = {
  issuer: ISSUER,
  settings: {} as RequestObjectContext['settings'],
  clock: { now: () => NOW },
  logger: { warn: (o: unknown) => warnings.push(o) } as unknown as RequestObjectContext['logger'],
  clientKeys: {} as RequestObjectContext['clientKeys'],
  assertions: { useOnce: async (client: string, jti: string) => !used.has(`${client} ${jti}`) && !!used.add(`${client} ${jti}`) } as unknown as RequestObjectContext['assertions'],
  keys: { encryption: { decrypt: () => Buffer.from(SECRET) } },
} as RequestObjectContext;

const client = { id: 'rp-1', tokenEndpointAuthMethod: 'client_secret_jwt', sealedSecret: 'sealed', secretExpiresAt: null, jwks: null, jwksUri: null } as unknown as RegisteredClient;

let n = 0;
function object(members: Record<string, unknown>): Promise<string> {
  const now = Math.floor(NOW / 1000);
  return new SignJWT({ iss: client.id, aud: ISSUER, iat: now, exp: now + 60, jti: `j-${++n}`, ...members }).setProtectedHeader({ alg: 'HS256', typ: 'oauth-authz-req+jwt' }).sign(new TextEncoder().encode(SECRET));
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const e = await promise.then(() => undefined, (f: unknown) => f);
  expect(e).toBeInstanceOf(OAuthError);
  expect((e as OAuthError).error).toBe('invalid_request_object');
  return (e as OAuthError).description;
}

describe('request object members as parameters', () => {
  it('RO-01 strings as they are, numbers and booleans as text, JSON members as JSON text, lists of strings repeated; the JWT\'s own claims left out', async () => {
    const claims = { id_token: { acr: { essential: true } }, userinfo: { email: null } };
    const params = await unpackRequestObject(ctx, client, await object({ response_type: 'code', scope: 'openid', max_age: 0, flag: true, claims, resource: ['https://a.example', 'https://b.example'], ui_locales: ['de'], sub: 'x', nbf: 1 }));
    expect(params).toEqual({ client_id: client.id, response_type: 'code', scope: 'openid', max_age: '0', flag: 'true', claims: JSON.stringify(claims), resource: ['https://a.example', 'https://b.example'], ui_locales: 'de' });
    const read = readParams(params);
    expect(read.all('resource')).toEqual(['https://a.example', 'https://b.example']);
    expect(JSON.parse(read.get('claims')!)).toEqual(claims);
    expect(read.duplicates).toEqual(['resource']);
  });

  it('RO-01 members with no parameter form (null, an empty list; lists of other things as JSON) and a __proto__ member', async () => {
    expect(await refusal(unpackRequestObject(ctx, client, await object({ scope: null })))).toMatch(/scope is not a parameter value/);
    expect(await refusal(unpackRequestObject(ctx, client, await object({ scope: [] })))).toMatch(/scope is not a parameter value/);
    const details = [{ type: 'payment' }];
    const params = await unpackRequestObject(ctx, client, await object({ authorization_details: details, ['__proto__']: 'x' }));
    expect(params.authorization_details).toBe(JSON.stringify(details));
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
    expect(Object.keys(params).sort()).toEqual(['authorization_details', 'client_id']);
  });

  it('RO-08 a request or request_uri inside the object is refused; RO-07 another client_id inside is refused', async () => {
    expect(await refusal(unpackRequestObject(ctx, client, await object({ request: 'x.y.z' })))).toMatch(/must not contain request/);
    expect(await refusal(unpackRequestObject(ctx, client, await object({ request_uri: 'urn:ietf:params:oauth:request_uri:x' })))).toMatch(/must not contain request_uri/);
    expect(await refusal(unpackRequestObject(ctx, client, await object({ client_id: 'rp-2' })))).toMatch(/client_id is not the client's/);
  });

  it('RO-06 the same object twice: the second is refused and logged', async () => {
    const jwt = await object({ scope: 'openid' });
    await unpackRequestObject(ctx, client, jwt);
    expect(await refusal(unpackRequestObject(ctx, client, jwt))).toMatch(/already used/);
    expect(warnings).toContainEqual(expect.objectContaining({ event: 'request_object.replayed', client: client.id }));
  });
});
