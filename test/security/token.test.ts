/**
 * docs/SECURITY.md section B, the OP token endpoint: rows TK-01 … TK-22 (TK-10 and TK-11 do not
 * exist). Every attack runs over real HTTP against a provider on loopback with its own database.
 * Where a row says ∅DB, the database is compared before and after the request; where it says
 * "introspection → active:false" (the provider has no introspection endpoint yet), the access
 * token must fail at userinfo (401 invalid_token) and the refresh token at the refresh grant.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientService } from '../../src/clients/client-service.js';
import { ManualClock } from '../../src/clock.js';
import { UserService } from '../../src/users/user-service.js';
import { CookieJar, expectNothingPersisted, login, pkcePair, startProvider, tokenRequest, tokensFor, type TestProvider } from '../support/provider.js';
import { query } from '../support/database.js';

type Client = Awaited<ReturnType<TestProvider['createClient']>>;
type User = Awaited<ReturnType<TestProvider['createUser']>>;
type Json = Record<string, unknown>;

const SCOPE = 'openid profile email offline_access';
const NONCE = 'n-0S6_WzA2Mj';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha256 = (v: string) => createHash('sha256').update(v, 'utf8').digest('base64url');
const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** One SQL statement against the provider's own database. */
const sql = <T = Record<string, unknown>>(p: TestProvider, text: string, params: unknown[] = []) => query<T>(p.databaseUrl, text, params);

/** The payload of a JWT, unverified (for comparing claims). */
function claimsOf(jwt: string): Json {
  const [, payload] = jwt.split('.');
  return JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Json;
}

/** Logs in through the real pages; returns the code (not redeemed) and the PKCE verifier. */
async function codeFor(p: TestProvider, client: Client, user: User, o: { scope?: string; challenge?: null } = {}): Promise<{ code: string; verifier?: string }> {
  const { location, verifier } = await login(p, { clientId: client.clientId, redirectUri: client.redirectUri, username: user.username, scope: o.scope ?? SCOPE, nonce: NONCE, challenge: o.challenge });
  const code = location.searchParams.get('code');
  expect(code, location.toString()).toBeTruthy();
  return { code: code!, verifier };
}

function redeem(p: TestProvider, client: Pick<Client, 'clientId' | 'clientSecret' | 'redirectUri'>, code: string, verifier: string | undefined, extra: Record<string, string | undefined> = {}) {
  const fields: Record<string, string> = { grant_type: 'authorization_code', code, redirect_uri: client.redirectUri };
  if (verifier !== undefined) fields.code_verifier = verifier;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete fields[k];
    else fields[k] = v;
  }
  return tokenRequest(p, fields, client);
}

function refresh(p: TestProvider, client: Pick<Client, 'clientId' | 'clientSecret'>, refreshToken: string, extra: Record<string, string> = {}) {
  return tokenRequest(p, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }, client);
}

function userinfo(p: TestProvider, accessToken: string): Promise<Response> {
  return fetch(`${p.issuer}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
}

/** A token-endpoint error per RFC 6749 §5.2: the status, the code, no-store, JSON, no tokens. */
async function expectError(res: Response, status: number | number[], error: string | string[]): Promise<Json> {
  const text = await res.text();
  expect(Array.isArray(status) ? status : [status], text).toContain(res.status);
  expect(res.headers.get('cache-control'), 'Cache-Control').toMatch(/\bno-store\b/);
  expect(res.headers.get('content-type'), 'Content-Type').toMatch(/^application\/json\b/);
  const body = JSON.parse(text) as Json;
  expect(Array.isArray(error) ? error : [error], text).toContain(body.error);
  for (const key of ['access_token', 'refresh_token', 'id_token']) expect(body, text).not.toHaveProperty(key);
  return body;
}

async function expectTokens(res: Response): Promise<{ access_token: string; refresh_token?: string; id_token?: string; scope: string; token_type: string; expires_in: number }> {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get('cache-control')).toMatch(/\bno-store\b/);
  const body = JSON.parse(text);
  expect(typeof body.access_token).toBe('string');
  return body;
}

/** A dead access token: userinfo answers 401 invalid_token (RFC 6750 §3.1). */
async function expectDeadAccessToken(p: TestProvider, accessToken: string): Promise<void> {
  const res = await userinfo(p, accessToken);
  const text = await res.text();
  expect(res.status, text).toBe(401);
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
}

async function expectLiveAccessToken(p: TestProvider, accessToken: string): Promise<void> {
  const res = await userinfo(p, accessToken);
  const text = await res.text();
  expect(res.status, text).toBe(200);
}

/** A dead refresh token: the refresh grant answers invalid_grant. */
async function expectDeadRefreshToken(p: TestProvider, client: Client, refreshToken: string): Promise<void> {
  await expectError(await refresh(p, client, refreshToken), 400, 'invalid_grant');
}

async function refreshTokenCount(p: TestProvider, grantId: string): Promise<number> {
  const [row] = await sql<{ n: number }>(p, 'select count(*)::int as n from refresh_tokens where grant_id = $1', [grantId]);
  return row!.n;
}

async function grantOfCode(p: TestProvider, code: string): Promise<string> {
  const [row] = await sql<{ grant_id: string }>(p, 'select grant_id from authorization_codes where code_hash = $1', [sha256(code)]);
  expect(row, 'the code is stored (as a digest)').toBeDefined();
  return row!.grant_id;
}

// ------------------------------------------------------------------------------------------------

let provider: TestProvider;
let alice: User;
let rp1: Client;
let rp2: Client;

beforeAll(async () => {
  // LOGIN_FAILURE_LIMIT 1000: the per-client throttle (4× this) stays out of the way of the
  // rows that send many wrong secrets on purpose (TK-12); TK-13 has providers of its own.
  provider = await startProvider({ JWT_OIDC_LOGIN_FAILURE_LIMIT: '1000', JWT_OIDC_API_SCOPES: 'api:read' });
  alice = await provider.createUser({ username: 'alice' });
  rp1 = await provider.createClient({ id: 'rp1' });
  rp2 = await provider.createClient({ id: 'rp2' });
});
afterAll(() => provider?.close());

describe('TK-01 authorization code reuse', () => {
  it('TK-01: a code redeemed twice immediately: invalid_grant, every token of the first redemption revoked, no new token rows', async () => {
    const { code, verifier } = await codeFor(provider, rp1, alice);
    const first = await expectTokens(await redeem(provider, rp1, code, verifier));
    expect(first.refresh_token).toBeTruthy();
    const grantId = await grantOfCode(provider, code);
    expect(await refreshTokenCount(provider, grantId)).toBe(1);

    await expectError(await redeem(provider, rp1, code, verifier), 400, 'invalid_grant');

    expect(await refreshTokenCount(provider, grantId), 'the replay must not issue a refresh token').toBe(1);
    await expectDeadAccessToken(provider, first.access_token);
    await expectDeadRefreshToken(provider, rp1, first.refresh_token!);
  });

  it('TK-01: a code whose tokens were used is replayed later (the 30 s variant, with a second code): invalid_grant and its tokens revoked', async () => {
    const { code, verifier } = await codeFor(provider, rp1, alice);
    const first = await expectTokens(await redeem(provider, rp1, code, verifier));
    await expectLiveAccessToken(provider, first.access_token);
    await sleep(1100);

    await expectError(await redeem(provider, rp1, code, verifier), 400, 'invalid_grant');

    await expectDeadAccessToken(provider, first.access_token);
    await expectDeadRefreshToken(provider, rp1, first.refresh_token!);
    expect(await refreshTokenCount(provider, await grantOfCode(provider, code))).toBe(1);
  });
});

describe('TK-02 parallel code redemption', () => {
  it('TK-02: 20 parallel redemptions of one code: exactly one 200, the rest invalid_grant, one refresh token in the DB', async () => {
    const { code, verifier } = await codeFor(provider, rp1, alice);
    const responses = await Promise.all(Array.from({ length: 20 }, () => redeem(provider, rp1, code, verifier)));
    const results = await Promise.all(responses.map(async (r) => ({ status: r.status, body: (await r.json()) as Json })));
    const ok = results.filter((r) => r.status === 200);
    expect(ok, JSON.stringify(results.map((r) => r.status))).toHaveLength(1);
    expect(ok[0]!.body.access_token).toBeTruthy();
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_grant');
      expect(r.body).not.toHaveProperty('access_token');
    }
    expect(await refreshTokenCount(provider, await grantOfCode(provider, code))).toBe(1);
  });
});

describe('TK-03 code bound to its client', () => {
  it("TK-03: rp1's code redeemed with rp2's credentials: invalid_grant, ∅DB; the code still works for rp1", async () => {
    const { code, verifier } = await codeFor(provider, rp1, alice);
    await expectNothingPersisted(provider, async () => {
      await expectError(await redeem(provider, rp2, code, verifier), 400, 'invalid_grant');
    });
    await expectTokens(await redeem(provider, rp1, code, verifier));
  });
});

describe('TK-04 redirect_uri at the token endpoint', () => {
  it('TK-04: a different redirect_uri: invalid_grant, no tokens (∅DB)', async () => {
    const { code, verifier } = await codeFor(provider, rp1, alice);
    await expectNothingPersisted(provider, async () => {
      await expectError(await redeem(provider, rp1, code, verifier, { redirect_uri: 'https://rp.example/other' }), 400, 'invalid_grant');
      await expectError(await redeem(provider, rp1, code, verifier, { redirect_uri: 'https://rp.example/cb/' }), 400, 'invalid_grant');
      await expectError(await redeem(provider, rp1, code, verifier, { redirect_uri: 'https://evil.example/cb' }), 400, 'invalid_grant');
    });
  });

  it('TK-04: redirect_uri omitted although the authorization request sent one: invalid_request (or invalid_grant), no tokens (∅DB)', async () => {
    const { code, verifier } = await codeFor(provider, rp1, alice);
    await expectNothingPersisted(provider, async () => {
      await expectError(await redeem(provider, rp1, code, verifier, { redirect_uri: undefined }), 400, ['invalid_request', 'invalid_grant']);
    });
  });
});

describe('TK-05 expired code', () => {
  // The provider's clock is moved past the code's lifetime rather than waited on.
  const clock = new ManualClock();
  let short: TestProvider;
  let user: User;
  let client: Client;
  beforeAll(async () => {
    short = await startProvider({ JWT_OIDC_AUTHORIZATION_CODE_EXPIRATION_TIME: '1' }, { clock });
    user = await short.createUser();
    client = await short.createClient();
  });
  afterAll(() => short?.close());

  it('TK-05: a code redeemed after its lifetime (1 s TTL, redeemed after 1.3 s): invalid_grant, no tokens', async () => {
    const { code, verifier } = await codeFor(short, client, user);
    clock.advance(1300);
    await expectNothingPersisted(short, async () => {
      await expectError(await redeem(short, client, code, verifier), 400, 'invalid_grant');
    });
  });
});

describe('TK-06 wrong PKCE verifier', () => {
  it('TK-06: the correct code with a wrong but well-formed code_verifier: invalid_grant, ∅DB', async () => {
    const { code } = await codeFor(provider, rp1, alice);
    await expectNothingPersisted(provider, async () => {
      await expectError(await redeem(provider, rp1, code, pkcePair().verifier), 400, 'invalid_grant');
      await expectError(await redeem(provider, rp1, code, 'a'.repeat(43)), 400, 'invalid_grant');
    });
  });
});

describe('TK-07 missing or malformed PKCE verifier', () => {
  it('TK-07: code_verifier omitted although a challenge was sent: invalid_grant, ∅DB', async () => {
    const { code } = await codeFor(provider, rp1, alice);
    await expectNothingPersisted(provider, async () => {
      await expectError(await redeem(provider, rp1, code, undefined), 400, 'invalid_grant');
    });
  });

  it('TK-07: a verifier of 42 or 129 characters, or containing "+": invalid_request, ∅DB; the code then still works with the right verifier', async () => {
    const { code, verifier } = await codeFor(provider, rp1, alice);
    await expectNothingPersisted(provider, async () => {
      for (const bad of ['a'.repeat(42), 'a'.repeat(129), `${'a'.repeat(42)}+`, `${verifier!.slice(0, 42)}+`, `${'a'.repeat(42)} `, `${'a'.repeat(42)}=`]) {
        await expectError(await redeem(provider, rp1, code, bad), 400, 'invalid_request');
      }
    });
    await expectTokens(await redeem(provider, rp1, code, verifier));
  });
});

describe('TK-08 PKCE downgrade', () => {
  it('TK-08: a code issued without code_challenge, redeemed with a valid-looking code_verifier: invalid_grant, no tokens (∅DB)', async () => {
    const { code } = await codeFor(provider, rp1, alice, { challenge: null });
    await expectNothingPersisted(provider, async () => {
      await expectError(await redeem(provider, rp1, code, pkcePair().verifier), 400, 'invalid_grant');
      await expectError(await redeem(provider, rp1, code, 'A'.repeat(128)), 400, 'invalid_grant');
    });
  });

  it('TK-08 (control): the same kind of code without a verifier is redeemed (confidential client, no PKCE)', async () => {
    const { code } = await codeFor(provider, rp1, alice, { challenge: null });
    await expectTokens(await redeem(provider, rp1, code, undefined));
  });
});

describe('TK-09 client authentication failures', () => {
  let client: Client;
  beforeAll(async () => {
    client = await provider.createClient({ id: 'tk09' });
  });

  /** A request that passes client authentication only with good credentials: a bogus code. */
  const probe = { grant_type: 'authorization_code', code: 'no-such-code', redirect_uri: 'https://rp.example/cb' };

  it('TK-09 (control): the right secret passes client authentication (then invalid_grant for a bogus code)', async () => {
    await expectError(await tokenRequest(provider, probe, client), 400, 'invalid_grant');
    await expectError(await tokenRequest(provider, { ...probe, client_id: client.clientId, client_secret: client.clientSecret! }), 400, 'invalid_grant');
  });

  it('TK-09: a wrong client_secret via HTTP Basic: 401 invalid_client with WWW-Authenticate: Basic, ∅DB', async () => {
    const { code, verifier } = await codeFor(provider, client, alice);
    await expectNothingPersisted(provider, async () => {
      for (const secret of [`${client.clientSecret!.slice(0, -1)}${client.clientSecret!.endsWith('A') ? 'B' : 'A'}`, 'wrong', '']) {
        const res = await redeem(provider, { ...client, clientSecret: secret }, code, verifier);
        expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
        await expectError(res, 401, 'invalid_client');
      }
    });
    await expectTokens(await redeem(provider, client, code, verifier));
  });

  it('TK-09: a wrong client_secret in the POST body (client_secret_post): 400/401 invalid_client, ∅DB', async () => {
    const { code, verifier } = await codeFor(provider, client, alice);
    await expectNothingPersisted(provider, async () => {
      const res = await tokenRequest(provider, { grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: verifier!, client_id: client.clientId, client_secret: `${client.clientSecret![0] === 'x' ? 'y' : 'x'}${client.clientSecret!.slice(1)}` });
      await expectError(res, [400, 401], 'invalid_client');
    });
    await expectTokens(await redeem(provider, client, code, verifier));
  });

  it('TK-09: a confidential client sending no credentials (client_id only, or nothing): invalid_client, ∅DB', async () => {
    const { code, verifier } = await codeFor(provider, client, alice);
    await expectNothingPersisted(provider, async () => {
      await expectError(await redeem(provider, { clientId: client.clientId, redirectUri: client.redirectUri }, code, verifier), [400, 401], 'invalid_client');
      await expectError(await tokenRequest(provider, { grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: verifier! }), [400, 401], 'invalid_client');
    });
  });

  it('TK-09: two authentication methods at once (Basic and client_secret in the body): invalid_request, ∅DB', async () => {
    const { code, verifier } = await codeFor(provider, client, alice);
    await expectNothingPersisted(provider, async () => {
      const res = await tokenRequest(provider, { grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: verifier!, client_secret: client.clientSecret! }, client);
      await expectError(res, 400, 'invalid_request');
    });
  });

  it('TK-09: an expired secret: invalid_client (Basic: 401), no tokens', async () => {
    const expiring = await provider.createClient({ id: 'tk09-expired' });
    const { code, verifier } = await codeFor(provider, expiring, alice);
    await sql(provider, `update clients set secret_expires_at = now() - interval '1 hour' where id = $1`, [expiring.clientId]);
    await provider.provider!.clients.reload();
    await expectNothingPersisted(provider, async () => {
      const res = await redeem(provider, expiring, code, verifier);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
      await expectError(res, 401, 'invalid_client');
      const post = await tokenRequest(provider, { grant_type: 'authorization_code', code, redirect_uri: expiring.redirectUri, code_verifier: verifier!, client_id: expiring.clientId, client_secret: expiring.clientSecret! });
      await expectError(post, [400, 401], 'invalid_client');
    });
  });
});

describe('TK-12 no timing oracle on client secrets', () => {
  let client: Client;
  beforeAll(async () => {
    client = await provider.createClient({ id: 'tk12' });
  });

  it('TK-12: the stored secret is a digest: clients.secret_hash never equals the secret and is 43 base64url characters', async () => {
    const rows = await sql<{ id: string; secret_hash: string }>(provider, 'select id, secret_hash from clients where id = any($1)', [[client.clientId, rp1.clientId, rp2.clientId]]);
    const secrets: Record<string, string> = { [client.clientId]: client.clientSecret!, [rp1.clientId]: rp1.clientSecret!, [rp2.clientId]: rp2.clientSecret! };
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.secret_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(row.secret_hash).not.toBe(secrets[row.id]);
      expect(row.secret_hash).not.toContain(secrets[row.id]!.slice(0, 16));
    }
  });

  /** Status, body and headers, without the ones that differ per request. */
  async function shape(res: Response) {
    const headers: string[] = [];
    res.headers.forEach((value, name) => {
      if (!['date', 'x-request-id', 'request-id', 'connection', 'keep-alive'].includes(name)) headers.push(`${name}: ${value}`);
    });
    headers.sort();
    return { status: res.status, headers, body: await res.text() };
  }

  it('TK-12: a wrong secret of equal length, of another length, with N−1 right leading bytes, and an unknown client: byte-identical answers', async () => {
    const secret = client.clientSecret!;
    const flip = (c: string) => (c === 'A' ? 'B' : 'A');
    const cases = {
      equalLength: { clientId: client.clientId, clientSecret: randomBytes(32).toString('base64url') },
      prefixNMinus1: { clientId: client.clientId, clientSecret: `${secret.slice(0, -1)}${flip(secret.at(-1)!)}` },
      shorter: { clientId: client.clientId, clientSecret: 'x' },
      longer: { clientId: client.clientId, clientSecret: `${secret}${secret}` },
      unknownClient: { clientId: 'no-such-client', clientSecret: secret },
    };
    const probe = { grant_type: 'authorization_code', code: 'no-such-code', redirect_uri: 'https://rp.example/cb' };
    const shapes: Record<string, Awaited<ReturnType<typeof shape>>> = {};
    for (const [name, auth] of Object.entries(cases)) shapes[name] = await shape(await tokenRequest(provider, probe, auth));
    expect(shapes.equalLength!.status).toBe(401);
    expect(JSON.parse(shapes.equalLength!.body).error).toBe('invalid_client');
    for (const [name, s] of Object.entries(shapes)) expect(s, name).toEqual(shapes.equalLength);

    // client_secret_post too: an unknown client and a known one with a wrong secret look alike.
    const post = async (clientId: string, clientSecret: string) => shape(await tokenRequest(provider, { ...probe, client_id: clientId, client_secret: clientSecret }));
    const known = await post(client.clientId, 'wrong');
    expect(await post('no-such-client', 'wrong')).toEqual(known);
    expect(await post(client.clientId, `${secret.slice(0, -1)}${flip(secret.at(-1)!)}`)).toEqual(known);
  });

  it('TK-12: gross timing sanity: no class of wrong secret is answered more than 3× slower (median) than another', async () => {
    const secret = client.clientSecret!;
    const classes: Record<string, { clientId: string; clientSecret: string }> = {
      zeroPrefix: { clientId: client.clientId, clientSecret: `${secret[0] === 'A' ? 'B' : 'A'}${randomBytes(32).toString('base64url').slice(1)}` },
      nMinus1Prefix: { clientId: client.clientId, clientSecret: `${secret.slice(0, -1)}${secret.at(-1) === 'A' ? 'B' : 'A'}` },
      otherLength: { clientId: client.clientId, clientSecret: 'x'.repeat(7) },
      unknownClient: { clientId: 'no-such-client-tk12', clientSecret: secret },
    };
    const probe = { grant_type: 'authorization_code', code: 'no-such-code', redirect_uri: 'https://rp.example/cb' };
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(classes).map((k) => [k, []]));
    for (let round = 0; round < 150; round++) {
      for (const [name, auth] of Object.entries(classes)) {
        const start = process.hrtime.bigint();
        const res = await tokenRequest(provider, probe, auth);
        await res.arrayBuffer();
        times[name]!.push(Number(process.hrtime.bigint() - start));
        expect(res.status).toBe(401);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const medians = Object.values(times).map(median);
    expect(Math.max(...medians) / Math.min(...medians), JSON.stringify(Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])))).toBeLessThan(3);
  });
});

describe('TK-13 online guessing of secrets and codes', () => {
  const LIMIT = 20;
  // One provider per kind of guessing: the throttle counts per address, and every test request
  // comes from 127.0.0.1.
  let guessing: TestProvider;
  let codes: TestProvider;
  let refreshTokens: TestProvider;
  beforeAll(async () => {
    [guessing, codes, refreshTokens] = await Promise.all([1, 2, 3].map(() => startProvider({ JWT_OIDC_LOGIN_ADDRESS_FAILURE_LIMIT: String(LIMIT) })));
  });
  afterAll(async () => {
    await Promise.all([guessing?.close(), codes?.close(), refreshTokens?.close()]);
  });

  async function expectThrottled(res: Response): Promise<void> {
    const text = await res.text();
    expect(res.status, text).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(res.headers.get('cache-control')).toMatch(/\bno-store\b/);
    const body = JSON.parse(text) as Json;
    expect(typeof body.error).toBe('string');
    expect(body).not.toHaveProperty('access_token');
  }

  it('TK-13: many bad secrets for one client from one address end in 429 with Retry-After (the right secret included)', async () => {
    const client = await guessing.createClient({ id: 'rp1' });
    const probe = { grant_type: 'authorization_code', code: 'no-such-code', redirect_uri: client.redirectUri };
    const statuses: number[] = [];
    for (let i = 0; i < 60 && !statuses.includes(429); i++) {
      const res = await tokenRequest(guessing, probe, { clientId: client.clientId, clientSecret: randomBytes(32).toString('base64url') });
      statuses.push(res.status);
      if (res.status === 429) await expectThrottled(res);
      else await expectError(res, 401, 'invalid_client');
    }
    expect(statuses.indexOf(429), JSON.stringify(statuses)).toBeGreaterThan(0);
    expect(statuses.indexOf(429)).toBeLessThanOrEqual(LIMIT);
    // During the lockout the right secret is not silently accepted.
    await expectThrottled(await tokenRequest(guessing, probe, client));
  });

  it('TK-13: many random codes from one address end in 429 with Retry-After', async () => {
    const client = await codes.createClient({ id: 'rp1' });
    const statuses: number[] = [];
    for (let i = 0; i < 60 && !statuses.includes(429); i++) {
      const res = await tokenRequest(codes, { grant_type: 'authorization_code', code: randomBytes(32).toString('base64url'), redirect_uri: client.redirectUri, code_verifier: pkcePair().verifier }, client);
      statuses.push(res.status);
      if (res.status === 429) await expectThrottled(res);
      else await expectError(res, 400, 'invalid_grant');
    }
    expect(statuses.indexOf(429), JSON.stringify(statuses)).toBeGreaterThan(0);
    expect(statuses.indexOf(429)).toBeLessThanOrEqual(LIMIT);
  });

  it('TK-13 (same rule): many random refresh tokens from one address end in 429 with Retry-After', async () => {
    const client = await refreshTokens.createClient({ id: 'rp1' });
    const statuses: number[] = [];
    for (let i = 0; i < 60 && !statuses.includes(429); i++) {
      const res = await refresh(refreshTokens, client, randomBytes(32).toString('base64url'));
      statuses.push(res.status);
      if (res.status === 429) await expectThrottled(res);
      else await expectError(res, 400, 'invalid_grant');
    }
    expect(statuses.indexOf(429), JSON.stringify(statuses)).toBeGreaterThan(0);
    expect(statuses.indexOf(429)).toBeLessThanOrEqual(LIMIT);
  });

  it('TK-13: codes, refresh tokens and client secrets carry at least 128 bits (length and alphabet), and differ every time', async () => {
    const secrets = await Promise.all([provider.createClient(), provider.createClient()]);
    for (const c of secrets) expect(c.clientSecret).toMatch(/^[A-Za-z0-9_-]{43,}$/); // ≥ 43 × 6 = 258 bits
    expect(secrets[0]!.clientSecret).not.toBe(secrets[1]!.clientSecret);

    const a = await codeFor(provider, rp1, alice);
    const b = await codeFor(provider, rp1, alice);
    for (const { code } of [a, b]) expect(code).toMatch(/^[A-Za-z0-9_-]{22,}$/); // ≥ 22 × 6 = 132 bits
    expect(a.code.length * 6).toBeGreaterThanOrEqual(128);
    expect(a.code).not.toBe(b.code);
    const tokens = await expectTokens(await redeem(provider, rp1, a.code, a.verifier));
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{22,}$/);
  });
});

describe('TK-14 client assertions of a client with a secret for Basic or form: one method per client (client_secret_jwt: test/integration/client-secret-jwt.test.ts; private_key_jwt: test/integration/private-key-jwt.test.ts)', () => {
  const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

  function hs256(payload: Json, key: string): string {
    const head = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}`;
    return `${head}.${createHmac('sha256', key).update(head).digest('base64url')}`;
  }

  it('TK-14: any client_assertion (alg none, HS256 with the secret, wrong aud, expired, no sub, iss ≠ client_id, reused jti): 401 invalid_client, ∅DB', async () => {
    const { code, verifier } = await codeFor(provider, rp1, alice);
    const now = Math.floor(Date.now() / 1000);
    const good = { iss: rp1.clientId, sub: rp1.clientId, aud: `${provider.issuer}/token`, jti: randomBytes(8).toString('hex'), iat: now, exp: now + 60 };
    const assertions = {
      algNone: `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(good)}.`,
      hs256WithSecret: hs256(good, rp1.clientSecret!),
      wrongAud: hs256({ ...good, aud: 'https://other.example/token' }, rp1.clientSecret!),
      expired: hs256({ ...good, iat: now - 600, exp: now - 300 }, rp1.clientSecret!),
      noSub: hs256({ ...good, sub: undefined }, rp1.clientSecret!),
      issNotClient: hs256({ ...good, iss: rp2.clientId }, rp1.clientSecret!),
      garbage: 'not-a-jwt',
    };
    const fields = { grant_type: 'authorization_code', code, redirect_uri: rp1.redirectUri, code_verifier: verifier! };
    await expectNothingPersisted(provider, async () => {
      for (const [name, assertion] of Object.entries(assertions)) {
        const res = await tokenRequest(provider, { ...fields, client_id: rp1.clientId, client_assertion_type: ASSERTION_TYPE, client_assertion: assertion });
        expect(res.status, name).toBe(401);
        await expectError(res, 401, 'invalid_client');
      }
      // The same assertion twice (a reused jti), and an assertion next to good Basic credentials.
      await expectError(await tokenRequest(provider, { ...fields, client_assertion_type: ASSERTION_TYPE, client_assertion: assertions.hs256WithSecret }), 401, 'invalid_client');
      await expectError(await tokenRequest(provider, { ...fields, client_assertion_type: ASSERTION_TYPE, client_assertion: assertions.hs256WithSecret }, rp1), 401, 'invalid_client');
      await expectError(await tokenRequest(provider, { ...fields, client_assertion: assertions.hs256WithSecret }, rp1), 401, 'invalid_client');
    });
  });
});

describe('TK-15 unsupported and unauthorized grant types', () => {
  it('TK-15: grant_type=password (ROPC) and grant_type=foo: unsupported_grant_type, no tokens, ∅DB', async () => {
    await expectNothingPersisted(provider, async () => {
      await expectError(await tokenRequest(provider, { grant_type: 'password', username: alice.username, password: alice.password, scope: 'openid' }, rp1), 400, 'unsupported_grant_type');
      for (const grantType of ['foo', 'implicit', 'urn:ietf:params:oauth:grant-type:jwt-bearer', '__proto__', 'constructor', 'toString']) {
        await expectError(await tokenRequest(provider, { grant_type: grantType }, rp1), 400, 'unsupported_grant_type');
      }
      // Grants this provider has (RFC 8628, RFC 8693), but not for a client not registered with them.
      for (const grantType of ['urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:token-exchange']) {
        await expectError(await tokenRequest(provider, { grant_type: grantType }, rp1), 400, 'unauthorized_client');
      }
    });
  });

  it('TK-15: client_credentials from a client not allowed it: unauthorized_client, no tokens, ∅DB', async () => {
    await expectNothingPersisted(provider, async () => {
      await expectError(await tokenRequest(provider, { grant_type: 'client_credentials' }, rp1), 400, 'unauthorized_client');
      await expectError(await tokenRequest(provider, { grant_type: 'client_credentials', scope: 'api:read' }, rp1), 400, 'unauthorized_client');
    });
  });

  it('TK-15: refresh_token from a client without that grant: unauthorized_client, ∅DB', async () => {
    const codeOnly = await provider.createClient({ id: 'tk15-code-only', grantTypes: ['authorization_code'] });
    const tokens = await tokensFor(provider, codeOnly, alice);
    expect(tokens.refresh_token, 'a client without refresh_token gets no refresh token').toBeUndefined();
    await expectNothingPersisted(provider, async () => {
      await expectError(await tokenRequest(provider, { grant_type: 'refresh_token', refresh_token: 'x'.repeat(43) }, codeOnly), 400, 'unauthorized_client');
    });
  });
});

describe('TK-16 headers and bodies of every token response', () => {
  const ERROR_KEYS = new Set(['error', 'error_description', 'error_uri']);

  async function inspect(name: string, res: Response, expected: { status: number; error?: string }) {
    const text = await res.text();
    expect(res.status, `${name}: ${text}`).toBe(expected.status);
    expect(res.headers.get('cache-control'), `${name}: Cache-Control`).toMatch(/\bno-store\b/);
    expect(res.headers.get('content-type'), `${name}: Content-Type`).toMatch(/^application\/json\b/);
    const body = JSON.parse(text) as Json;
    if (expected.error === undefined) {
      expect(body, name).not.toHaveProperty('error');
      expect(body.token_type, name).toBe('Bearer');
      return;
    }
    expect(body.error, name).toBe(expected.error);
    for (const key of Object.keys(body)) expect(ERROR_KEYS.has(key), `${name}: unexpected member "${key}"`).toBe(true);
    for (const v of Object.values(body)) expect(typeof v, name).toBe('string');
    expect(text, `${name}: no stack trace or SQL`).not.toMatch(/\n\s+at |node_modules|\bselect\b|\binsert\b|\bupdate\b.*\bset\b|postgres|mikro|TypeError|ReferenceError/i);
  }

  it('TK-16: success responses (authorization_code, refresh_token, client_credentials): no-store, JSON', async () => {
    const cc = await provider.createClient({ id: 'tk16-cc', grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'] });
    const { code, verifier } = await codeFor(provider, cc, alice);
    const res = await redeem(provider, cc, code, verifier);
    const clone = res.clone();
    await inspect('authorization_code', res, { status: 200 });
    const { refresh_token } = (await clone.json()) as { refresh_token: string };
    await inspect('refresh_token', await refresh(provider, cc, refresh_token), { status: 200 });
    await inspect('client_credentials', await tokenRequest(provider, { grant_type: 'client_credentials', scope: 'api:read' }, cc), { status: 200 });
  });

  it('TK-16: every error type: no-store, JSON, only error / error_description / error_uri, no internals', async () => {
    const cases: [string, () => Promise<Response>, number, string][] = [
      ['invalid_request: grant_type missing', () => tokenRequest(provider, { code: 'x' }, rp1), 400, 'invalid_request'],
      ['invalid_request: duplicate parameter', () => fetch(`${provider.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`rp1:${rp1.clientSecret}`).toString('base64')}` }, body: 'grant_type=authorization_code&code=a&code=b' }), 400, 'invalid_request'],
      ['invalid_request: JSON body', () => fetch(`${provider.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'rp1' }) }), 400, 'invalid_request'],
      ['invalid_request: GET', () => fetch(`${provider.issuer}/token?grant_type=client_credentials`), 405, 'invalid_request'],
      ['invalid_request: body too large', () => fetch(`${provider.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=${'x'.repeat(70_000)}` }), 413, 'invalid_request'],
      ['invalid_request: too many parameters', () => fetch(`${provider.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Array.from({ length: 150 }, (_, i) => `p${i}=1`).join('&') }), 413, 'invalid_request'],
      ['invalid_client: wrong secret', () => tokenRequest(provider, { grant_type: 'authorization_code', code: 'x' }, { clientId: 'rp1', clientSecret: 'wrong' }), 401, 'invalid_client'],
      ['invalid_client: malformed Basic', () => fetch(`${provider.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic !!!' }, body: 'grant_type=client_credentials' }), 401, 'invalid_client'],
      ['invalid_client: no authentication', () => tokenRequest(provider, { grant_type: 'client_credentials' }), 401, 'invalid_client'],
      ['invalid_grant: unknown code', () => tokenRequest(provider, { grant_type: 'authorization_code', code: 'no-such-code', redirect_uri: rp1.redirectUri }, rp1), 400, 'invalid_grant'],
      ['invalid_grant: unknown refresh token', () => refresh(provider, rp1, 'no-such-token'), 400, 'invalid_grant'],
      ['unsupported_grant_type', () => tokenRequest(provider, { grant_type: 'password', username: 'alice', password: 'x' }, rp1), 400, 'unsupported_grant_type'],
      ['unauthorized_client', () => tokenRequest(provider, { grant_type: 'client_credentials' }, rp1), 400, 'unauthorized_client'],
    ];
    for (const [name, send, status, error] of cases) await inspect(name, await send(), { status, error });
  });

  it('TK-16: invalid_scope (client_credentials, unknown and malformed scope): no-store, JSON, only error members (429 is inspected in TK-13)', async () => {
    const cc = await provider.createClient({ id: 'tk16-cc2', grantTypes: ['authorization_code', 'client_credentials'] });
    await inspect('invalid_scope', await tokenRequest(provider, { grant_type: 'client_credentials', scope: 'admin' }, cc), { status: 400, error: 'invalid_scope' });
    await inspect('invalid_scope: malformed', await tokenRequest(provider, { grant_type: 'client_credentials', scope: 'a"b' }, cc), { status: 400, error: 'invalid_scope' });
  });
});

describe('TK-17 CORS and cookies at the token endpoint', () => {
  const EVIL = 'https://evil.example';
  const SPA = 'https://spa.example';
  let spa: Client;
  beforeAll(async () => {
    spa = await provider.createClient({ id: 'tk17-spa', allowedOrigins: [SPA] });
  });

  function preflight(origin: string): Promise<Response> {
    return fetch(`${provider.issuer}/token`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
  }

  it('TK-17: preflight from https://evil.example (and Origin: null): no Access-Control-Allow-Origin, never Allow-Credentials', async () => {
    for (const origin of [EVIL, 'null', `${SPA}.evil.example`, 'http://spa.example']) {
      const res = await preflight(origin);
      await res.arrayBuffer();
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(res.headers.get('access-control-allow-credentials'), origin).toBeNull();
    }
  });

  it('TK-17: POST from https://evil.example with the victim\'s OP cookies: no ACAO, no ACAC, and cookies authenticate nothing (invalid_client)', async () => {
    const jar = new CookieJar();
    const { code, verifier } = await (async () => {
      const { location, verifier: v } = await login(provider, { clientId: rp1.clientId, redirectUri: rp1.redirectUri, username: alice.username, scope: SCOPE, jar });
      return { code: location.searchParams.get('code')!, verifier: v };
    })();
    expect(jar.cookies.size, 'the browser holds an OP session cookie').toBeGreaterThan(0);
    const fields = { grant_type: 'authorization_code', code, redirect_uri: rp1.redirectUri, code_verifier: verifier! };
    await expectNothingPersisted(provider, async () => {
      for (const auth of [undefined, { clientId: rp1.clientId }]) {
        const res = await tokenRequest(provider, fields, auth, { origin: EVIL, cookie: jar.header() });
        expect(res.headers.get('access-control-allow-origin')).toBeNull();
        expect(res.headers.get('access-control-allow-credentials')).toBeNull();
        await expectError(res, 401, 'invalid_client');
      }
    });
    // Even a fully authenticated request from that origin gets no CORS grant: the browser would
    // not let evil.example read the answer.
    const ok = await redeem(provider, rp1, code, verifier);
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
    const fromEvil = await tokenRequest(provider, { grant_type: 'client_credentials' }, rp1, { origin: EVIL, cookie: jar.header() });
    expect(fromEvil.headers.get('access-control-allow-origin')).toBeNull();
    expect(fromEvil.headers.get('access-control-allow-credentials')).toBeNull();
    await fromEvil.arrayBuffer();
  });

  it('TK-17 (control): an origin registered on a client gets ACAO of exactly that origin, and no Allow-Credentials', async () => {
    const pre = await preflight(SPA);
    await pre.arrayBuffer();
    expect(pre.status).toBeLessThan(300);
    expect(pre.headers.get('access-control-allow-origin')).toBe(SPA);
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
    expect(pre.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(pre.headers.get('vary')).toMatch(/Origin/i);

    const post = await tokenRequest(provider, { grant_type: 'authorization_code', code: 'no-such-code', redirect_uri: spa.redirectUri }, spa, { origin: SPA });
    expect(post.headers.get('access-control-allow-origin')).toBe(SPA);
    expect(post.headers.get('access-control-allow-credentials')).toBeNull();
    await expectError(post, 400, 'invalid_grant');
  });
});

describe('TK-18 refresh token bound to its client', () => {
  it("TK-18: rp1's refresh token presented by rp2: invalid_grant, ∅DB; it still works for rp1", async () => {
    const tokens = await tokensFor(provider, rp1, alice);
    await expectNothingPersisted(provider, async () => {
      await expectError(await refresh(provider, rp2, tokens.refresh_token!), 400, 'invalid_grant');
      // rp2 naming rp1 in the body while authenticating as itself: refused as well.
      await expectError(await tokenRequest(provider, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: rp1.clientId }, rp2), 400, ['invalid_request', 'invalid_grant']);
    });
    await expectLiveAccessToken(provider, tokens.access_token);
    await expectTokens(await refresh(provider, rp1, tokens.refresh_token!));
  });
});

describe('TK-19 refresh token rotation and reuse', () => {
  it('TK-19: RT1 → (AT2, RT2), then RT1 replayed: invalid_grant, and RT2, AT2 and the first AT are revoked', async () => {
    const first = await tokensFor(provider, rp1, alice);
    const second = await expectTokens(await refresh(provider, rp1, first.refresh_token!));
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    await expectLiveAccessToken(provider, second.access_token);

    await expectError(await refresh(provider, rp1, first.refresh_token!), 400, 'invalid_grant');

    await expectDeadAccessToken(provider, second.access_token);
    await expectDeadAccessToken(provider, first.access_token);
    await expectDeadRefreshToken(provider, rp1, second.refresh_token!);
  });

  it('TK-19: two parallel uses of RT1: at most one 200, the other invalid_grant', async () => {
    const first = await tokensFor(provider, rp1, alice);
    const responses = await Promise.all([refresh(provider, rp1, first.refresh_token!), refresh(provider, rp1, first.refresh_token!)]);
    const results = await Promise.all(responses.map(async (r) => ({ status: r.status, body: (await r.json()) as Json })));
    expect(results.filter((r) => r.status === 200).length, JSON.stringify(results)).toBeLessThanOrEqual(1);
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_grant');
    }
    expect(results.some((r) => r.status === 400)).toBe(true);
    const grantId = claimsOf(first.access_token).grant_id as string;
    const [row] = await sql<{ n: number }>(provider, 'select count(*)::int as n from refresh_tokens where grant_id = $1 and rotated_at is null', [grantId]);
    expect(row!.n, 'at most one live successor of RT1').toBeLessThanOrEqual(1);
  });
});

describe('TK-20 refresh scope', () => {
  it('TK-20: a refresh asking for a wider scope (… admin): invalid_scope, ∅DB; the refresh token keeps working', async () => {
    const tokens = await tokensFor(provider, rp1, alice, 'openid profile offline_access');
    expect(tokens.scope.split(' ').sort()).toEqual(['offline_access', 'openid', 'profile']);
    await expectNothingPersisted(provider, async () => {
      await expectError(await refresh(provider, rp1, tokens.refresh_token!, { scope: 'openid profile offline_access admin' }), 400, 'invalid_scope');
      await expectError(await refresh(provider, rp1, tokens.refresh_token!, { scope: 'openid profile offline_access email' }), 400, 'invalid_scope');
      await expectError(await refresh(provider, rp1, tokens.refresh_token!, { scope: 'api:read' }), 400, 'invalid_scope');
    });
    await expectTokens(await refresh(provider, rp1, tokens.refresh_token!));
  });

  it('TK-20: a narrower scope is allowed; the next refresh still gets the full original scope', async () => {
    const tokens = await tokensFor(provider, rp1, alice, 'openid profile email offline_access');
    const narrow = await expectTokens(await refresh(provider, rp1, tokens.refresh_token!, { scope: 'openid' }));
    expect(narrow.scope).toBe('openid');
    expect(claimsOf(narrow.access_token).scope).toBe('openid');
    const full = await expectTokens(await refresh(provider, rp1, narrow.refresh_token!, { scope: 'openid profile email' }));
    expect(full.scope.split(' ').sort()).toEqual(['email', 'openid', 'profile']);
    const again = await expectTokens(await refresh(provider, rp1, full.refresh_token!));
    expect(again.scope.split(' ').sort()).toEqual(['email', 'offline_access', 'openid', 'profile']);
    expect((claimsOf(again.access_token).scope as string).split(' ').sort()).toEqual(['email', 'offline_access', 'openid', 'profile']);
  });
});

describe('TK-21 refresh after expiry, user changes and revocation', () => {
  // The short-lived provider's clock is moved past the refresh token's lifetime rather than waited on.
  const clock = new ManualClock();
  let short: TestProvider;
  beforeAll(async () => {
    short = await startProvider({ JWT_OIDC_JWT_REFRESH_TOKEN_EXPIRATION_TIME: '1', JWT_OIDC_JWT_ACCESS_TOKEN_EXPIRATION_TIME: '1' }, { clock });
  });
  afterAll(() => short?.close());

  const users = () => new UserService(provider.db.orm.em);

  it('TK-21: refresh after the refresh token expired (1 s lifetime, used after 1.3 s): invalid_grant', async () => {
    const user = await short.createUser();
    const client = await short.createClient();
    const tokens = await tokensFor(short, client, user);
    clock.advance(1300);
    await expectError(await refresh(short, client, tokens.refresh_token!), 400, 'invalid_grant');
  });

  it('TK-21: refresh after the user was disabled: invalid_grant (and the access token is dead)', async () => {
    const user = await provider.createUser();
    const tokens = await tokensFor(provider, rp1, user);
    await users().update(user.username, { active: false });
    await expectError(await refresh(provider, rp1, tokens.refresh_token!), 400, 'invalid_grant');
    await expectDeadAccessToken(provider, tokens.access_token);
  });

  it('TK-21: refresh after the user was deleted: invalid_grant (and the access token is dead)', async () => {
    const user = await provider.createUser();
    const tokens = await tokensFor(provider, rp1, user);
    await users().delete(user.username);
    await expectError(await refresh(provider, rp1, tokens.refresh_token!), 400, 'invalid_grant');
    await expectDeadAccessToken(provider, tokens.access_token);
  });

  it('TK-21: refresh after a password change: invalid_grant', async () => {
    const user = await provider.createUser();
    const tokens = await tokensFor(provider, rp1, user);
    await users().setPassword(user.username, 'a completely new passphrase 42');
    await expectError(await refresh(provider, rp1, tokens.refresh_token!), 400, 'invalid_grant');
  });

  it('TK-21: refresh after admin revocation of the grant: invalid_grant (and the access token is dead)', async () => {
    const tokens = await tokensFor(provider, rp1, alice);
    const grantId = claimsOf(tokens.access_token).grant_id;
    expect(typeof grantId).toBe('string');
    await provider.provider!.grants.revoke(grantId as string);
    await expectError(await refresh(provider, rp1, tokens.refresh_token!), 400, 'invalid_grant');
    await expectDeadAccessToken(provider, tokens.access_token);
  });

  it('TK-21: refresh after the client secret was rotated (old credentials) or the client deleted: invalid_client', async () => {
    const services = new ClientService(provider.db.orm.em, () => provider.provider!.clients.changed());
    const client = await provider.createClient({ id: 'tk21-rotated' });
    const tokens = await tokensFor(provider, client, alice);
    await services.rotateSecret(client.clientId);
    await expectError(await refresh(provider, client, tokens.refresh_token!), 401, 'invalid_client');
    await services.delete(client.clientId);
    await expectError(await refresh(provider, client, tokens.refresh_token!), 401, 'invalid_client');
    await expectDeadAccessToken(provider, tokens.access_token);
  });
});

describe('TK-22 the ID token of a refresh', () => {
  it('TK-22: same iss, sub, aud, azp and auth_time as the original; a new iat; no nonce', async () => {
    const tokens = await tokensFor(provider, rp1, alice);
    const original = claimsOf(tokens.id_token!);
    expect(original.nonce).toBe(NONCE);
    await sleep(1100); // iat has a resolution of one second
    const refreshed = await expectTokens(await refresh(provider, rp1, tokens.refresh_token!));
    expect(refreshed.id_token, 'a refresh of an openid grant returns an ID token').toBeTruthy();
    const now = claimsOf(refreshed.id_token!);
    for (const claim of ['iss', 'sub', 'aud', 'azp', 'auth_time']) expect(now[claim], claim).toEqual(original[claim]);
    expect(now.iss).toBe(provider.issuer);
    expect(now.sub).toBe(alice.id);
    expect(now.aud === rp1.clientId || (Array.isArray(now.aud) && now.aud.includes(rp1.clientId))).toBe(true);
    expect(now.iat as number).toBeGreaterThan(original.iat as number);
    expect(now).not.toHaveProperty('nonce');
    if (original.sid !== undefined) expect(now.sid).toBe(original.sid);
  });
});
