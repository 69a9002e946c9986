/**
 * docs/SECURITY.md JW-23, server-side request forgery through the provider's outbound fetches. The
 * row applies to a provider that fetches a client's `jwks_uri`, `request_uri` or
 * `sector_identifier_uri`; this one fetches none of them (request objects by value only,
 * checked with keys an administrator registered; public subjects only, no dynamic registration
 * here). These tests hold it to that: every
 * such URI sent to it points at a TCP listener on loopback (or at the cloud metadata address),
 * the provider answers with an error, and no connection ever reaches the listener.
 */
import { createServer, type Server } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientError, ClientService, type CreateClientInput, type UpdateClientInput } from '../../src/clients/client-service.js';
import { authorizeUrl, expectNothingPersisted, pkcePair, startProvider, type TestProvider } from '../support/provider.js';

type Client = Awaited<ReturnType<TestProvider['createClient']>>;

const METADATA_URL = 'http://169.254.169.254/latest/meta-data/';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let p: TestProvider;
let rp1: Client;
let trap: Server;
let trapUrl: string;
/** Remote addresses of every connection the listener accepted. */
const connections: string[] = [];

beforeAll(async () => {
  trap = createServer((socket) => {
    connections.push(`${socket.remoteAddress}:${socket.remotePort}`);
    socket.destroy();
  });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  const { port } = trap.address() as { port: number };
  trapUrl = `http://127.0.0.1:${port}`;
  p = await startProvider();
  rp1 = await p.createClient({ redirectUris: ['https://rp.example/cb'] });
});

afterAll(async () => {
  await p?.close();
  await new Promise((resolve) => trap?.close(resolve));
});

/** Anything the provider fetched, even in the background after answering, would have arrived by now. */
async function expectNoConnection(): Promise<void> {
  await sleep(300);
  expect(connections, 'the provider opened a connection to a client-supplied URI').toEqual([]);
}

function get(url: string): Promise<Response> {
  return fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
}

function codeRequest(extra: Record<string, string>): Record<string, string> {
  return { client_id: rp1.clientId, redirect_uri: rp1.redirectUri, response_type: 'code', scope: 'openid', state: 'st-ssrf', code_challenge: pkcePair().challenge, code_challenge_method: 'S256', ...extra };
}

/** An authorization error at the registered URI (RFC 6749 §4.1.2.1, RFC 9207): nothing issued. */
async function expectAuthzError(res: Response, error: string): Promise<void> {
  const body = await res.text();
  expect([302, 303], body.slice(0, 300)).toContain(res.status);
  const location = new URL(res.headers.get('location')!);
  expect(`${location.origin}${location.pathname}`).toBe(rp1.redirectUri);
  expect(location.searchParams.get('error'), location.toString()).toBe(error);
  expect(location.searchParams.get('state')).toBe('st-ssrf');
  expect(location.searchParams.get('iss')).toBe(p.issuer);
  expect(location.searchParams.get('code')).toBeNull();
}

describe('JW-23 the provider fetches no client-supplied URI', () => {
  it('JW-23 control: the listener does see a connection from this process', async () => {
    await expect(fetch(`${trapUrl}/probe`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
    await sleep(50);
    expect(connections).toHaveLength(1);
    connections.length = 0;
  });

  it('JW-23 request_uri at the cloud metadata address or at a loopback listener: request_uri_not_supported, no connection, ∅DB', async () => {
    for (const requestUri of [METADATA_URL, `${trapUrl}/request.jwt`, `http://localhost:${new URL(trapUrl).port}/request.jwt`]) {
      const res = await expectNothingPersisted(p, () => get(authorizeUrl(p, codeRequest({ request_uri: requestUri }))));
      await expectAuthzError(res, 'request_uri_not_supported');
      // With no client to trust, an error page and no redirect; nothing fetched either.
      const unknown = await expectNothingPersisted(p, () => get(authorizeUrl(p, { client_id: 'nope', response_type: 'code', scope: 'openid', request_uri: requestUri })));
      expect(unknown.status, requestUri).toBe(400);
      expect(unknown.headers.get('location')).toBeNull();
    }
    await expectNoConnection();
  });

  it('JW-23 jwks_uri and sector_identifier_uri offered in a `registration` parameter are never fetched', async () => {
    const registration = JSON.stringify({ jwks_uri: `${trapUrl}/jwks`, sector_identifier_uri: `${trapUrl}/sector`, request_uris: [`${trapUrl}/r`] });
    const withRequestUri = await get(authorizeUrl(p, codeRequest({ registration, request_uri: `${trapUrl}/request.jwt` })));
    await expectAuthzError(withRequestUri, 'request_uri_not_supported');
    // On its own the parameter is ignored (RFC 6749 §3.1: unknown parameters are), and the login starts.
    const alone = await get(authorizeUrl(p, codeRequest({ registration })));
    expect(alone.status).toBeLessThan(500);
    expect(alone.headers.get('location') ?? '').not.toContain(trapUrl);
    await expectNoConnection();
  });

  it('JW-23 client metadata cannot hold request_uris or sector_identifier_uri, nor a jwks_uri or private_key_jwt without the other (keys belong to private_key_jwt clients, whose jwks_uri is fetched from public addresses only: CA-06): refused, ∅DB', async () => {
    const clients = new ClientService(p.db.orm.em);
    const extras: Record<string, unknown>[] = [
      { jwksUri: `${trapUrl}/jwks` },
      { jwks_uri: METADATA_URL },
      { requestUris: [`${trapUrl}/r`] },
      { sectorIdentifierUri: `${trapUrl}/sector` },
      { tokenEndpointAuthMethod: 'private_key_jwt' },
    ];
    for (const extra of extras) {
      await expectNothingPersisted(p, async () => {
        await expect(clients.create({ name: 'SSRF', redirectUris: ['https://rp.example/cb'], ...extra } as CreateClientInput), JSON.stringify(extra)).rejects.toBeInstanceOf(ClientError);
        await expect(clients.update(rp1.clientId, extra as UpdateClientInput), JSON.stringify(extra)).rejects.toBeInstanceOf(ClientError);
      });
    }
    await expectNoConnection();
  });

  it('JW-23 a client assertion whose jku / x5u point at the listener: 401 invalid_client, no connection, ∅DB', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ iss: rp1.clientId, sub: rp1.clientId, aud: `${p.issuer}/token`, jti: 'j-ssrf', iat: now, exp: now + 60 })
      .setProtectedHeader({ alg: 'RS256', kid: 'attacker', jku: `${trapUrl}/jwks`, x5u: `${trapUrl}/cert.pem` })
      .sign(privateKey);
    const res = await expectNothingPersisted(p, () =>
      fetch(`${p.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: rp1.clientId, client_assertion_type: ASSERTION_TYPE, client_assertion: assertion }),
        signal: AbortSignal.timeout(5000),
      }),
    );
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_client');
    await expectNoConnection();
  });

  it('JW-23 a request object whose jku / x5u / jwk point at the listener or carry the key: invalid_request_object, no connection, ∅DB', async () => {
    const registered = await generateKeyPair('ES256', { extractable: true });
    const keyed = await p.createClient({ redirectUris: ['https://rp.example/cb'], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ ...(await exportJWK(registered.publicKey)), kid: 'registered', alg: 'ES256' }] } });
    const attacker = await generateKeyPair('ES256', { extractable: true });
    const now = Math.floor(Date.now() / 1000);
    const request = await new SignJWT({ ...codeRequest({ client_id: keyed.clientId }), iss: keyed.clientId, aud: p.issuer, jti: 'jti-ssrf', iat: now, exp: now + 60 })
      .setProtectedHeader({ alg: 'ES256', typ: 'oauth-authz-req+jwt', kid: 'attacker', jku: `${trapUrl}/jwks`, x5u: `${trapUrl}/cert.pem`, jwk: await exportJWK(attacker.publicKey) })
      .sign(attacker.privateKey);
    const res = await expectNothingPersisted(p, () => get(authorizeUrl(p, { client_id: keyed.clientId, request })));
    const location = new URL(res.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request_object');
    expect(location.searchParams.get('code')).toBeNull();
    await expectNoConnection();
  });

  it('JW-23 an id_token_hint whose jku / x5u point at the listener (authorization and logout): refused, no connection', async () => {
    const { keys } = (await (await fetch(`${p.issuer}/jwks`)).json()) as { keys: { kid: string; alg: string }[] };
    const { privateKey } = await generateKeyPair('ES256');
    const now = Math.floor(Date.now() / 1000);
    const hint = await new SignJWT({ iss: p.issuer, sub: 'someone', aud: rp1.clientId, iat: now, exp: now + 60 })
      .setProtectedHeader({ alg: 'ES256', kid: keys.find((k) => k.alg === 'ES256')?.kid ?? 'attacker', jku: `${trapUrl}/jwks`, x5u: `${trapUrl}/cert.pem` })
      .sign(privateKey);
    const res = await expectNothingPersisted(p, () => get(authorizeUrl(p, codeRequest({ id_token_hint: hint }))));
    await expectAuthzError(res, 'invalid_request');
    const logout = await get(`${p.issuer}/session/end?${new URLSearchParams({ id_token_hint: hint, client_id: rp1.clientId, post_logout_redirect_uri: `${trapUrl}/bye` })}`);
    expect(logout.status).toBeLessThan(500);
    expect(logout.headers.get('location') ?? '').not.toContain(trapUrl);
    await logout.text();
    await expectNoConnection();
  });

  it('JW-23 discovery offers nothing that would make the provider fetch on a request\'s say-so: request objects by value only, no registration or pairwise subjects (private_key_jwt fetches only an administrator\'s jwks_uri, CA-06; client_secret_jwt fetches nothing)', async () => {
    const meta = (await (await fetch(`${p.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(meta.request_uri_parameter_supported).toBe(false);
    expect(meta.request_parameter_supported).toBe(true);
    expect(meta.registration_endpoint).toBeUndefined();
    expect(meta.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none']);
    expect(meta.subject_types_supported).toEqual(['public']);
    await expectNoConnection();
  });
});
