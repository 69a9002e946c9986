/**
 * Faults: the database stops and comes back while requests run; the provider process is killed
 * in the middle of a key rotation; the upstream provider of client mode is slow, silent or hangs
 * up. Each time: bounded answers (success, or 503 with Retry-After and no internals), nothing
 * half-written, and full service once the fault is gone.
 */
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { createPrivateKey, createPublicKey, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JSONWebKeySet } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientService } from '../../src/clients/client-service.js';
import { openDatabase } from '../../src/db/database.js';
import type { ScratchDatabase } from '../../src/db/scratch.js';
import { KeyEncryption } from '../../src/keys/encryption.js';
import { IssuerUnavailableError } from '../../packages/resource/src/errors.js';
import { RemoteIssuer } from '../../packages/resource/src/remote.js';
import { createLogger } from '../../src/log.js';
import { digest } from '../../src/provider/stores/secrets.js';
import { freePort } from '../../src/util/free-port.js';
import { finished, spawnCli, waitForHttp } from '../support/cli.js';
import { startBff, type Bff } from '../support/client-mode.js';
import { query, testDatabase } from '../support/database.js';
import { databaseProxy, misbehavingUpstream, ownCluster, providerOn, type DatabaseProxy, type MisbehavingUpstream, type OwnCluster } from '../support/faults.js';
import { authorizeUrl, login, pkcePair, tokenRequest, tokensFor, type TestProvider } from '../support/provider.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A request's answer as a client saw it; `status` 0 means no answer (timeout or network error). */
interface Outcome {
  op: string;
  startedAt: number;
  endedAt: number;
  status: number;
  failure?: string;
  retryAfter: string | null;
  contentType: string;
  body: string;
}

/** Every request of a fault test ends within this, or counts as hanging. */
const REQUEST_BOUND_MS = 10_000;
/** What no error answer may show: stack frames, source paths, driver internals. */
const INTERNALS = /\n\s+at\s|node_modules|\/src\/|\.[cm]?[jt]s:\d+|knex|mikro-?orm|ECONNREFUSED|ECONNRESET|57P01|sqlstate|\bselect\b.+\bfrom\b|\binsert into\b|\bupdate \w+ set\b/i;

async function timed(op: string, url: string, init: RequestInit = {}, boundMs = REQUEST_BOUND_MS): Promise<Outcome & { res?: Response }> {
  const startedAt = Date.now();
  try {
    const res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(boundMs) });
    const body = await res.text();
    return { op, startedAt, endedAt: Date.now(), status: res.status, retryAfter: res.headers.get('retry-after'), contentType: res.headers.get('content-type') ?? '', body, res };
  } catch (e) {
    return { op, startedAt, endedAt: Date.now(), status: 0, failure: `${(e as Error).name}: ${(e as Error).message}`, retryAfter: null, contentType: '', body: '' };
  }
}

/** A 503 as the service promises it: Retry-After in seconds, a JSON or HTML body without internals. */
function expectCleanUnavailable(o: Outcome): void {
  const what = `${o.op} → ${o.status} ${o.body.slice(0, 300)}`;
  expect(o.retryAfter, what).toMatch(/^[1-9]\d*$/);
  expect(o.contentType, what).toMatch(/^(application\/json|text\/html)/);
  if (o.contentType.startsWith('application/json')) expect(() => JSON.parse(o.body), what).not.toThrow();
  expect(o.body, what).not.toMatch(INTERNALS);
}

describe('the database stops and restarts under load', () => {
  let cluster: OwnCluster | undefined;
  let provider: TestProvider | undefined;
  let running = false;
  const workers: Promise<void>[] = [];

  beforeAll(async () => {
    cluster = await ownCluster();
    provider = await providerOn(cluster.url, {
      // A steady stream of refreshes: no limits that would turn into 400s or 429s.
      JWT_OIDC_MAX_REFRESH: 'null',
      JWT_OIDC_TOKEN_RATE_LIMIT: '0',
      JWT_OIDC_GRAPHQL_RATE_LIMIT: '1000000',
    });
  });

  afterAll(async () => {
    running = false;
    await Promise.allSettled(workers);
    // Bring the database back if the test stopped half-way, so that the service stops in order.
    await cluster?.start().catch(() => undefined);
    await Promise.race([provider?.close(), sleep(15_000)]);
    await cluster?.destroy();
  });

  it('answers 200 or 503 with Retry-After while it is down, never hangs, recovers within seconds, and writes nothing by halves', { timeout: 90_000 }, async () => {
    const p = provider!;
    const user = await p.createUser({ givenName: 'Dee' });
    const rp = await p.createClient({ name: 'Chains', grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'] });
    const web = await p.createClient({ name: 'Web', firstParty: true, redirectUris: ['https://web.example/cb'] });

    // Three refresh chains, each its own grant; the first chain's access token also calls
    // userinfo and GraphQL.
    const chains = await Promise.all(
      [0, 1, 2].map(async () => {
        const t = await tokensFor(p, rp, user);
        const [row] = await query<{ grant_id: string }>(cluster!.url, 'select grant_id from refresh_tokens where token_hash = $1', [digest(t.refresh_token!)]);
        return { grantId: row!.grant_id, current: t.refresh_token!, accessToken: t.access_token, successes: 0, unavailable: 0 };
      }),
    );
    // A browser with a live session at the provider: /authorize answers with a code at once.
    const first = await login(p, { clientId: web.clientId, redirectUri: web.redirectUri, username: user.username });
    const jar = first.jar;
    const codes: { code: string; verifier: string; at: number; unavailable: number; outcome?: string }[] = [
      { code: first.location.searchParams.get('code')!, verifier: first.verifier!, at: Date.now(), unavailable: 0 },
    ];

    const outcomes: Outcome[] = [];
    const record = <T extends Outcome>(o: T): T => (outcomes.push(o), o);
    const loop = (fn: () => Promise<void>, pauseMs: number) =>
      workers.push(
        (async () => {
          while (running) {
            await fn();
            await sleep(pauseMs);
          }
        })(),
      );
    running = true;
    const form = basic(rp);
    loop(async () => void record(await timed('discovery', `${p.issuer}/.well-known/openid-configuration`)), 50);
    loop(async () => void record(await timed('jwks', `${p.issuer}/jwks`)), 50);
    loop(async () => void record(await timed('client_credentials', `${p.issuer}/token`, { method: 'POST', headers: form, body: 'grant_type=client_credentials' })), 30);
    for (const chain of chains) {
      loop(async () => {
        const sent = chain.current;
        const o = record(await timed('refresh_token', `${p.issuer}/token`, { method: 'POST', headers: form, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: sent }) }));
        if (o.status === 200) {
          chain.current = (JSON.parse(o.body) as { refresh_token: string }).refresh_token;
          chain.successes++;
        } else if (o.status === 503) {
          chain.unavailable++;
        }
      }, 30);
    }
    loop(async () => void record(await timed('userinfo', `${p.issuer}/userinfo`, { headers: { authorization: `Bearer ${chains[0]!.accessToken}` } })), 30);
    loop(async () => {
      const o = record(await timed('graphql me', `${p.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${chains[0]!.accessToken}` }, body: JSON.stringify({ query: '{ me { sub user { givenName } } }' }) }));
      // A GraphQL answer is a success only with the data and without errors.
      if (o.status === 200) {
        const body = JSON.parse(o.body) as { data?: { me?: { sub?: string } }; errors?: unknown[] };
        if (body.errors || body.data?.me?.sub !== user.id) o.status = -200;
      }
    }, 30);
    loop(async () => {
      const pkce = pkcePair();
      const url = authorizeUrl(p, { client_id: web.clientId, redirect_uri: web.redirectUri, response_type: 'code', scope: 'openid', state: 's', code_challenge: pkce.challenge, code_challenge_method: 'S256' });
      const o = record(await timed('authorize', url, { headers: { cookie: jar.header() } }));
      if (o.status === 303) {
        const location = new URL(o.res!.headers.get('location')!);
        const code = location.searchParams.get('code');
        // Anything but a code at the client's redirect URI (an error, the login page) is wrong here.
        if (location.origin + location.pathname !== web.redirectUri || !code) o.status = -303;
        else codes.push({ code, verifier: pkce.verifier, at: o.endedAt, unavailable: 0 });
      }
    }, 50);
    // The client redeems each code a second after receiving it (so that some redemptions meet
    // the fault), and retries after a 503 with the same code.
    const redeem = async (c: (typeof codes)[number]) => {
      const o = record(await timed('code exchange', `${p.issuer}/token`, { method: 'POST', headers: basic(web), body: new URLSearchParams({ grant_type: 'authorization_code', code: c.code, redirect_uri: web.redirectUri, code_verifier: c.verifier }) }));
      if (o.status === 503) c.unavailable++;
      else c.outcome = o.status === 200 ? 'redeemed' : `refused: ${o.status} ${o.body}`; // not retried
    };
    loop(async () => {
      const due = codes.find((c) => !c.outcome && Date.now() - c.at >= 1000);
      if (due) await redeem(due);
    }, 20);

    const DB_OPS = ['refresh_token', 'userinfo', 'graphql me', 'authorize'];
    const SUCCESS: Record<string, number> = { discovery: 200, jwks: 200, client_credentials: 200, refresh_token: 200, userinfo: 200, 'graphql me': 200, authorize: 303, 'code exchange': 200 };

    await sleep(1500);
    const stopAt = Date.now();
    await cluster!.stop();
    const downAt = Date.now();
    await sleep(4000);
    const restartAt = Date.now();
    await cluster!.start();
    const upAt = Date.now();

    // Full service: every kind of request has succeeded again.
    const recovered = new Map<string, number>();
    while (recovered.size < Object.keys(SUCCESS).length && Date.now() - upAt < 20_000) {
      for (const o of outcomes) if (o.startedAt >= upAt && o.status === SUCCESS[o.op] && !recovered.has(o.op)) recovered.set(o.op, o.endedAt);
      await sleep(100);
    }
    const recoveredAt = Math.max(...recovered.values());
    await sleep(1500);
    running = false;
    await Promise.all(workers.splice(0));

    const summary = Object.fromEntries(Object.keys(SUCCESS).map((op) => [op, countBy(outcomes.filter((o) => o.op === op), (o) => String(o.status))]));
    const timing = { stopMs: downAt - stopAt, downMs: restartAt - downAt, restartMs: upAt - restartAt, recoveryMs: recoveredAt - upAt };
    console.info('database fault', JSON.stringify({ timing, summary }));
    const errors = p.logs.filter((l) => l.err && Number(l.level) >= 50);
    expect(errors.map((l) => `${String(l.msg)}: ${JSON.stringify(l.err).slice(0, 500)}`), 'errors logged').toEqual([]);

    expect([...recovered.keys()].sort(), 'every kind of request succeeds again after the restart').toEqual(Object.keys(SUCCESS).sort());
    expect(recoveredAt - upAt, 'full service within seconds of the database answering').toBeLessThan(15_000);

    // Nothing hangs, nothing is cut off: every request got an answer within the bound.
    const unanswered = outcomes.filter((o) => o.status === 0);
    expect(unanswered.map((o) => `${o.op}: ${o.failure} after ${o.endedAt - o.startedAt} ms`)).toEqual([]);
    const slowest = Math.max(...outcomes.map((o) => o.endedAt - o.startedAt));
    expect(slowest).toBeLessThan(REQUEST_BOUND_MS);

    // Every answer is the success of its kind or a clean 503.
    for (const o of outcomes) {
      if (o.status === SUCCESS[o.op]) continue;
      expect(o.status, `${o.op} answered ${o.status}: ${o.body.slice(0, 300)}`).toBe(503);
      expectCleanUnavailable(o);
    }
    // Served from memory while the database is down: discovery, the JWKS, client_credentials.
    for (const op of ['discovery', 'jwks', 'client_credentials']) {
      expect(outcomes.filter((o) => o.op === op && o.status !== 200).map((o) => `${o.status} ${o.body.slice(0, 200)}`), op).toEqual([]);
    }
    // The fault was real: every database-backed kind of request met it.
    for (const op of DB_OPS) expect(outcomes.some((o) => o.op === op && o.status === 503 && o.startedAt >= downAt - 500), `${op} never saw the database down`).toBe(true);
    // Before the stop and after recovery, everything succeeds.
    const outside = outcomes.filter((o) => o.endedAt < stopAt || o.startedAt > recoveredAt);
    expect(outside.filter((o) => o.status !== SUCCESS[o.op]).map((o) => `${o.op} ${o.status} ${o.body.slice(0, 200)}`)).toEqual([]);

    // Refresh chains: a 503 never rotated the token away; every success left exactly one live
    // successor, and nothing the client never saw.
    expect(chains.some((c) => c.unavailable > 0)).toBe(true);
    for (const chain of chains) {
      const rows = await query<{ token_hash: string; rotated_at: Date | null }>(cluster!.url, 'select token_hash, rotated_at from refresh_tokens where grant_id = $1', [chain.grantId]);
      const live = rows.filter((r) => r.rotated_at === null).map((r) => r.token_hash);
      expect(live, `grant ${chain.grantId}: the live refresh token is the one the client holds`).toEqual([digest(chain.current)]);
      expect(rows.length, `grant ${chain.grantId}: one row per refresh the client saw succeed, plus the first`).toBe(chain.successes + 1);
      const [grant] = await query<{ refresh_count: number; revoked_at: Date | null }>(cluster!.url, 'select refresh_count, revoked_at from grants where id = $1', [chain.grantId]);
      expect(grant).toEqual({ refresh_count: chain.successes, revoked_at: null });
      // And the token the client holds (after any number of 503s) still works.
      const res = await tokenRequest(p, { grant_type: 'refresh_token', refresh_token: chain.current }, rp);
      expect(res.status, await res.clone().text()).toBe(200);
    }

    // Codes: exactly those the browser was sent exist, and each one redeems once, also after
    // redemptions that met the fault.
    for (const c of codes.filter((c) => !c.outcome)) await redeem(c);
    expect(codes.filter((c) => c.outcome !== 'redeemed').map((c) => `${c.outcome} (503 ${c.unavailable} times before)`)).toEqual([]);
    expect(codes.some((c) => c.unavailable > 0), 'some code redemption met the fault').toBe(true);
    const webRows = await query<{ codes: number; consumed: number; refresh: number }>(
      cluster!.url,
      `select (select count(*)::int from authorization_codes where client_id = $1) as codes,
              (select count(*)::int from authorization_codes where client_id = $1 and consumed_at is not null) as consumed,
              (select count(*)::int from refresh_tokens where client_id = $1) as refresh`,
      [web.clientId],
    );
    expect(webRows[0], 'codes stored, consumed and exchanged for refresh tokens vs. codes the browser received').toEqual({ codes: codes.length, consumed: codes.length, refresh: codes.length });

    // Whole-database invariants of grants and what hangs off them.
    const invariants: Record<string, string> = {
      'a grant without its code or refresh token': `select g.id from grants g where not exists (select 1 from authorization_codes c where c.grant_id = g.id) and not exists (select 1 from refresh_tokens r where r.grant_id = g.id)`,
      'a code without its grant': `select c.code_hash from authorization_codes c left join grants g on g.id = c.grant_id where g.id is null`,
      'a refresh token without its grant': `select r.token_hash from refresh_tokens r left join grants g on g.id = r.grant_id where g.id is null`,
      'a grant with two live refresh tokens': `select grant_id from refresh_tokens where rotated_at is null group by grant_id having count(*) > 1`,
      'a refresh count that disagrees with the rotated tokens': `select g.id from grants g where g.refresh_count <> (select count(*) from refresh_tokens r where r.grant_id = g.id and r.rotated_at is not null)`,
      'a revoked grant (a refresh replay was detected)': `select id from grants where revoked_at is not null`,
      'a consumed code without the refresh token it was exchanged for': `select c.code_hash from authorization_codes c join clients k on k.id = c.client_id where c.consumed_at is not null and k.grant_types ? 'refresh_token' and not exists (select 1 from refresh_tokens r where r.grant_id = c.grant_id)`,
    };
    for (const [what, sql] of Object.entries(invariants)) expect(await query(cluster!.url, sql), what).toEqual([]);
  });
});

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

describe('a database connection lost in the middle of a request', () => {
  let scratch: ScratchDatabase | undefined;
  let proxy: DatabaseProxy | undefined;
  let provider: TestProvider | undefined;
  beforeAll(async () => {
    scratch = await testDatabase();
    proxy = await databaseProxy(scratch.url);
    provider = await providerOn(proxy.url);
  });
  afterAll(async () => {
    if (proxy) proxy.dropAtBegin = false;
    await provider?.close();
    await proxy?.close();
    await scratch?.drop();
  });

  it('at BEGIN: a 503 with Retry-After (not a 500), and the transaction wrote nothing', async () => {
    const p = provider!;
    const user = await p.createUser();
    const rp = await p.createClient({ name: 'RP', firstParty: true });
    const { location, verifier, jar } = await login(p, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: user.username });
    const code = location.searchParams.get('code')!;
    const before = await query(p.databaseUrl, 'select (select count(*)::int from grants) as grants, (select count(*)::int from authorization_codes) as codes, (select count(*)::int from refresh_tokens) as refresh');

    // Each request's transaction loses its connection at BEGIN.
    const dropped = async (fn: () => Promise<Outcome>) => {
      const before = proxy!.dropped;
      proxy!.dropAtBegin = true;
      const o = await fn();
      proxy!.dropAtBegin = false;
      expect(proxy!.dropped - before, `${o.op}: one connection dropped at BEGIN`).toBe(1);
      await sleep(200); // the pool notices the dead connection
      return o;
    };
    const pkce = pkcePair();
    const authorize = authorizeUrl(p, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', state: 's', code_challenge: pkce.challenge, code_challenge_method: 'S256' });
    // (The code exchange and the refresh are single statements, without BEGIN: see the next tests.)
    const outcomes = [
      // A logged-in browser at /authorize: a grant and its code, together.
      await dropped(() => timed('authorize', authorize, { headers: { cookie: jar.header() } })),
    ];
    for (const o of outcomes) {
      expect(o.status, `${o.op}: ${o.body.slice(0, 300)}`).toBe(503);
      expectCleanUnavailable(o);
    }
    expect(await query(p.databaseUrl, 'select (select count(*)::int from grants) as grants, (select count(*)::int from authorization_codes) as codes, (select count(*)::int from refresh_tokens) as refresh')).toEqual(before);

    // Nothing was used up: the same code redeems now, and the browser gets a code.
    const redeemed = await tokenRequest(p, { grant_type: 'authorization_code', code, redirect_uri: rp.redirectUri, code_verifier: verifier! }, rp);
    expect(redeemed.status, await redeemed.clone().text()).toBe(200);
    const again = await timed('authorize', authorize, { headers: { cookie: jar.header() } });
    expect(again.status).toBe(303);
    expect(new URL(again.res!.headers.get('location')!).searchParams.get('code')).toBeTruthy();
  });

  it('after a code exchange was committed, before its answer arrived: the provider finds out and answers with the tokens', async () => {
    const p = provider!;
    const user = await p.createUser();
    const rp = await p.createClient({ name: 'RP' });
    const { location, verifier } = await login(p, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: user.username, scope: 'openid profile offline_access' });
    const code = location.searchParams.get('code')!;
    const droppedBefore = proxy!.droppedAnswers;
    proxy!.dropAnswerAfter = /set consumed_at/;
    const lost = await timed('code exchange', `${p.issuer}/token`, { method: 'POST', headers: basic(rp), body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: rp.redirectUri, code_verifier: verifier! }) });
    proxy!.dropAnswerAfter = undefined;
    expect(proxy!.droppedAnswers - droppedBefore, 'the answer of the redemption was dropped').toBe(1);
    // The redemption did commit; the provider asks and answers as if nothing had happened.
    expect(lost.status, lost.body).toBe(200);
    const body = JSON.parse(lost.body) as { refresh_token: string; access_token: string };
    const [{ grant_id: grantId }] = (await query<{ grant_id: string }>(p.databaseUrl, 'select grant_id from refresh_tokens where token_hash = $1', [digest(body.refresh_token)])) as [{ grant_id: string }];
    const after = await tokenRequest(p, { grant_type: 'refresh_token', refresh_token: body.refresh_token }, rp);
    expect(after.status, await after.clone().text()).toBe(200);
    expect(await query(p.databaseUrl, 'select revoked_at from grants where id = $1', [grantId])).toEqual([{ revoked_at: null }]);
  });

  it('after a refresh was committed, before its answer arrived: the client is not logged out', async () => {
    const p = provider!;
    const user = await p.createUser();
    const rp = await p.createClient({ name: 'RP' });
    const tokens = await tokensFor(p, rp, user);
    const [{ grant_id: grantId }] = (await query<{ grant_id: string }>(p.databaseUrl, 'select grant_id from refresh_tokens where token_hash = $1', [digest(tokens.refresh_token!)])) as [{ grant_id: string }];

    // The rotation reaches the database and commits; the connection dies before the answer.
    const droppedBefore = proxy!.droppedAnswers;
    proxy!.dropAnswerAfter = /set rotated_at/;
    const lost = await timed('refresh_token', `${p.issuer}/token`, { method: 'POST', headers: basic(rp), body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }) });
    proxy!.dropAnswerAfter = undefined;
    expect(proxy!.droppedAnswers - droppedBefore, 'the answer of the rotation was dropped').toBe(1);
    // What the client cannot see: the rotation did happen.
    expect(await query(p.databaseUrl, 'select 1 from refresh_tokens where token_hash = $1 and rotated_at is not null', [digest(tokens.refresh_token!)])).toHaveLength(1);

    // Either the provider finds out itself that the refresh happened and answers with its
    // tokens, or it answers 503 ("try again") and the client retries with the only refresh token
    // it has. Neither may count as a replay that revokes the grant: the client never received a
    // successor.
    let next: string;
    if (lost.status === 200) {
      next = (JSON.parse(lost.body) as { refresh_token: string }).refresh_token;
    } else {
      expect(lost.status, lost.body).toBe(503);
      expectCleanUnavailable(lost);
      const retry = await tokenRequest(p, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, rp);
      const retried = await retry.text();
      expect(await query(p.databaseUrl, 'select revoked_at from grants where id = $1', [grantId]), `the grant survives the retry (${retry.status} ${retried})`).toEqual([{ revoked_at: null }]);
      expect(retry.status, retried).toBe(200);
      next = (JSON.parse(retried) as { refresh_token: string }).refresh_token;
    }
    const after = await tokenRequest(p, { grant_type: 'refresh_token', refresh_token: next }, rp);
    expect(after.status, await after.clone().text()).toBe(200);
    expect(await query(p.databaseUrl, 'select revoked_at from grants where id = $1', [grantId])).toEqual([{ revoked_at: null }]);
  });
});

const KEYS_LOCK = '0x6a77746b657973'; // src/keys/key-store.ts
const KEY_SECRET = 'k'.repeat(40);

interface KeyRow {
  kid: string;
  family: string;
  alg: string;
  public_jwk: Record<string, string>;
  private_key: string;
  created_at: Date;
  activates_at: Date;
  retires_at: Date | null;
  deletes_at: Date | null;
}

describe('the provider process killed during a key rotation', () => {
  let scratch: ScratchDatabase | undefined;
  let dataDir: string | undefined;
  const children = new Set<ChildProcess>();
  const lockClients = new Set<pg.Client>();
  let env: Record<string, string>;
  let url: string;

  beforeAll(async () => {
    scratch = await testDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'jwt-oidc-kill-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      DATABASE_URL: scratch.url,
      PORT: String(port),
      JWT_OIDC_ISSUER: url,
      JWT_OIDC_DATA_DIR: dataDir,
      JWT_OIDC_KEY_ENCRYPTION_SECRET: KEY_SECRET,
      JWT_OIDC_JWK_EXPIRATION_TIME: '10',
      JWT_OIDC_KEY_PREPUBLISH_TIME: '2',
      JWT_OIDC_TOKEN_RATE_LIMIT: '0',
    };
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all([...children].map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : undefined)));
    for (const c of lockClients) await c.end().catch(() => undefined);
    await scratch?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  function spawn(args: string[]) {
    const child = spawnCli(args, env);
    children.add(child);
    return child;
  }

  async function kill(child: ChildProcess): Promise<void> {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    children.delete(child);
  }

  async function serve() {
    const child = spawn(['serve']);
    await waitForHttp(`${url}/readyz`, child, 30_000);
    return child;
  }

  /** Takes the key lock, as an instance in the middle of a change would hold it. */
  async function holdKeyLock() {
    const c = new pg.Client({ connectionString: scratch!.url, application_name: 'faults key lock' });
    lockClients.add(c);
    await c.connect();
    await c.query('begin');
    await c.query(`select pg_advisory_xact_lock(${KEYS_LOCK})`);
    return {
      async release() {
        await c.query('commit');
        await c.end();
        lockClients.delete(c);
      },
    };
  }

  /** The backend of a process waiting for the key lock, within `timeoutMs`. */
  async function lockWaiter(timeoutMs: number): Promise<number | undefined> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const rows = await query<{ pid: number }>(scratch!.url, `select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike '%pg_advisory_xact_lock%' and application_name <> 'faults key lock'`);
      if (rows[0]) return rows[0].pid;
      await sleep(50);
    }
    return undefined;
  }

  const keyRows = () => query<KeyRow>(scratch!.url, 'select * from signing_keys order by activates_at');

  async function clientToken(client: { clientId: string; clientSecret?: string }): Promise<string> {
    const res = await fetch(`${url}/token`, { method: 'POST', headers: basic(client), body: 'grant_type=client_credentials', signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    return (JSON.parse(text) as { access_token: string }).access_token;
  }

  /**
   * The stored keys are a consistent set, and the running server agrees: one active key per
   * family with its hand-over planned, every key decrypts into the pair it publishes, the JWKS
   * is exactly the unexpired keys, and every token issued so far still verifies.
   */
  async function expectConsistent(client: { clientId: string; clientSecret?: string }, issued: string[]): Promise<void> {
    const encryption = new KeyEncryption([KEY_SECRET]);
    const rows = await keyRows();
    const now = Date.now();
    for (const family of ['primary', 'rs256']) {
      const mine = rows.filter((r) => r.family === family);
      const active = mine.filter((r) => r.activates_at.getTime() <= now && (r.retires_at === null || r.retires_at.getTime() > now));
      expect(active.map((r) => r.kid), `${family}: exactly one active key`).toHaveLength(1);
      const pending = mine.filter((r) => r.activates_at.getTime() > now);
      expect(pending.length, `${family}: at most one successor`).toBeLessThanOrEqual(1);
      // A successor takes over exactly when the active key retires: no gap, no overlap.
      if (pending[0]) expect(active[0]!.retires_at?.getTime(), `${family}: hand-over`).toBe(pending[0].activates_at.getTime());
    }
    for (const row of rows) {
      expect(row.alg).toBe(row.family === 'primary' ? 'ES256' : 'RS256');
      const privateKey = createPrivateKey({ key: encryption.decrypt(row.kid, row.private_key), format: 'der', type: 'pkcs8' });
      const derived = createPublicKey(privateKey).export({ format: 'jwk' }) as Record<string, string>;
      for (const member of Object.keys(derived)) expect(row.public_jwk[member], `${row.kid}.${member}`).toBe(derived[member]);
      expect(await calculateJwkThumbprint(derived as never)).toBe(row.kid);
    }
    const published = rows.filter((r) => r.deletes_at === null || r.deletes_at.getTime() > now).map((r) => r.kid).sort();
    // The server follows changes made elsewhere (NOTIFY): give it a moment to reload.
    let jwks: JSONWebKeySet | undefined;
    const until = Date.now() + 5000;
    do {
      const res = await fetch(`${url}/jwks`, { signal: AbortSignal.timeout(10_000) });
      expect(res.status).toBe(200);
      jwks = (await res.json()) as JSONWebKeySet;
      if (JSON.stringify(jwks.keys.map((k) => k.kid).sort()) === JSON.stringify(published)) break;
      await sleep(100);
    } while (Date.now() < until);
    expect(jwks.keys.map((k) => k.kid).sort(), 'the JWKS serves exactly the stored, unexpired keys').toEqual(published);
    for (const k of jwks.keys) expect(k, 'no private member is published').not.toHaveProperty('d');
    const keySet = createLocalJWKSet(jwks);
    const requestedAt = Date.now();
    const fresh = await clientToken(client);
    const answeredAt = Date.now();
    await jwtVerify(fresh, keySet, { issuer: url });
    // Signed by the key that is active now, as stored (not by one the server failed to let go).
    const activeAt = (t: number) => rows.find((r) => r.family === 'primary' && r.activates_at.getTime() <= t && (r.retires_at === null || r.retires_at.getTime() > t))?.kid;
    expect([activeAt(requestedAt), activeAt(answeredAt)]).toContain(decodeProtectedHeader(fresh).kid);
    for (const token of issued) {
      const { kid } = decodeProtectedHeader(token);
      expect(published, `the key of an earlier token (${kid}) is retained`).toContain(kid);
      await expect(jwtVerify(token, keySet, { issuer: url }), `an earlier token signed by ${kid}`).resolves.toBeTruthy();
    }
    issued.push(fresh);
  }

  it('restarts into a consistent key set after SIGKILLs in the middle of rotations', { timeout: 100_000 }, async () => {
    // A client for tokens, registered before the first start.
    const setup = await openDatabase({ databaseUrl: scratch!.url, dataDir: dataDir!, migrateOnStart: true }, createLogger({ level: 'silent' }));
    const { client, secret } = await new ClientService(setup.orm.em, async () => undefined).create({ name: 'Service', redirectUris: ['https://svc.example/cb'], grantTypes: ['client_credentials'] });
    await setup.close();
    const svc = { clientId: client.id, clientSecret: secret };
    const issued: string[] = [];
    const kills: { what: string; delayMs: number; committed: boolean }[] = [];

    /**
     * Releases the lock that `child`'s rotation (its backend `waiter`) waits for, kills `child`
     * `delayMs` later, and notes whether the rotation had committed.
     */
    async function killMidRotation(what: string, child: ChildProcess, waiter: number, lock: { release(): Promise<void> }, delayMs: number) {
      const before = JSON.stringify(await keyRows());
      await lock.release();
      if (delayMs) await sleep(delayMs);
      await kill(child);
      kills.push({ what, delayMs, committed: JSON.stringify(await keyRows()) !== before });
      // The rotation was the killed process's: its backend goes away with it.
      const until = Date.now() + 5000;
      while ((await query(scratch!.url, 'select 1 from pg_stat_activity where pid = $1', [waiter])).length && Date.now() < until) await sleep(50);
      expect(await query(scratch!.url, 'select 1 from pg_stat_activity where pid = $1', [waiter]), `${what}: the rotating connection belonged to the killed process`).toEqual([]);
    }

    // 0. The very first keys, killed while they are being made.
    let lock = await holdKeyLock();
    let server = spawn(['serve']);
    const first = await lockWaiter(15_000);
    expect(first, `the first start creates keys:\n${server.output()}`).toBeDefined();
    await killMidRotation('first keys', server, first!, lock, 0);

    server = await serve();
    await expectConsistent(svc, issued);

    // 1. The server's own scheduled rotation (every 10 s, a successor 2 s ahead), killed right
    //    after it takes the key lock.
    lock = await holdKeyLock();
    const scheduled = await lockWaiter(15_000);
    expect(scheduled, 'the scheduled rotation starts').toBeDefined();
    await killMidRotation('scheduled rotation in serve', server, scheduled!, lock, 0);

    // 2. Restarted while that rotation is due: the rotation at start, killed in turn (while it
    //    generates its keys).
    lock = await holdKeyLock();
    server = spawn(['serve']);
    const atStart = await lockWaiter(5_000);
    if (atStart) await killMidRotation('rotation at start', server, atStart, lock, 30);
    else {
      await lock.release();
      await kill(server);
    }

    // From here on no rotation falls due by itself, so that the only one under way is the
    // operator's (a key signs for an hour; what is stored stays as it is).
    env.JWT_OIDC_JWK_EXPIRATION_TIME = '3600';
    server = await serve();
    await expectConsistent(svc, issued);

    // 3. Operators' emergency rotations (`keys rotate --now`) killed at different moments,
    //    while the server keeps serving.
    for (const delayMs of [0, 40, 150]) {
      lock = await holdKeyLock();
      const rotate = spawn(['keys', 'rotate', '--now']);
      const waiting = await lockWaiter(15_000);
      expect(waiting, `keys rotate --now reaches the key lock:\n${rotate.output()}`).toBeDefined();
      await killMidRotation('keys rotate --now', rotate, waiting!, lock, delayMs);
      await expectConsistent(svc, issued);
    }
    // One that completes: the server picks up the new keys, old tokens keep verifying.
    const done = await finished(spawn(['keys', 'rotate', '--now']));
    expect(done.code, done.stderr).toBe(0);
    await expectConsistent(svc, issued);

    // 4. And the server killed out of the blue, started again.
    await kill(server);
    server = await serve();
    await expectConsistent(svc, issued);
    await kill(server);

    console.info('kills', JSON.stringify(kills));
    // The kills really landed inside rotations: at least one before its commit.
    expect(kills.some((k) => !k.committed), JSON.stringify(kills)).toBe(true);
    expect(kills.length).toBeGreaterThanOrEqual(5);
  });
});

function basic(client: { clientId: string; clientSecret?: string }): Record<string, string> {
  return { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret!)}`).toString('base64')}` };
}

describe('a slow, silent or hanging-up upstream provider', () => {
  const upstreams: MisbehavingUpstream[] = [];
  const bffs: Bff[] = [];
  let key: { privateKey: CryptoKey; jwk: Record<string, unknown> };
  afterAll(async () => {
    await Promise.all(bffs.map((b) => b.close()));
    await Promise.all(upstreams.map((u) => u.close()));
  });
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    key = { privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' } };
  });

  /** An upstream that answers discovery and its JWKS properly until told otherwise. */
  async function upstream(): Promise<MisbehavingUpstream & { healthy(): void; issuer: string }> {
    const u = await misbehavingUpstream();
    upstreams.push(u);
    const issuer = u.origin;
    const healthy = () => {
      u.routes.set('/.well-known/openid-configuration', {
        kind: 'json',
        body: { issuer, jwks_uri: `${issuer}/jwks`, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, userinfo_endpoint: `${issuer}/userinfo`, response_types_supported: ['code'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['ES256'] },
      });
      u.routes.set('/jwks', { kind: 'json', body: { keys: [key.jwk] } });
    };
    healthy();
    return Object.assign(u, { healthy, issuer });
  }

  function accessToken(issuer: string, audience: string): Promise<string> {
    return new SignJWT({ client_id: 'spa', scope: 'openid' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(randomUUID())
      .sign(key.privateKey);
  }

  const FAULTS: Record<string, (u: MisbehavingUpstream) => void> = {
    'JWKS slower than the timeout': (u) => u.routes.set('/jwks', { kind: 'json', body: { keys: [] }, delayMs: 20_000 }),
    'JWKS body never finishes': (u) => u.routes.set('/jwks', { kind: 'stalled-body' }),
    'JWKS connection closed': (u) => u.routes.set('/jwks', { kind: 'hang-up' }),
    'discovery never answers': (u) => u.routes.set('/.well-known/openid-configuration', { kind: 'silent' }),
    'discovery connection closed': (u) => u.routes.set('/.well-known/openid-configuration', { kind: 'hang-up' }),
    'discovery answers 502': (u) => u.routes.set('/.well-known/openid-configuration', { kind: 'json', status: 502, body: { error: 'bad gateway' } }),
  };

  it('RemoteIssuer (@jwt-oidc/apollo, @jwt-oidc/express): IssuerUnavailableError within its timeout, and works once the provider does', async () => {
    await Promise.all(
      Object.entries(FAULTS).map(async ([name, fault]) => {
        const u = await upstream();
        fault(u);
        const remote = new RemoteIssuer({ issuer: u.issuer, audience: 'api', timeout: 1000, allowInsecureRequests: true });
        const token = await accessToken(u.issuer, 'api');
        const started = Date.now();
        const error = await remote.verify(token).then(() => undefined, (e: unknown) => e);
        const elapsed = Date.now() - started;
        expect(error, name).toBeInstanceOf(IssuerUnavailableError);
        expect((error as IssuerUnavailableError).status).toBe(503);
        expect((error as IssuerUnavailableError).retryAfter).toBeGreaterThan(0);
        expect((error as Error).message, name).toMatch(/issuer/);
        // A 1 s timeout: bounded by it, not by the upstream (which takes 20 s or forever).
        expect(elapsed, name).toBeLessThan(5000);
        // The failure is not remembered: the next request, with the provider back, succeeds.
        u.healthy();
        await expect(remote.verify(token), `${name}, then healthy`).resolves.toMatchObject({ sub: 'alice', clientId: 'spa' });
      }),
    );
  });

  it('client mode: GraphQL and login answer 503 with Retry-After within the timeouts, then recover', { timeout: 60_000 }, async () => {
    const cases = [
      { name: 'JWKS slower than the timeout', login: false },
      { name: 'discovery never answers', login: true },
      { name: 'discovery connection closed', login: true },
      { name: 'discovery answers 502', login: true },
    ];
    await Promise.all(
      cases.map(async ({ name, login }) => {
        const u = await upstream();
        const bff = await startBff(await freePort(), `${u.issuer}/.well-known/openid-configuration`, { JWT_OIDC_CLIENT_ID: 'bff', JWT_OIDC_CLIENT_SECRET: 's'.repeat(32) });
        bffs.push(bff);
        FAULTS[name]!(u);
        const token = await accessToken(u.issuer, 'bff');
        const me = () => timed(`${name}: me`, `${bff.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ me { sub } }' }) });

        // Bearer verification (RemoteIssuer's 5 s timeout) and, at the same time, a login, which
        // needs discovery (the relying party's 10 s timeout): both well before the upstream answers.
        const [o, l] = await Promise.all([me(), login ? timed(`${name}: login`, `${bff.url}/openid/login`, {}, 20_000) : undefined]);
        expect(o.status, `${o.op}: ${o.failure ?? o.body.slice(0, 300)}`).toBe(503);
        expectCleanUnavailable(o);
        expect(JSON.parse(o.body).errors[0].extensions.code, o.op).toBe('SERVICE_UNAVAILABLE');
        expect(o.endedAt - o.startedAt, o.op).toBeLessThan(10_000);
        if (l) {
          // A page that says to try again, not a 500.
          expect(l.status, `${l.op}: ${l.failure ?? l.body.slice(0, 300)}`).toBe(503);
          expectCleanUnavailable(l);
          expect(l.endedAt - l.startedAt, l.op).toBeLessThan(15_000);
        }

        u.healthy();
        const ok = await me();
        expect(ok.status, `${name}, then healthy: ${ok.body.slice(0, 300)}`).toBe(200);
        expect(JSON.parse(ok.body).data.me.sub).toBe('alice');
        if (login) {
          const l = await timed(`${name}: login, then healthy`, `${bff.url}/openid/login`);
          expect(l.status, l.body.slice(0, 300)).toBe(303);
          expect(l.res!.headers.get('location')).toMatch(new RegExp(`^${u.issuer}/authorize\\?`));
        }
      }),
    );
  });
});
