/**
 * Everything the scenarios run against, started on first use and shared between them: the
 * PostgreSQL server and a scratch database per provider, our providers, the peers, registered
 * clients, a logged-in user. `--only` thus starts only what its scenarios need.
 */
import { spawn } from 'node:child_process';
import { createScratchDatabase, type ScratchDatabase } from '../../src/db/scratch.js';
import { devDatabaseServer } from '../../scripts/dev-database.js';
import { CookieJar, basicAuth, loginSession, pkcePair } from './http.js';
import type { Loader } from './loader.js';
import { ROOT, freePort, providerEnv, sleep, startPeer, startProvider, type ServerProcess, type SignatureAlg } from './servers.js';

export interface Config {
  quick: boolean;
  /** Concurrent connections of autocannon (both sides of a pair alike). */
  connections: number;
  warmupSec: number;
  roundSec: number;
  rounds: number;
  rotationSec: number;
  instancesSec: number;
  /** Cache misses: the plugin's LRU size, and a pool of distinct tokens larger than it. */
  missCacheSize: number;
  missPoolSize: number;
  /** Extra node arguments for our provider processes (e.g. --cpu-prof). */
  providerNodeArgs: string[];
  /** dist/src/cli.js of the run's copy of the build, and the copy's peers (lib/snapshot.ts). */
  cli: string;
  peersDir: string;
}

/** The audience of the benchmark's API: access tokens name it, the resource servers require it. */
export const API = 'https://api.bench.example';
export const RP_REDIRECT = 'http://127.0.0.1/bench/callback';
const USER = { username: 'bench-user', password: 'bench-password-0123456789' };

export interface OurProvider {
  server: ServerProcess;
  issuer: string;
  databaseUrl: string;
  alg: SignatureAlg;
  /** `Basic …` of a client_credentials client whose tokens name API. */
  ccAuthorization: string;
}

export interface RelyingParty {
  clientId: string;
  authorization: string;
  redirectUri: string;
  pkce: { verifier: string; challenge: string };
  scope: string;
  /** A browser with a provider session: its authorization requests get codes at once. */
  jar: CookieJar;
}

export class BenchEnv {
  private readonly memo = new Map<string, Promise<unknown>>();
  private readonly servers: ServerProcess[] = [];
  private readonly databases: ScratchDatabase[] = [];
  private release: (() => Promise<void>) | undefined;

  constructor(
    readonly config: Config,
    readonly loader: Loader,
  ) {}

  private once<T>(key: string, make: () => Promise<T>): Promise<T> {
    if (!this.memo.has(key)) {
      const t0 = Date.now();
      this.memo.set(key, make().then((v) => (process.env.BENCH_DEBUG && process.stderr.write(`[bench] ${key} ready in ${Date.now() - t0} ms\n`), v)));
    }
    return this.memo.get(key) as Promise<T>;
  }

  /** Our provider processes started so far (not the peers, nor the resource servers): by name. */
  providers(): ServerProcess[] {
    return this.servers.filter((s) => s.name.startsWith('jwt-oidc'));
  }

  private track(server: ServerProcess): ServerProcess {
    this.servers.push(server);
    return server;
  }

  adminUrl(): Promise<string> {
    return this.once('pg', async () => {
      const pg = await devDatabaseServer();
      this.release = pg.release;
      return pg.adminUrl;
    });
  }

  /** A fresh database per provider family: providers with another key policy must not share keys. */
  database(name: string): Promise<ScratchDatabase> {
    return this.once(`db:${name}`, async () => {
      const db = await createScratchDatabase(await this.adminUrl(), 'jwt_oidc_bench');
      this.databases.push(db);
      return db;
    });
  }

  /** Our provider with `alg` (ES256 also serves the user flows), with a client_credentials client. */
  provider(alg: SignatureAlg): Promise<OurProvider> {
    return this.once(`provider:${alg}`, () => this.startOurs(`jwt-oidc ${alg}`, `main-${alg}`, alg));
  }

  /** The provider of the scale scenarios: its own database, which they fill with a million rows of each kind. */
  scaleProvider(): Promise<OurProvider> {
    // Refresh tokens (and so their grants) and sessions for a week: the sweep scenario sweeps with
    // a clock two days ahead, and neither the tokens loading /token meanwhile nor the session that
    // makes more of them may be among what it deletes.
    const week = String(7 * 86_400);
    return this.once('provider:scale', () => this.startOurs('jwt-oidc scale', 'scale', 'ES256', { JWT_OIDC_JWT_REFRESH_TOKEN_EXPIRATION_TIME: week, JWT_OIDC_SESSION_EXPIRATION_TIME: week }));
  }

  /** A provider whose keys rotate every 10 s, published 3 s ahead (scenario "rotation"). */
  rotatingProvider(): Promise<OurProvider> {
    return this.once('provider:rotating', () => this.startOurs('jwt-oidc rotating', 'rotating', 'ES256', { JWT_OIDC_JWK_EXPIRATION_TIME: '10', JWT_OIDC_KEY_PREPUBLISH_TIME: '3' }));
  }

  /** A second instance of the ES256 provider, on its database and with its issuer. */
  secondInstance(): Promise<ServerProcess> {
    return this.once('provider:ES256:b', async () => {
      const first = await this.provider('ES256');
      return this.track(await startProvider({ name: 'jwt-oidc ES256 (2nd)', cli: this.config.cli, databaseUrl: first.databaseUrl, alg: 'ES256', issuer: first.issuer, nodeArgs: this.config.providerNodeArgs }));
    });
  }

  /**
   * The origin (= issuer) a provider will have, known before it starts: resource servers are
   * started in parallel with their provider (they read its discovery on the first request).
   */
  private origin(key: string): Promise<string> {
    return this.once(`port:${key}`, async () => `http://127.0.0.1:${await freePort()}`);
  }

  private async startOurs(name: string, dbName: string, alg: SignatureAlg, extra: Record<string, string> = {}): Promise<OurProvider> {
    const [db, origin] = await Promise.all([this.database(dbName), this.origin(dbName)]);
    const port = Number(new URL(origin).port);
    const server = this.track(await startProvider({ name, cli: this.config.cli, databaseUrl: db.url, alg, port, extra, nodeArgs: this.config.providerNodeArgs }));
    const cli = (args: string[], input?: string) => runCli(this.config.cli, args, providerEnv({ port: 0, issuer: server.url, databaseUrl: db.url, alg, extra }), input);
    const cc = JSON.parse(await cli(['clients', 'create', '--json', '--name', 'bench m2m', '--grant-types', 'client_credentials', '--audience', API])) as { clientId: string; clientSecret: string };
    const provider: OurProvider = { server, issuer: server.url, databaseUrl: db.url, alg, ccAuthorization: basicAuth(cc.clientId, cc.clientSecret) };
    await this.waitForClient(provider);
    return provider;
  }

  /**
   * The CLI tells running servers about new clients through NOTIFY; wait until this one's
   * registry has it (a token request succeeds), so no scenario starts against a stale registry.
   */
  private async waitForClient(p: OurProvider): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${p.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: p.ccAuthorization }, body: 'grant_type=client_credentials&scope=api' });
      await res.arrayBuffer();
      if (res.status === 200) return;
      await sleep(100);
    }
    throw new Error(`${p.server.name}: the new client is still refused`);
  }

  /** A first-party relying party on the ES256 provider, and a user logged in through the real pages. */
  relyingParty(): Promise<RelyingParty> {
    return this.once('rp', async () => this.relyingPartyOf(await this.provider('ES256')));
  }

  /** The same on the scale scenarios' provider. */
  scaleRelyingParty(): Promise<RelyingParty> {
    return this.once('rp:scale', async () => this.relyingPartyOf(await this.scaleProvider()));
  }

  private async relyingPartyOf(p: OurProvider): Promise<RelyingParty> {
    const env = providerEnv({ port: 0, issuer: p.issuer, databaseUrl: p.databaseUrl, alg: 'ES256' });
    const [client] = await Promise.all([
      runCli(this.config.cli, ['clients', 'create', '--json', '--name', 'bench rp', '--first-party', '--redirect-uri', RP_REDIRECT, '--grant-types', 'authorization_code', 'refresh_token', '--audience', API], env).then((out) => JSON.parse(out) as { clientId: string; clientSecret: string }),
      runCli(this.config.cli, ['users', 'create', '--username', USER.username, '--email', 'bench@example.com', '--email-verified', '--given-name', 'Bench', '--password-stdin'], env, USER.password),
    ]);
    const pkce = pkcePair();
    const scope = 'openid profile email offline_access';
    const params = { clientId: client.clientId, redirectUri: RP_REDIRECT, scope, challenge: pkce.challenge };
    let jar: CookieJar | undefined;
    for (let i = 0; !jar; i++) {
      // The registry may not have the new client yet (NOTIFY is asynchronous): retry briefly.
      jar = await loginSession(p.issuer, params, USER).catch(async (e: Error) => {
        if (i > 50) throw e;
        await sleep(100);
        return undefined;
      });
    }
    return { clientId: client.clientId, authorization: basicAuth(client.clientId, client.clientSecret), redirectUri: RP_REDIRECT, pkce, scope, jar };
  }

  oidcProvider(alg: SignatureAlg): Promise<{ server: ServerProcess; authorization: string }> {
    return this.once(`oidc-provider:${alg}`, async () => {
      const secret = 'bench-secret-for-oidc-provider-0123456789';
      const server = this.track(await startPeer(`oidc-provider ${alg}`, this.config.peersDir, 'oidc-provider.ts', { ALG: alg, CLIENT_ID: 'bench', CLIENT_SECRET: secret, AUDIENCE: API }));
      return { server, authorization: basicAuth('bench', secret) };
    });
  }

  bareApollo(): Promise<ServerProcess> {
    return this.once('apollo:bare', async () => this.track(await startPeer('bare Apollo', this.config.peersDir, 'apollo-bare.ts')));
  }

  /** Apollo with the plugin, trusting our provider of `alg`; `cacheSize` for the miss scenario. */
  pluginApollo(alg: SignatureAlg, cacheSize?: number): Promise<ServerProcess> {
    return this.once(`apollo:plugin:${alg}:${cacheSize ?? 'default'}`, async () => {
      const issuer = await this.origin(`main-${alg}`);
      return this.track(await startPeer(`Apollo + plugin (${alg})`, this.config.peersDir, 'apollo-plugin.ts', { ISSUER: issuer, AUDIENCE: API, ...(cacheSize ? { CACHE_SIZE: String(cacheSize) } : {}) }));
    });
  }

  /** graphql-ws over `ws` without authentication (scenario "subscription-connect"). */
  bareWs(): Promise<ServerProcess> {
    return this.once('ws:bare', async () => this.track(await startPeer('bare graphql-ws', this.config.peersDir, 'ws-bare.ts')));
  }

  /** graphql-ws with withSubscriptionAuth, trusting our provider of `alg`; `cacheSize` for the miss scenario. */
  authWs(alg: SignatureAlg, cacheSize?: number): Promise<ServerProcess> {
    return this.once(`ws:auth:${alg}:${cacheSize ?? 'default'}`, async () => {
      const issuer = await this.origin(`main-${alg}`);
      return this.track(await startPeer(`graphql-ws + withSubscriptionAuth (${alg})`, this.config.peersDir, 'ws-auth.ts', { ISSUER: issuer, AUDIENCE: API, ...(cacheSize ? { CACHE_SIZE: String(cacheSize) } : {}) }));
    });
  }

  /** Apollo with the plugin at default settings, trusting the rotating provider. */
  rotationResourceServer(): Promise<ServerProcess> {
    return this.once('apollo:plugin:rotating', async () => {
      const issuer = await this.origin('rotating');
      return this.track(await startPeer('Apollo + plugin (rotating)', this.config.peersDir, 'apollo-plugin.ts', { ISSUER: issuer, AUDIENCE: API }));
    });
  }

  /** Stops every server, drops the scratch databases, releases the embedded cluster. */
  async close(): Promise<void> {
    await Promise.allSettled(this.servers.map((s) => s.stop()));
    await Promise.allSettled(this.databases.map((d) => d.drop()));
    await this.release?.();
  }
}

/** `jwt-oidc …` from the build (the real command), with JSON output; resolves its stdout. */
export function runCli(cli: string, args: string[], env: Record<string, string>, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.end(input ?? '');
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`jwt-oidc ${args.slice(0, 2).join(' ')} failed (${code}): ${err || out}`))));
  });
}
