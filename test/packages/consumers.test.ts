/**
 * The three packages as a user installs them (packages/*\/README.md, "Install" and "Example"):
 *   - each is packed with `npm pack` (its `prepack` builds it); the tarball holds the package's
 *     own build, sources, README and LICENSE, and nothing else;
 *   - each tarball is installed into a fresh app next to the peers the repo pins, and the README's
 *     ```ts examples are compiled AS PRINTED, together, with strict TypeScript (skipLibCheck off:
 *     the published declarations are checked too): the first is the app's `index.ts`, every
 *     further one names its file on its first line (`// file: several-issuers.ts`). Each is run
 *     as a real `node` process, then exercised over loopback HTTP against our provider (bearer
 *     tokens, @requiresScopes, a browser login through oidcClient with memory and PostgreSQL
 *     sessions) and against oidc-provider 9 (RFC 9068 JWT access tokens by resource indicator):
 *       - resource, `several-issuers.ts`: an IssuerSet trusting both providers, each for its own
 *         audience; a token of one for the other's audience, or signed by one and claiming the
 *         other's `iss`, is refused;
 *       - resource, `dpop.ts`: DPoP-bound tokens (RFC 9449) of a local key set (its discovery and
 *         JWKS on loopback), with proofs signed by jose: accepted once each, the README's
 *         challenges, and its nonces;
 *       - express, `opaque-tokens.ts`: a second oidc-provider issuing opaque access tokens, which
 *         bearerAuth introspects (RFC 7662): active ones accepted, unknown ones refused, revoked
 *         ones refused once the example's introspection cache TTL (short here) has passed;
 *       - apollo, `subscriptions.ts`: graphql-ws beside Apollo Server with withSubscriptionAuth,
 *         reached with graphql-ws's own client: tokens in connection_init, 4401 for foreign ones,
 *         a connection cut at its token's `exp` (a provider of 4-second tokens) unless renewed;
 *   - `@jwt-oidc/express/user-mapping`, which the service's settings import, on its own: without
 *     Express or openid-client installed;
 *   - what an install adds to node_modules, and that `npm publish --dry-run` is clean.
 * The apps live in a temporary directory and reach the npm registry for the third-party packages
 * (`--prefer-offline`: the npm cache first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WRITABLE_USER_FIELDS } from '@jwt-oidc/express/user-mapping';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/util/free-port.js';
import { query, testDatabase } from '../support/database.js';
import { browse, clientToken, CookieJar, startProvider, throughLoginPages, tokensFor, type TestProvider } from '../support/provider.js';
import { OP_RESOURCE, startOidcProvider, type ReferenceOp } from '../support/reference-op.js';
import { closedWithin, connectWs, until } from '../support/graphql-ws.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const PACKAGES = ['resource', 'apollo', 'express'] as const;
type Pkg = (typeof PACKAGES)[number];
/** The API of our provider's tokens, the audience the examples are configured with. */
const API = 'https://shop.example/api';
const MB = 1024 * 1024;

/** `name@version` as the repo's root package.json pins it: the peers a user would pick today. */
const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
function pinned(name: string): string {
  const version = rootPkg.dependencies[name] ?? rootPkg.devDependencies[name];
  if (!version) throw new Error(`${name} is not in the root package.json`);
  return `${name}@${version}`;
}

const work = mkdtempSync(join(tmpdir(), 'jwt-oidc-consumers-'));

// ---- child processes ----------------------------------------------------------------------------

const children = new Set<ChildProcess>();
// Should the worker go away without afterAll, no example keeps a port.
process.once('exit', () => children.forEach((c) => c.kill('SIGKILL')));

/**
 * npm and node as a user's shell runs them: none of the test runner's settings (NODE_ENV,
 * npm_* of an enclosing `npm test`, which npm would read as its own configuration).
 */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|NODE_ENV$|NODE_OPTIONS$|LOG_LEVEL$|PORT$|BASE_URL$)/i.test(k) && !/^npm_config_(cache|userconfig|registry)$/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The command and everything it printed, for assertion messages. */
  log: string;
}

function run(cmd: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr, log: `$ (cd ${cwd} && ${cmd} ${args.join(' ')}) → ${code}\n${stdout}\n${stderr}` });
    });
  });
}

/** A command that must succeed: its output in the error otherwise. */
async function must(cmd: string, args: string[], cwd: string): Promise<Run> {
  const r = await run(cmd, args, cwd);
  if (r.code !== 0) throw new Error(r.log);
  return r;
}

/** An example of an app, running: `node dist/index.js` (or another entry) with the README's environment variables. */
interface Example {
  url: string;
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * `port`: the PORT to give the example (a free one by default), or `{ readmeDefault }`: no PORT
 * at all, so the example listens where its README says it does by default. `entry`: the compiled
 * file to run, `dist/index.js` (the README's first example) unless another example's
 * (`exampleEntry('several-issuers.ts')`).
 */
async function startExample(dir: string, env: Record<string, string>, port?: number | { readmeDefault: string }, entry = 'dist/index.js'): Promise<Example> {
  port ??= await freePort();
  const portEnv: Record<string, string> = typeof port === 'number' ? { PORT: String(port) } : {};
  const child = spawn(process.execPath, [entry], { cwd: dir, env: userEnv({ NODE_ENV: 'development', ...portEnv, ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => ((err += d.toString()), (out += d.toString())));
  const url = typeof port === 'number' ? `http://127.0.0.1:${port}` : port.readmeDefault;
  const example: Example = {
    url,
    child,
    output: () => out,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      children.delete(child);
    },
  };
  // Listening once it answers anything at all (the examples print nothing, or not at once).
  const until = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the example in ${dir} exited (${child.exitCode ?? child.signalCode}):\n${out}`);
    try {
      await fetch(url);
      return example;
    } catch {
      if (Date.now() > until) throw new Error(`the example in ${dir} did not listen on ${url} within 30 s:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

// ---- packing and installing ---------------------------------------------------------------------

const version = (p: Pkg) => (JSON.parse(readFileSync(join(ROOT, 'packages', p, 'package.json'), 'utf8')) as { version: string }).version;
const tarballs = {} as Record<Pkg, string>;
const tarballFiles = {} as Record<Pkg, string[]>;

/**
 * The packages are packed from a copy of packages/ (everything but dist/ and node_modules/),
 * so that their `prepack` (`rm -rf dist && tsc`) never removes the dist/ that other test files
 * and the service's build load while this one runs. The copy resolves the repo's dependencies
 * through symlinks, except `@jwt-oidc/resource`, which is the copy's own: apollo and express are
 * built against the resource package packed here.
 */
const stage = join(work, 'stage');

function stagePackages(): void {
  mkdirSync(join(stage, 'packages'), { recursive: true });
  cpSync(join(ROOT, 'packages/tsconfig.base.json'), join(stage, 'packages/tsconfig.base.json'));
  for (const p of PACKAGES) {
    const from = join(ROOT, 'packages', p);
    cpSync(from, join(stage, 'packages', p), { recursive: true, filter: (src) => !/^(dist|node_modules)(\/|$)/.test(relative(from, src)) });
    if (existsSync(join(from, 'node_modules'))) symlinkSync(join(from, 'node_modules'), join(stage, 'packages', p, 'node_modules'));
  }
  mkdirSync(join(stage, 'node_modules/@jwt-oidc'), { recursive: true });
  for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
    if (entry !== '@jwt-oidc') symlinkSync(join(ROOT, 'node_modules', entry), join(stage, 'node_modules', entry));
  }
  symlinkSync(join(stage, 'packages/resource'), join(stage, 'node_modules/@jwt-oidc/resource'));
}

async function pack(p: Pkg): Promise<void> {
  const dest = join(work, 'tarballs');
  mkdirSync(dest, { recursive: true });
  await must('npm', ['pack', '--pack-destination', dest], join(stage, 'packages', p));
  tarballs[p] = join(dest, `jwt-oidc-${p}-${version(p)}.tgz`);
  tarballFiles[p] = (await must('tar', ['tzf', tarballs[p]], work)).stdout.split('\n').filter(Boolean);
}

/** Bytes of the regular files under `dir`, symlinks not followed. */
function treeSize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += treeSize(path);
    else if (entry.isFile()) total += lstatSync(path).size;
  }
  return total;
}

interface App {
  dir: string;
  /** node_modules before and after the package's tarballs were installed (peers and the example's needs, then +tarballs). */
  before: number;
  after: number;
}

const NPM_INSTALL = ['install', '--no-audit', '--no-fund', '--prefer-offline', '--save-exact'];

/**
 * A fresh app: its peers and what compiling and running the example needs besides (types, pg)
 * first, measured; then the tarballs, measured again.
 *
 * The tarballs of one app go in ONE `npm install`: @jwt-oidc/apollo and @jwt-oidc/express depend
 * on `"@jwt-oidc/resource": "<the same version>"`, which is not on the registry; installed alone their tarball
 * fails with E404 for it. Installed together with the resource tarball, npm takes that one for
 * the dependency (it satisfies that exact version) and never asks the registry, so no `overrides` are needed.
 */
async function installApp(name: string, peers: string[], packages: Pkg[], extra: string[]): Promise<App> {
  const dir = join(work, `app-${name}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `app-${name}`, type: 'module', private: true }, null, 2));
  await must('npm', [...NPM_INSTALL, ...peers, ...extra], dir);
  const before = treeSize(join(dir, 'node_modules'));
  await must('npm', [...NPM_INSTALL, ...packages.map((p) => tarballs[p])], dir);
  const after = treeSize(join(dir, 'node_modules'));
  return { dir, before, after };
}

/** The first line a further ```ts block of a README must start with: the file it is, in the app. */
const FILE_LINE = /^\/\/ file: ([a-z0-9][a-z0-9-]*\.ts)\n/;

/**
 * The ```ts blocks of a package's README, as printed, by the file each is in the app: the first
 * is `index.ts`; every further one names its own with a first line `// file: <name>.ts` (kept in
 * the file: the example is compiled as printed).
 */
function readmeExamples(p: Pkg): Map<string, string> {
  const readme = `packages/${p}/README.md`;
  const blocks = [...readFileSync(join(ROOT, readme), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks.length, `${readme} must have a ts block`).toBeGreaterThan(0);
  const files = new Map([['index.ts', blocks[0]!]]);
  for (const [i, block] of blocks.entries()) {
    if (i === 0) continue;
    const name = FILE_LINE.exec(block)?.[1];
    if (!name) throw new Error(`${readme}: ts block ${i + 1} must start with a line \`// file: <name>.ts\` naming its file in the app (lowercase, digits and dashes), not ${JSON.stringify(block.split('\n')[0])}`);
    if (files.has(name)) throw new Error(`${readme}: ts block ${i + 1} is ${name}, which ${name === 'index.ts' ? 'the first block is' : 'an earlier block names'}`);
    files.set(name, block);
  }
  return files;
}

/** The first ```ts block of a package's README (the app's `index.ts`), as printed. */
function readmeExample(p: Pkg): string {
  return readmeExamples(p).get('index.ts')!;
}

/** What `node` runs for one of the README's files: `several-issuers.ts` → `dist/several-issuers.js`. */
function exampleEntry(file: string): string {
  return `dist/${file.replace(/\.ts$/, '.js')}`;
}

const compiled = new Map<Pkg, Promise<Run>>();

/**
 * Writes every README example of the package and a strict tsconfig listing them into the app and
 * compiles them together with the repo's TypeScript (once per app: later calls share the result).
 */
function compileExample(app: App, p: Pkg): Promise<Run> {
  let result = compiled.get(p);
  if (!result) {
    const files = readmeExamples(p);
    for (const [name, source] of files) writeFileSync(join(app.dir, name), source);
    const compilerOptions = { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, skipLibCheck: false, outDir: 'dist', rootDir: '.' };
    writeFileSync(join(app.dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: [...files.keys()] }, null, 2));
    result = run(process.execPath, [TSC, '-p', 'tsconfig.json'], app.dir);
    compiled.set(p, result);
  }
  return result;
}

/**
 * The README's examples of a package, compiled (for the tests that run one): throws with the
 * compiler's output if they do not compile, or if `file` is not one of them.
 */
async function compiledExample(p: Pkg, file: string): Promise<string> {
  if (!readmeExamples(p).has(file)) throw new Error(`packages/${p}/README.md has no ts block \`// file: ${file}\``);
  const r = await compileExample(apps[p], p);
  if (r.code !== 0) throw new Error(r.log);
  return exampleEntry(file);
}

// ---- HTTP as a client ---------------------------------------------------------------------------

interface Reply {
  status: number;
  www: string | null;
  headers: Headers;
  text: string;
  body: any;
}

async function reply(res: Response): Promise<Reply> {
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, www: res.headers.get('www-authenticate'), headers: res.headers, text, body };
}

const bearer = (token?: string): Record<string, string> => (token === undefined ? {} : { authorization: `Bearer ${token}` });

function get(url: string, token?: string, headers: Record<string, string> = {}): Promise<Reply> {
  return fetch(url, { headers: { ...bearer(token), ...headers } }).then(reply);
}

/** A GraphQL operation as a JSON client posts it (Apollo's CSRF prevention lets it through). */
function gql(url: string, query: string, token?: string): Promise<Reply> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(token) }, body: JSON.stringify({ query }) }).then(reply);
}

/** The same token with one claim changed and the signature kept. */
function tamper(token: string, claims: Record<string, unknown>): string {
  const [h, , s] = token.split('.');
  return `${h}.${Buffer.from(JSON.stringify({ ...decodeJwt(token), ...claims })).toString('base64url')}.${s}`;
}

// ---- the world ----------------------------------------------------------------------------------

let provider: TestProvider;
let op: ReferenceOp;
const apps = {} as Record<Pkg, App>;
let user: { id: string; username: string; password: string };
/** A relying party whose access tokens also name API. */
let rp: { clientId: string; clientSecret?: string; redirectUri: string };
/** A client_credentials client whose tokens name API, and one whose tokens do not. */
let m2m: { clientId: string; clientSecret?: string };
let otherApi: { clientId: string; clientSecret?: string };
/** An admin client, as the root README registers one for automation, whose tokens name API too. */
let automation: { clientId: string; clientSecret?: string };
/** Tokens of our provider: a user's for API with openid, email and orders:read; m2m's with and without orders:read; one for another audience. */
let userToken: string;
/** `client_credentials` with `scope=admin`, as the root README gets it with curl: no user. */
let adminToken: string;
let ordersToken: string;
let noScopeToken: string;
let otherAudienceToken: string;
/** oidc-provider's token for OP_RESOURCE with orders:read (its `sub` is the client, `m2m`). */
let opToken: string;
let sessionsDb: Awaited<ReturnType<typeof testDatabase>>;

beforeAll(async () => {
  const packAndInstall = async () => {
    stagePackages();
    await pack('resource'); // apollo and express are built against it
    await Promise.all([pack('apollo'), pack('express')]);
    const types = [pinned('@types/node')];
    [apps.resource, apps.apollo, apps.express] = await Promise.all([
      installApp('resource', [], ['resource'], types),
      // The subscriptions example's needs besides: graphql-ws on ws, served beside Apollo on Express.
      installApp('apollo', [pinned('@apollo/server'), pinned('graphql'), pinned('graphql-ws')], ['resource', 'apollo'], [...types, pinned('ws'), pinned('@types/ws'), pinned('express'), pinned('@types/express'), pinned('@as-integrations/express5'), pinned('@graphql-tools/schema')]),
      installApp('express', [pinned('express')], ['resource', 'express'], [...types, pinned('@types/express'), pinned('pg')]),
    ]);
  };
  [provider, op, sessionsDb] = await Promise.all([
    startProvider({ JWT_OIDC_API_SCOPES: 'orders:read' }),
    startOidcProvider({ scope: 'orders:read' }),
    testDatabase(),
    packAndInstall(),
  ]);
  user = await provider.createUser({ givenName: 'Alice' });
  rp = await provider.createClient({ audiences: [API], grantTypes: ['authorization_code', 'refresh_token'] });
  m2m = await provider.createClient({ name: 'Orders job', audiences: [API], grantTypes: ['client_credentials'] });
  otherApi = await provider.createClient({ name: 'No API audience', grantTypes: ['client_credentials'] });
  automation = await provider.createClient({ name: 'Automation', audiences: [API], grantTypes: ['client_credentials'], admin: true });
  userToken = (await tokensFor(provider, rp, user, 'openid email orders:read')).access_token;
  adminToken = await clientToken(provider, automation, 'admin');
  ordersToken = await clientToken(provider, m2m, 'orders:read');
  noScopeToken = await clientToken(provider, m2m);
  otherAudienceToken = await clientToken(provider, otherApi, 'orders:read');
  opToken = await op.token('orders:read');
  // The tokens are what the tests below take them for.
  expect(decodeJwt(userToken)).toMatchObject({ sub: user.id, aud: expect.arrayContaining([API]), scope: expect.stringContaining('orders:read') });
  expect(decodeJwt(noScopeToken).scope ?? '').not.toContain('orders:read');
  expect(decodeJwt(adminToken)).toMatchObject({ sub: automation.clientId, aud: expect.arrayContaining([API]), scope: 'admin' });
  expect(decodeJwt(otherAudienceToken).aud).not.toContain(API);
  expect(decodeJwt(opToken)).toMatchObject({ iss: op.issuer, aud: OP_RESOURCE, sub: 'm2m', scope: 'orders:read' });
}, 600_000);

afterAll(async () => {
  await Promise.all(
    [...children].map(async (c) => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    }),
  );
  await op?.close();
  await provider?.close();
  await sessionsDb?.drop();
  rmSync(work, { recursive: true, force: true });
});

// ---- the tests ----------------------------------------------------------------------------------

describe('npm pack', () => {
  for (const p of PACKAGES) {
    it(`@jwt-oidc/${p}: the tarball holds package.json, README.md, LICENSE, the build and its own sources, nothing else`, () => {
      const files = tarballFiles[p];
      const list = files.join('\n');
      for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']) expect(files, list).toContain(`package/${f}`);
      for (const f of files) {
        expect(f, list).toMatch(/^package\//);
        expect(f, 'no tests').not.toMatch(/(^|\/)(test|tests|__tests__|fixtures)\/|\.(test|spec)\.[cm]?[jt]s$/);
        expect(f, 'no tsconfig').not.toMatch(/tsconfig/);
        expect(f, 'no node_modules').not.toMatch(/node_modules/);
      }
      // Its own sources only: every source file is one of packages/<p>/src, every built file is
      // built from one of them (another package's code would show up under either).
      const sources = new Set(readdirSync(join(ROOT, 'packages', p, 'src')).map((f) => f.replace(/\.ts$/, '')));
      for (const f of files.filter((f) => /^package\/(src|dist)\//.test(f))) {
        expect(f, list).toMatch(/^package\/(src\/[\w-]+\.ts|dist\/[\w-]+\.(js|d\.ts|js\.map|d\.ts\.map))$/);
        const stem = f.split('/')[2]!.replace(/\.(ts|js|d\.ts|js\.map|d\.ts\.map)$/, '');
        expect(sources.has(stem), `${f} is not built from packages/${p}/src`).toBe(true);
      }
      expect(files.filter((f) => f.startsWith('package/') && !/^package\/(src|dist)\//.test(f)).sort()).toEqual(['package/LICENSE', 'package/README.md', 'package/package.json']);
    });
  }

  it('installs as a user installs it: one copy of @jwt-oidc/resource, shared by apollo and express', () => {
    for (const p of ['apollo', 'express'] as const) {
      expect(existsSync(join(apps[p].dir, 'node_modules/@jwt-oidc/resource/dist/index.js'))).toBe(true);
      expect(existsSync(join(apps[p].dir, `node_modules/@jwt-oidc/${p}/node_modules/@jwt-oidc`)), `a nested copy under @jwt-oidc/${p}`).toBe(false);
    }
  });
});

describe('@jwt-oidc/resource: the README example (a plain node:http API)', () => {
  it('compiles as printed with strict TypeScript against the installed package', async () => {
    const r = await compileExample(apps.resource, 'resource');
    expect(r.code, r.log).toBe(0);
  });

  it('against our provider: a token for the API is accepted; none, tampered, for another audience or malformed are refused as RFC 6750 says', async () => {
    const ex = await startExample(apps.resource.dir, { OIDC_ISSUER: provider.issuer, API_AUDIENCE: API });
    try {
      const ok = await get(ex.url, userToken);
      expect(ok.status, `${ok.text}\n${ex.output()}`).toBe(200);
      expect(ok.body).toMatchObject({ sub: user.id, clientId: rp.clientId });
      expect(ok.body.scopes).toContain('orders:read');
      expect((await get(ex.url, ordersToken)).body).toMatchObject({ sub: m2m.clientId, clientId: m2m.clientId, scopes: ['orders:read'] });

      // The README: without a token 401 with `Bearer realm="my-api"`; a bad one 401 invalid_token
      // with a description; a malformed header 400.
      const none = await get(ex.url);
      expect(none.status).toBe(401);
      expect(none.www).toBe('Bearer realm="my-api"');
      const invalid = /^Bearer realm="my-api", error="invalid_token", error_description="[^"]+"$/;
      for (const [what, token] of [
        ['tampered', tamper(userToken, { sub: 'admin' })],
        ['another audience', otherAudienceToken],
        ['not a JWT', 'a.b.c'],
      ] as const) {
        const r = await get(ex.url, token);
        expect(r.status, what).toBe(401);
        expect(r.www, what).toMatch(invalid);
      }
      const malformed = await get(ex.url, undefined, { authorization: `Bearer ${userToken} extra` });
      expect(malformed.status).toBe(400);
      expect(malformed.www).toMatch(/^Bearer realm="my-api", error="invalid_request"/);
    } finally {
      await ex.stop();
    }
  });

  it("against oidc-provider 9: its RFC 9068 token is accepted; our provider's is not (another issuer)", async () => {
    const ex = await startExample(apps.resource.dir, { OIDC_ISSUER: op.issuer, API_AUDIENCE: OP_RESOURCE });
    try {
      const ok = await get(ex.url, opToken);
      expect(ok.status, `${ok.text}\n${ex.output()}`).toBe(200);
      expect(ok.body).toEqual({ sub: 'm2m', clientId: 'm2m', scopes: ['orders:read'] });
      const ours = await get(ex.url, userToken);
      expect(ours.status).toBe(401);
      expect(ours.www).toMatch(/error="invalid_token"/);
      expect((await get(ex.url, tamper(opToken, { sub: 'someone-else' }))).status).toBe(401);
    } finally {
      await ex.stop();
    }
  });
});

describe('@jwt-oidc/resource: the README example "several issuers" (an IssuerSet on node:http)', () => {
  let entry: string;
  /** A token of our provider (issuer A) for oidc-provider's resource (issuer B's audience). */
  let aTokenForB: string;

  beforeAll(async () => {
    entry = await compiledExample('resource', 'several-issuers.ts');
    const partner = await provider.createClient({ name: 'For the partner API', audiences: [OP_RESOURCE], grantTypes: ['client_credentials'] });
    aTokenForB = await clientToken(provider, partner, 'orders:read');
    expect(decodeJwt(aTokenForB)).toMatchObject({ iss: provider.issuer, aud: expect.arrayContaining([OP_RESOURCE]) });
    expect(decodeJwt(aTokenForB).aud).not.toContain(API);
  });

  /** The example trusting our provider (A) for API and oidc-provider (B) for OP_RESOURCE. */
  const start = () => startExample(apps.resource.dir, { OIDC_ISSUER_A: provider.issuer, API_AUDIENCE_A: API, OIDC_ISSUER_B: op.issuer, API_AUDIENCE_B: OP_RESOURCE }, undefined, entry);

  it("each issuer's token is accepted for its own audience, and the answer names that issuer; none is 401 with the README's challenge", async () => {
    const ex = await start();
    try {
      const a = await get(ex.url, userToken);
      expect(a.status, `${a.text}\n${ex.output()}`).toBe(200);
      expect(a.body).toMatchObject({ issuer: provider.issuer, sub: user.id, clientId: rp.clientId });
      expect(a.body.scopes).toContain('orders:read');
      const b = await get(ex.url, opToken);
      expect(b.status, `${b.text}\n${ex.output()}`).toBe(200);
      expect(b.body).toEqual({ issuer: op.issuer, sub: 'm2m', clientId: 'm2m', scopes: ['orders:read'] });
      const none = await get(ex.url);
      expect(none.status).toBe(401);
      expect(none.www).toBe('Bearer realm="my-api"');
    } finally {
      await ex.stop();
    }
  });

  it("a token of issuer A for B's audience, one signed by A's key but claiming B's issuer (and the reverse), and one of an issuer not configured are refused: 401 invalid_token", async () => {
    const ex = await start();
    try {
      const invalid = (description: RegExp) => new RegExp(`^Bearer realm="my-api", error="invalid_token", error_description="${description.source}"$`);
      // Checked against A's configuration, the one its `iss` names: B's audience is not A's.
      const forB = await get(ex.url, aTokenForB);
      expect(forB.status, forB.text).toBe(401);
      expect(forB.www).toMatch(invalid(/the access token was issued for another audience/));
      // The signature kept, the claims of the other issuer: routed to that issuer's keys, which never signed it.
      for (const [what, token] of [
        ["A's token as B's", tamper(userToken, { iss: op.issuer, aud: OP_RESOURCE })],
        ["B's token as A's", tamper(opToken, { iss: provider.issuer, aud: API })],
      ] as const) {
        const r = await get(ex.url, token);
        expect(r.status, `${what}: ${r.text}\n${ex.output()}`).toBe(401);
        expect(r.www, what).toMatch(invalid(/the access token is not signed by a published key of its issuer|the access token's signature does not verify/));
      }
      const stranger = await get(ex.url, tamper(userToken, { iss: 'https://stranger.example' }));
      expect(stranger.status).toBe(401);
      expect(stranger.www).toMatch(invalid(/the token is not from a trusted issuer/));
      // The refusals cost the genuine tokens nothing.
      expect((await get(ex.url, userToken)).body).toMatchObject({ issuer: provider.issuer });
      expect((await get(ex.url, opToken)).body).toMatchObject({ issuer: op.issuer });
    } finally {
      await ex.stop();
    }
  });
});

describe('@jwt-oidc/resource: the README example "DPoP" (RFC 9449 on node:http)', () => {
  let entry: string;
  let issuerServer: Server;
  let localIssuer: string;
  let signingKey: CryptoKey;
  let client: { privateKey: CryptoKey; jwk: Awaited<ReturnType<typeof exportJWK>>; jkt: string };

  beforeAll(async () => {
    entry = await compiledExample('resource', 'dpop.ts');
    const pair = await generateKeyPair('ES256');
    signingKey = pair.privateKey;
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' }] });
    issuerServer = createHttpServer((req, res) => {
      const json = (body: string) => res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      if (req.url === '/.well-known/openid-configuration') json(JSON.stringify({ issuer: localIssuer, jwks_uri: `${localIssuer}/jwks` }));
      else if (req.url === '/jwks') json(jwks);
      else res.writeHead(404).end();
    }).listen(0, '127.0.0.1');
    await new Promise((r) => issuerServer.once('listening', r));
    localIssuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;
    const key = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(key.publicKey);
    client = { privateKey: key.privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
  });
  afterAll(() => new Promise((r) => issuerServer?.close(r)));

  const mint = (bound: boolean) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ sub: 'alice', client_id: 'app', scope: 'orders:read', ...(bound ? { cnf: { jkt: client.jkt } } : {}) })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
      .setIssuer(localIssuer)
      .setAudience(API)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(signingKey);
  };
  let n = 0;
  const proof = (htu: string, token: string, nonce?: string) =>
    new SignJWT({ jti: `proof-${++n}`, htm: 'GET', htu, iat: Math.floor(Date.now() / 1000), ath: createHash('sha256').update(token).digest('base64url'), ...(nonce ? { nonce } : {}) })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: client.jwk })
      .sign(client.privateKey);

  const start = async (env: Record<string, string> = {}) => {
    const port = await freePort();
    return startExample(apps.resource.dir, { OIDC_ISSUER: localIssuer, API_AUDIENCE: API, PUBLIC_ORIGIN: `http://127.0.0.1:${port}`, ...env }, port, entry);
  };

  it("a bound token with its proof is accepted once per proof; none, a bound token as Bearer, a replayed proof are refused with the README's challenges", async () => {
    const ex = await start();
    try {
      const url = `${ex.url}/orders`;
      const token = await mint(true);
      const dpop = await proof(url, token);
      const ok = await get(url, undefined, { authorization: `DPoP ${token}`, dpop });
      expect(ok.status, `${ok.text}\n${ex.output()}`).toBe(200);
      expect(ok.body).toEqual({ sub: 'alice', scheme: 'DPoP', jkt: client.jkt });
      const none = await get(url);
      expect(none.status).toBe(401);
      expect(none.www).toBe('Bearer realm="my-api", DPoP realm="my-api", algs="ES256 EdDSA"');
      const replay = await get(url, undefined, { authorization: `DPoP ${token}`, dpop });
      expect(replay.status).toBe(401);
      expect(replay.www).toBe('Bearer realm="my-api", DPoP realm="my-api", algs="ES256 EdDSA", error="invalid_dpop_proof", error_description="the DPoP proof has been used before"');
      const asBearer = await get(url, token);
      expect(asBearer.status).toBe(401);
      expect(asBearer.www).toMatch(/^Bearer realm="my-api", error="invalid_token", .*, DPoP realm="my-api", algs="ES256 EdDSA"$/);
      const plain = await get(url, await mint(false));
      expect(plain.body).toEqual({ sub: 'alice', scheme: 'Bearer', jkt: null });
    } finally {
      await ex.stop();
    }
  });

  it('with DPOP_NONCE_SECRET: 401 use_dpop_nonce with a DPoP-Nonce header, then the proof with that nonce is accepted', async () => {
    const ex = await start({ DPOP_NONCE_SECRET: 'shared by the instances' });
    try {
      const url = `${ex.url}/orders`;
      const token = await mint(true);
      const first = await get(url, undefined, { authorization: `DPoP ${token}`, dpop: await proof(url, token) });
      expect(first.status, `${first.text}\n${ex.output()}`).toBe(401);
      expect(first.www).toContain('error="use_dpop_nonce"');
      const nonce = first.headers.get('dpop-nonce');
      expect(nonce).toBeTruthy();
      const retry = await get(url, undefined, { authorization: `DPoP ${token}`, dpop: await proof(url, token, nonce!) });
      expect(retry.status, retry.text).toBe(200);
    } finally {
      await ex.stop();
    }
  });
});

describe('@jwt-oidc/apollo: the README example (Apollo Server 5, standalone)', () => {
  it('compiles as printed with strict TypeScript against the installed package and peers', async () => {
    const r = await compileExample(apps.apollo, 'apollo');
    expect(r.code, r.log).toBe(0);
  });

  it("against our provider: @authenticated and @requiresScopes, 401/403 with RFC 6750 challenges; `orders` through userinfo() with a user's token, and with the README's admin client_credentials token (null: no user, no error)", async () => {
    const ex = await startExample(apps.apollo.dir, { OIDC_ISSUER: provider.issuer, API_AUDIENCE: API });
    try {
      expect(ex.output()).toMatch(/ready at http:\/\//);
      const hello = await gql(ex.url, '{ hello }');
      expect(hello.status, `${hello.text}\n${ex.output()}`).toBe(200);
      expect(hello.body.data).toEqual({ hello: 'world' });

      const me = await gql(ex.url, '{ me }', userToken);
      expect(me.status, `${me.text}\n${ex.output()}`).toBe(200);
      expect(me.body.data).toEqual({ me: user.id });

      // `{ me }` without a token: UNAUTHENTICATED, 401 with a challenge (realm: the issuer).
      const anonymous = await gql(ex.url, '{ me }');
      expect(anonymous.status, anonymous.text).toBe(401);
      expect(anonymous.www).toBe(`Bearer realm="${provider.issuer}"`);
      expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

      // `{ orders }`: FORBIDDEN without orders:read or admin.
      const forbidden = await gql(ex.url, '{ orders }', noScopeToken);
      expect(forbidden.status, forbidden.text).toBe(403);
      expect(forbidden.www).toMatch(/error="insufficient_scope"/);
      expect(forbidden.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredScopes: [['orders:read'], ['admin']] });

      // With a user's token, `orders` names the user from the provider's userinfo (their email).
      const mine = await gql(ex.url, '{ me orders }', userToken);
      expect(mine.status, `${mine.text}\n${ex.output()}`).toBe(200);
      expect(mine.body.errors).toBeUndefined();
      expect(mine.body.data).toEqual({ me: user.id, orders: [`order of ${user.username}@example.com`] });

      // With the README's admin client_credentials token (and with orders:read): userinfo() is
      // null, no user, no error — and the provider is not asked.
      for (const [what, token, client] of [
        ['admin', adminToken, automation],
        ['orders:read', ordersToken, m2m],
      ] as const) {
        const r = await gql(ex.url, '{ me orders }', token);
        expect(r.status, `${what}: ${r.text}\n${ex.output()}`).toBe(200);
        expect(r.body.errors, what).toBeUndefined();
        expect(r.body.data, what).toEqual({ me: client.clientId, orders: [`order of client ${client.clientId}`] });
      }

      // A bad token is a 401 invalid_token whatever the operation, `{ hello }` included.
      for (const [what, token] of [
        ['tampered', tamper(ordersToken, { scope: 'admin' })],
        ['another audience', otherAudienceToken],
      ] as const) {
        const r = await gql(ex.url, '{ hello }', token);
        expect(r.status, `${what}: ${r.text}`).toBe(401);
        expect(r.www, what).toMatch(/^Bearer realm="[^"]+", error="invalid_token"/);
        expect(r.body.data, what).toBeUndefined();
      }
    } finally {
      await ex.stop();
    }
  });

  it("against oidc-provider 9: its token passes @authenticated and @requiresScopes; our provider's is refused", async () => {
    const ex = await startExample(apps.apollo.dir, { OIDC_ISSUER: op.issuer, API_AUDIENCE: OP_RESOURCE });
    try {
      const r = await gql(ex.url, '{ me orders }', opToken);
      expect(r.status, `${r.text}\n${ex.output()}`).toBe(200);
      expect(r.body.errors).toBeUndefined();
      expect(r.body.data).toEqual({ me: 'm2m', orders: ['order of client m2m'] });
      const ours = await gql(ex.url, '{ hello }', ordersToken);
      expect(ours.status).toBe(401);
      expect(ours.www).toMatch(/error="invalid_token"/);
    } finally {
      await ex.stop();
    }
  });
});

describe('@jwt-oidc/apollo: the README example "subscriptions" (graphql-ws with withSubscriptionAuth)', () => {
  /** A provider of its own whose access tokens live four seconds: the example must cut them off. */
  let shortLived: TestProvider;
  let job: { clientId: string; clientSecret?: string };
  let entry: string;

  beforeAll(async () => {
    [shortLived, entry] = await Promise.all([startProvider({ JWT_OIDC_API_SCOPES: 'orders:read', JWT_OIDC_JWT_ACCESS_TOKEN_EXPIRATION_TIME: '4' }), compiledExample('apollo', 'subscriptions.ts')]);
    job = await shortLived.createClient({ name: 'Orders job', audiences: [API], grantTypes: ['client_credentials'] });
  }, 120_000);

  afterAll(async () => {
    await shortLived?.close();
  });

  it("with our provider's token in connection_init: @requiresScopes met, getAuth names the caller; none is UNAUTHENTICATED per operation; oidc-provider's or a tampered one is 4401 at once", async () => {
    const ex = await startExample(apps.apollo.dir, { OIDC_ISSUER: provider.issuer, API_AUDIENCE: API }, undefined, entry);
    try {
      expect(ex.output()).toMatch(/ready at http:\/\/localhost:\d+\/graphql/);
      const ws = `${ex.url.replace(/^http/, 'ws')}/graphql`;
      const s = connectWs(ws, { token: ordersToken });
      const orders = s.subscribe('subscription { orderPlaced }');
      await until('an order', () => orders.results.length > 0);
      expect(orders.results[0]).toEqual({ data: { orderPlaced: `an order for ${m2m.clientId}` } });
      const noScope = connectWs(ws, { token: noScopeToken }).subscribe('subscription { orderPlaced }');
      await noScope.done;
      expect(noScope.results[0]!.errors![0]).toMatchObject({ extensions: { code: 'FORBIDDEN', requiredScopes: [['orders:read']] } });
      await s.client.dispose();

      const anonymous = connectWs(ws).subscribe('subscription { clock }');
      await anonymous.done;
      expect(anonymous.results).toEqual([{ errors: [{ message: 'authentication is required', extensions: { code: 'UNAUTHENTICATED' } }] }]);

      for (const [what, token] of [
        ["oidc-provider's", opToken],
        ['tampered', tamper(ordersToken, { sub: 'admin' })],
      ] as const) {
        const refused = connectWs(ws, { token });
        refused.subscribe('subscription { clock }');
        expect((await closedWithin(refused, 5000)).code, what).toBe(4401);
      }
      // Queries still go over HTTP, through the same plugin.
      expect((await gql(`${ex.url}/graphql`, '{ hello }')).body.data).toEqual({ hello: 'world' });
    } finally {
      await ex.stop();
    }
  });

  it('a connection is cut at its token\'s exp (a 4-second token) with 4401, unless a fresh token came in a ping first', async () => {
    const ex = await startExample(apps.apollo.dir, { OIDC_ISSUER: shortLived.issuer, API_AUDIENCE: API }, undefined, entry);
    try {
      const ws = `${ex.url.replace(/^http/, 'ws')}/graphql`;
      const first = await clientToken(shortLived, job, 'orders:read');
      const cut = connectWs(ws, { token: first });
      const renewed = connectWs(ws, { token: first });
      const orders = renewed.subscribe('subscription { orderPlaced }');
      cut.subscribe('subscription { orderPlaced }');
      await until('an order', () => orders.results.length > 0);
      await new Promise((r) => setTimeout(r, 1500));
      const fresh = await clientToken(shortLived, job, 'orders:read');
      expect(decodeJwt(fresh).exp).toBeGreaterThan(decodeJwt(first).exp!);
      renewed.renew(fresh);
      const firstEnd = decodeJwt(first).exp! * 1000;
      expect(await closedWithin(cut, firstEnd - Date.now() + 2000)).toEqual({ code: 4401, reason: 'the access token has expired' });
      // The renewed one outlived the first token, and ends with the fresh one.
      await expect(closedWithin(renewed, 200)).rejects.toThrow(/still open/);
      const before = orders.results.length;
      expect(await closedWithin(renewed, decodeJwt(fresh).exp! * 1000 - Date.now() + 2000)).toEqual({ code: 4401, reason: 'the access token has expired' });
      expect(orders.results.length).toBeGreaterThan(before);
    } finally {
      await ex.stop();
    }
  });
});

describe('@jwt-oidc/express: the README example (oidcClient and bearerAuth on Express 5)', () => {
  it('compiles as printed with strict TypeScript against the installed package, express and its types', async () => {
    const r = await compileExample(apps.express, 'express');
    expect(r.code, r.log).toBe(0);
  });

  it('`@jwt-oidc/express/user-mapping`, as the service\'s settings import it: types and list from the installed package alone, with neither express nor openid-client to load', async () => {
    // The installed package without its dependencies and peers: importing either would fail here.
    const dir = join(work, 'app-user-mapping');
    const installed = join(apps.express.dir, 'node_modules/@jwt-oidc/express');
    cpSync(installed, join(dir, 'node_modules/@jwt-oidc/express'), { recursive: true, filter: (src) => !relative(installed, src).split('/').includes('node_modules') });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app-user-mapping', type: 'module', private: true }));
    writeFileSync(join(dir, 'index.ts'), "import { WRITABLE_USER_FIELDS, type WritableField } from '@jwt-oidc/express/user-mapping';\nexport const fields: readonly WritableField[] = WRITABLE_USER_FIELDS;\n");
    const compilerOptions = { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, skipLibCheck: false, types: [], outDir: 'dist', rootDir: '.' };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['index.ts'] }));
    const compiled = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], dir);
    expect(compiled.code, compiled.log).toBe(0);
    const loaded = await must(process.execPath, ['--input-type=module', '-e', "console.log(JSON.stringify((await import('./dist/index.js')).fields))"], dir);
    expect(JSON.parse(loaded.stdout)).toEqual([...WRITABLE_USER_FIELDS]);
  });

  /** A registered client for an example app on `port` (redirect URI `<BASE_URL>/openid/callback`). */
  async function shopFor(port: number, host = '127.0.0.1') {
    const base = `http://${host}:${port}`;
    const shop = await provider.createClient({ name: 'Shop', redirectUris: [`${base}/openid/callback`], grantTypes: ['authorization_code', 'refresh_token'] });
    const env: Record<string, string> = { OIDC_ISSUER: provider.issuer, API_AUDIENCE: API, CLIENT_ID: shop.clientId, CLIENT_SECRET: shop.clientSecret!, BASE_URL: base };
    return { base, shop, env };
  }

  /** A browser signs in through the example: its login route, the provider's pages, its callback, its home page. */
  async function browserLogin(ex: Example): Promise<any> {
    const jar = new CookieJar();
    const signIn = await browse(jar, `${ex.url}/`);
    expect(signIn.status, ex.output()).toBe(200);
    expect(await signIn.text()).toContain('href="/openid/login?returnTo=/"');
    const start = await browse(jar, `${ex.url}/openid/login?returnTo=/`);
    expect([302, 303], `${await start.clone().text()}\n${ex.output()}`).toContain(start.status);
    const authorize = new URL(start.headers.get('location')!);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${provider.issuer}/authorize`);
    const callback = await throughLoginPages(jar, authorize.toString(), { username: user.username, password: user.password });
    expect(`${callback.origin}${callback.pathname}`).toBe(`${ex.url}/openid/callback`);
    const done = await browse(jar, callback.toString());
    expect([302, 303], `${await done.clone().text()}\n${ex.output()}`).toContain(done.status);
    expect(done.headers.get('location')).toBe('/');
    const home = await browse(jar, `${ex.url}/`);
    expect(home.status, ex.output()).toBe(200);
    return home.json();
  }

  it('against our provider, on its documented default port (4000, baseUrl http://localhost:4000: no PORT, no BASE_URL), memory sessions: a browser login shows the claims; /api/orders 200 with orders:read, 401 without a token, 403 without the scope; the JWT_OIDC_MEMORY_SESSIONS warning', async () => {
    const README_PORT = 4000;
    expect(readmeExample('express'), 'the README example defaults to port 4000').toContain('process.env.PORT ?? 4000');
    const { env, shop } = await shopFor(README_PORT, 'localhost');
    delete env.BASE_URL; // the example's default, http://localhost:4000, is the registered one
    const ex = await startExample(apps.express.dir, env, { readmeDefault: `http://localhost:${README_PORT}` });
    try {
      const home = await browserLogin(ex);
      expect(home.claims).toMatchObject({ iss: provider.issuer, sub: user.id, aud: shop.clientId });
      expect(home.userinfo).toMatchObject({ sub: user.id });
      expect(home.hasToken).toBe(true);

      const orders = await get(`${ex.url}/api/orders`, ordersToken);
      expect(orders.status, `${orders.text}\n${ex.output()}`).toBe(200);
      expect(orders.body).toEqual({ orders: [], for: m2m.clientId });
      const none = await get(`${ex.url}/api/orders`);
      expect(none.status).toBe(401);
      expect(none.www).toBe(`Bearer realm="${provider.issuer}"`);
      // No RFC 6750 code in the challenge, none in the body (README, `bearerAuth`).
      expect(none.body).toEqual({ error: 'unauthenticated', error_description: 'an access token is required' });
      const noScope = await get(`${ex.url}/api/orders`, noScopeToken);
      expect(noScope.status).toBe(403);
      expect(noScope.www).toMatch(/error="insufficient_scope"/);
      expect(noScope.www).toContain('scope="orders:read"');
      const otherAudience = await get(`${ex.url}/api/orders`, otherAudienceToken);
      expect(otherAudience.status).toBe(401);
      expect(otherAudience.www).toMatch(/error="invalid_token"/);

      // No DATABASE_URL: sessions in memory, and a warning on stderr says so (README, "Sessions").
      expect(ex.stderr()).toContain('JWT_OIDC_MEMORY_SESSIONS');
    } finally {
      await ex.stop();
    }
  });

  it('against our provider, DATABASE_URL set (pg installed): the login works and its session is a row in PostgreSQL; no memory-sessions warning', async () => {
    const port = await freePort();
    const { env } = await shopFor(port);
    const ex = await startExample(apps.express.dir, { ...env, DATABASE_URL: sessionsDb.url }, port);
    try {
      const home = await browserLogin(ex);
      expect(home.claims).toMatchObject({ iss: provider.issuer, sub: user.id });
      const [row] = await query<{ n: number }>(sessionsDb.url, 'select count(*)::int as n from jwt_oidc_rp_sessions');
      expect(row!.n).toBeGreaterThanOrEqual(1);
      expect(ex.stderr()).not.toContain('JWT_OIDC_MEMORY_SESSIONS');
    } finally {
      await ex.stop();
    }
  });

  it("against oidc-provider 9: bearerAuth accepts its token with orders:read; none is 401; our provider's is refused", async () => {
    const ex = await startExample(apps.express.dir, { OIDC_ISSUER: op.issuer, API_AUDIENCE: OP_RESOURCE });
    try {
      const orders = await get(`${ex.url}/api/orders`, opToken);
      expect(orders.status, `${orders.text}\n${ex.output()}`).toBe(200);
      expect(orders.body).toEqual({ orders: [], for: 'm2m' });
      expect((await get(`${ex.url}/api/orders`)).status).toBe(401);
      const ours = await get(`${ex.url}/api/orders`, ordersToken);
      expect(ours.status).toBe(401);
      expect(ours.www).toMatch(/error="invalid_token"/);
    } finally {
      await ex.stop();
    }
  });
});

describe('@jwt-oidc/express: the README example "opaque tokens" (bearerAuth with RFC 7662 introspection)', () => {
  /** A second oidc-provider, whose access tokens for OP_RESOURCE are opaque; the example introspects as its `introspector`. */
  let opaqueOp: ReferenceOp;
  let entry: string;
  /** The introspection cache TTL the example is given (its INTROSPECTION_CACHE_TTL_MS), short not to wait the default 60 s. */
  const TTL = 1000;

  beforeAll(async () => {
    [opaqueOp, entry] = await Promise.all([startOidcProvider({ scope: 'orders:read', accessTokenFormat: 'opaque' }), compiledExample('express', 'opaque-tokens.ts')]);
  });
  afterAll(() => opaqueOp?.close());

  const start = () =>
    startExample(
      apps.express.dir,
      {
        OIDC_ISSUER: opaqueOp.issuer,
        API_AUDIENCE: OP_RESOURCE,
        INTROSPECTION_CLIENT_ID: opaqueOp.introspector.clientId,
        INTROSPECTION_CLIENT_SECRET: opaqueOp.introspector.clientSecret,
        INTROSPECTION_CACHE_TTL_MS: String(TTL),
      },
      undefined,
      entry,
    );

  it('an active opaque token is accepted (its sub, client and scopes); a made-up one is 401 invalid_token; a revoked one is refused once the cache TTL has passed', async () => {
    const ex = await start();
    try {
      const token = await opaqueOp.token('orders:read');
      expect(token, 'an opaque token, not a JWT').not.toContain('.');
      const ok = await get(`${ex.url}/api/me`, token);
      expect(ok.status, `${ok.text}\n${ex.output()}`).toBe(200);
      expect(ok.body).toEqual({ sub: 'm2m', clientId: 'm2m', scopes: ['orders:read'] });

      // Unknown to the provider: inactive (RFC 7662 §2.2), an invalid token for the API (RFC 6750 §3.1).
      const garbage = await get(`${ex.url}/api/me`, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
      expect(garbage.status, `${garbage.text}\n${ex.output()}`).toBe(401);
      expect(garbage.www).toMatch(/^Bearer realm="[^"]+", error="invalid_token"/);
      expect(garbage.body).toEqual({ error: 'invalid_token', error_description: 'the access token is not active' });
      expect((await get(`${ex.url}/api/me`)).status).toBe(401);

      // Revoked at the provider (RFC 7009): the cached answer may stand until the TTL, no longer.
      await opaqueOp.revoke(token);
      await new Promise((r) => setTimeout(r, TTL + 250));
      const revoked = await get(`${ex.url}/api/me`, token);
      expect(revoked.status, `${revoked.text}\n${ex.output()}`).toBe(401);
      expect(revoked.www).toMatch(/error="invalid_token"/);
      expect(revoked.body).toEqual({ error: 'invalid_token', error_description: 'the access token is not active' });
    } finally {
      await ex.stop();
    }
  });

  it('without INTROSPECTION_CLIENT_SECRET the example does not start, and says what is missing', async () => {
    const r = await run(process.execPath, [entry], apps.express.dir);
    expect(r.code, r.log).not.toBe(0);
    expect(r.stderr).toContain('INTROSPECTION_CLIENT_SECRET');
  });
});

describe('size', () => {
  it('@jwt-oidc/apollo adds at most 2 MB to an app with @apollo/server and graphql; @jwt-oidc/express at most 4 MB to an app with express', () => {
    const limits = { apollo: 2 * MB, express: 4 * MB } as const;
    for (const p of ['apollo', 'express'] as const) {
      const { before, after } = apps[p];
      expect(before, `node_modules of the app before the tarballs`).toBeGreaterThan(0);
      const added = after - before;
      console.log(`@jwt-oidc/${p} adds ${(added / MB).toFixed(2)} MB (${added} bytes; node_modules ${before} → ${after})`);
      expect(added, `@jwt-oidc/${p} with @jwt-oidc/resource`).toBeGreaterThan(0);
      expect(added, `@jwt-oidc/${p} with @jwt-oidc/resource`).toBeLessThanOrEqual(limits[p]);
    }
  });
});

describe('npm publish --dry-run', () => {
  // Of the tarballs packed above, as a release publishes what it packed (and checked): npm
  // publishes a tarball as it is, without building it again.
  it('exits 0 for each package, with no warning about its package.json', { timeout: 300_000 }, async () => {
    const runs = await Promise.all(PACKAGES.map((p) => run('npm', ['publish', '--dry-run', tarballs[p]], work)));
    for (const [i, p] of PACKAGES.entries()) {
      const r = runs[i]!;
      expect(r.code, r.log).toBe(0);
      expect(`${r.stdout}${r.stderr}`, r.log).toContain(`@jwt-oidc/${p}@${version(p)}`);
      // Only the remark that a real publish needs a login may remain.
      const warnings = r.stderr.split('\n').filter((l) => /\bwarn/i.test(l) && !/requires you to be logged in/.test(l));
      expect(warnings, r.log).toEqual([]);
      // A new scoped package is private unless published with public access (publishConfig).
      expect(r.stderr, r.log).toContain('public access');
    }
  });
});
