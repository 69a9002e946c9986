/**
 * The container image's install, without Docker. The Dockerfile installs the production
 * dependencies alone (`npm ci --omit=dev` in its `deps` stage) and runs the compiled service
 * with only what its `runtime` stage copies; a package the service imports but package.json
 * lists as a devDependency (or not at all) works in a checkout, where everything is installed,
 * and crashes in the image. So this test reads the Dockerfile (the two cannot drift), assembles
 * exactly the files of those two stages in a temporary directory, runs the deps stage's
 * `npm ci`, and starts every mode from that copy as real processes, each through a login:
 * provider on its embedded PostgreSQL (README "The embedded PostgreSQL": what `npm ci && npm
 * start` users get), client mode (a BFF) against it, and the fake provider. A static check, with
 * no install, holds every bare import of the built JavaScript to the `dependencies` of its
 * package.json.
 *
 * Deliberate differences from the image: NODE_ENV stays unset (the image's production settings
 * need an https issuer and secrets; this test is about the install), the service listens on
 * 127.0.0.1 and a free port, runs as the test's user, and the `build` stage's outputs are the
 * checkout's own (`npm run build`, which the test run's global setup repeats).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchDatabase } from '../../src/db/scratch.js';
import { freePort } from '../support/client-mode.js';
import { cliEnv, finished, postgresPids, ROOT, waitForHttp, type CliResult } from '../support/cli.js';
import { testDatabase } from '../support/database.js';
import { browse, CookieJar, fakeLoginPage, fakeSignIn, pkcePair, throughLoginPages } from '../support/provider.js';

// ---------------------------------------------------------------------------------------------
// The Dockerfile, read as Docker reads it (the subset it uses).

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  name: string;
  workdir: string;
  instructions: Instruction[];
}

function parseDockerfile(text: string): Map<string, Stage> {
  // Continuation lines joined; comment lines (also inside a continuation) dropped.
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw)) continue;
    if (/\\\s*$/.test(raw)) {
      current += `${raw.replace(/\\\s*$/, '')} `;
      continue;
    }
    current += raw;
    if (current.trim()) logical.push(current.trim());
    current = '';
  }
  const stages = new Map<string, Stage>();
  let stage: Stage | undefined;
  for (const line of logical) {
    const [, op, args = ''] = /^(\S+)\s*([\s\S]*)$/.exec(line)!;
    const upper = op!.toUpperCase();
    if (upper === 'FROM') {
      const name = /\bAS\s+(\S+)\s*$/i.exec(args)?.[1];
      if (!name) throw new Error(`Dockerfile: every stage must be named (FROM … AS name): ${line}`);
      stage = { name, workdir: '/', instructions: [] };
      stages.set(name, stage);
    } else if (!stage) {
      throw new Error(`Dockerfile: ${line} before the first FROM`);
    } else {
      if (upper === 'WORKDIR') stage.workdir = posix.resolve(stage.workdir, args);
      stage.instructions.push({ op: upper, args });
    }
  }
  return stages;
}

interface Copy {
  from?: string;
  sources: string[];
  dest: string;
  /** The destination names a directory (ends with `/`, or several sources). */
  intoDir: boolean;
}

function parseCopy(args: string): Copy {
  const words = args.trim().startsWith('[') ? (JSON.parse(args) as string[]) : args.trim().split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const paths = words.filter((w) => !w.startsWith('--'));
  const dest = paths.pop()!;
  if (paths.some((p) => /[*?[]/.test(p))) throw new Error(`COPY ${args}: wildcards are not supported by this test; list the files`);
  return { from, sources: paths, dest, intoDir: dest.endsWith('/') || paths.length > 1 };
}

/** `["node", "bin/x.js"]` (exec form, the only one the runtime stage may use). */
function execForm(stage: Stage, op: string): string[] {
  const args = stage.instructions.filter((i) => i.op === op).at(-1)?.args;
  return args ? (JSON.parse(args) as string[]) : [];
}

/** The build context's .dockerignore as a predicate on paths relative to the context. */
function dockerignore(root: string): (rel: string) => boolean {
  const file = join(root, '.dockerignore');
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')) : [];
  if (lines.some((l) => l.startsWith('!'))) throw new Error('.dockerignore: exceptions (!) are not supported by this test');
  const regexes = lines.map((pattern) => {
    let re = '';
    const p = pattern.replace(/^\/+/, '').replace(/\/+$/, '');
    for (let i = 0; i < p.length; i++) {
      if (p.startsWith('**/', i)) (re += '(?:.*/)?'), (i += 2);
      else if (p.startsWith('**', i)) (re += '.*'), (i += 1);
      else if (p[i] === '*') re += '[^/]*';
      else if (p[i] === '?') re += '[^/]';
      else re += p[i]!.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    return new RegExp(`^${re}$`);
  });
  return (rel) => regexes.some((r) => r.test(rel.split(sep).join('/')));
}

/** Docker's COPY of one source: a directory's contents into `dest`, a file to or into it. */
function dockerCopy(source: string, dest: string, intoDir: boolean, ignored?: (abs: string) => boolean): void {
  if (!existsSync(source)) throw new Error(`COPY: ${source} does not exist`);
  if (ignored?.(source)) throw new Error(`COPY: ${source} is excluded by .dockerignore`);
  const filter = ignored ? (src: string) => !ignored(src) : undefined;
  if (statSync(source).isDirectory()) {
    cpSync(source, dest, { recursive: true, verbatimSymlinks: true, filter });
  } else {
    const target = intoDir ? join(dest, basename(source)) : dest;
    mkdirSync(dirname(target), { recursive: true });
    cpSync(source, target);
  }
}

/** Where a path of a stage's filesystem is here: under its WORKDIR, mapped onto `local`. */
function inStage(stage: Stage, local: string, path: string): string {
  const abs = posix.resolve(stage.workdir, path);
  const rel = posix.relative(stage.workdir, abs);
  if (rel.startsWith('..')) throw new Error(`${path}: outside the ${stage.name} stage's WORKDIR ${stage.workdir}; this test maps only the WORKDIR`);
  return join(local, ...rel.split('/').filter(Boolean));
}

// ---------------------------------------------------------------------------------------------
// The temporary install and its processes.

const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const deps = stages.get('deps');
const runtime = stages.get('runtime');
const build = stages.get('build');

const root = mkdtempSync(join(tmpdir(), 'jwt-oidc-prod-'));
chmodSync(root, 0o755); // the embedded PostgreSQL runs as `postgres` when we are root and must traverse it
const DEPS = join(root, 'deps');
const APP = join(root, 'app');

type Proc = ChildProcess & { output: () => string; exit: Promise<CliResult> };
const children: Proc[] = [];
const scratch: ScratchDatabase[] = [];
let entrypoint: string[] = [];
let serveArgs: string[] = [];
let stopSignal: NodeJS.Signals = 'SIGTERM';
let healthPath = '/readyz';
/** The runtime stage's ENV, which this test sets its own way (NODE_ENV stays unset). */
const REPLACED_ENV = ['NODE_ENV', 'HOST', 'PORT', 'JWT_OIDC_DATA_DIR'];
let install: CliResult & { command: string };

/** The runtime stage's command (ENTRYPOINT + `args`), from the copy, with `env` only. */
function run(args: string[], env: Record<string, string>, stdin?: string): Proc {
  const [cmd, ...rest] = entrypoint;
  const child = spawn(cmd === 'node' ? process.execPath : cmd!, [...rest, ...args], {
    cwd: APP,
    env: cliEnv(env),
    stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  if (stdin !== undefined) child.stdin!.end(stdin);
  const proc = Object.assign(child, { output: () => out, exit: finished(child) });
  children.push(proc);
  return proc;
}

/** A CLI command of the copy; its JSON output (`--json`), asserting exit 0. */
async function cli(args: string[], env: Record<string, string>, stdin?: string): Promise<any> {
  const res = await run([...args, '--json'], env, stdin).exit;
  expect(res.code, `${args.join(' ')}:\n${res.stdout}${res.stderr}`).toBe(0);
  return JSON.parse(res.stdout);
}

/** `serve` from the copy on 127.0.0.1:`port`, ready (the HEALTHCHECK's `/readyz` answers 200). */
async function serve(port: number, env: Record<string, string>): Promise<Proc> {
  const child = run(serveArgs, { HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', ...env });
  await waitForHttp(`http://127.0.0.1:${port}${healthPath}`, child, 120_000);
  return child;
}

/** The Dockerfile's STOPSIGNAL: the service drains and exits 0 (README "In production"). */
async function stop(child: Proc): Promise<void> {
  child.kill(stopSignal);
  const res = await child.exit;
  expect({ code: res.code, signal: res.signal }, child.output().slice(-4000)).toEqual({ code: 0, signal: null });
}

async function scratchDatabase(): Promise<string> {
  const db = await testDatabase();
  scratch.push(db);
  return db.url;
}


function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([promise, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref())]);
}

async function pollUntil(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGTERM');
    if ((await withTimeout(child.exit, 20_000)) === undefined) {
      child.kill('SIGKILL');
      await child.exit;
    }
  }
  // A provider that had to be killed leaves its embedded PostgreSQL behind: stop that one.
  const postmaster = join(root, 'provider-data', 'postgres', 'postmaster.pid');
  if (existsSync(postmaster)) {
    const pid = Number(readFileSync(postmaster, 'utf8').split('\n')[0]);
    if (postgresPids(join(root, 'provider-data', 'postgres')).includes(pid)) {
      process.kill(pid, 'SIGINT');
      await pollUntil('the embedded PostgreSQL to stop', async () => postgresPids(join(root, 'provider-data', 'postgres')).length === 0, 20_000).catch(() => undefined);
    }
  }
  for (const db of scratch) await db.drop();
  rmSync(root, { recursive: true, force: true });
}, 120_000);

/** The deps stage in DEPS, its `npm ci` run; then the runtime stage's files in APP. */
async function assemble(): Promise<void> {
  if (!deps || !runtime || !build) throw new Error(`the Dockerfile must have stages build, deps and runtime; it has ${[...stages.keys()].join(', ')}`);
  // The build stage's outputs are the checkout's: every workspace source must have been built.
  const built = ['dist/src/cli.js', 'dist/console/index.html', 'dist/console/account.html', ...workspaces().flatMap((w) => tsFiles(join(ROOT, w, 'src')).map((f) => `${w}/dist/${f.replace(/\.ts$/, '.js')}`))];
  const missing = built.filter((p) => !existsSync(join(ROOT, p)));
  if (missing.length) throw new Error(`${missing.join(', ')} missing: the build stage's output is taken from the checkout; run \`npm run build\` first`);
  const excluded = dockerignore(ROOT);
  const fromContext = (abs: string) => excluded(relative(ROOT, abs));

  // deps: files from the build context, then its one RUN.
  mkdirSync(DEPS);
  let npmCi: string[] | undefined;
  for (const { op, args } of deps.instructions) {
    if (op === 'WORKDIR') continue;
    if (op === 'COPY') {
      const c = parseCopy(args);
      if (c.from) throw new Error(`deps stage: COPY --from is not supported by this test: ${args}`);
      for (const s of c.sources) dockerCopy(join(ROOT, s), inStage(deps, DEPS, c.dest), c.intoDir, fromContext);
    } else if (op === 'RUN' && /^npm ci\b/.test(args) && !npmCi) {
      npmCi = args.split(/\s+/);
    } else {
      throw new Error(`deps stage: this test does not know how to run ${op} ${args}`);
    }
  }
  if (!npmCi) throw new Error('deps stage: no RUN npm ci');
  const [npm, ...npmArgs] = [...npmCi, '--prefer-offline'];
  // npm's own environment, not that of an `npm test` around us (npm_config_* would reconfigure it).
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) || /^npm_config_(cache|registry|userconfig)$/i.test(k)) env[k] = v;
  delete env.NODE_ENV;
  const res = await finished(spawn(npm!, npmArgs, { cwd: DEPS, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  install = { ...res, command: [npm, ...npmArgs].join(' ') };
  if (res.code !== 0) return;

  // runtime: files from deps, from build (the checkout's built tree) and from the context.
  mkdirSync(APP);
  for (const { op, args } of runtime.instructions) {
    if (op === 'COPY') {
      const c = parseCopy(args);
      const source = (s: string) => (c.from === 'deps' ? inStage(deps, DEPS, s) : c.from === 'build' ? inStage(build, ROOT, s) : join(ROOT, s));
      if (c.from && c.from !== 'deps' && c.from !== 'build') throw new Error(`runtime stage: COPY --from=${c.from} is not supported by this test`);
      for (const s of c.sources) dockerCopy(source(s), inStage(runtime, APP, c.dest), c.intoDir, c.from ? undefined : fromContext);
    } else if (op === 'ENTRYPOINT') {
      entrypoint = execForm(runtime, 'ENTRYPOINT');
    } else if (op === 'CMD') {
      serveArgs = execForm(runtime, 'CMD');
    } else if (op === 'STOPSIGNAL') {
      stopSignal = args.trim() as NodeJS.Signals;
    } else if (op === 'HEALTHCHECK') {
      // The path the image's health check asks for (its port comes from PORT in the container).
      const path = /['"](\/(?:readyz|healthz))['"]/.exec(args)?.[1];
      if (!path) throw new Error(`runtime stage: HEALTHCHECK ${args}: no /readyz or /healthz found`);
      healthPath = path;
    } else if (op === 'ENV') {
      // Replaced by this test's own settings (see the top); a new one must be looked at here.
      const unknown = [...args.matchAll(/(\w+)=/g)].map((m) => m[1]!).filter((k) => !REPLACED_ENV.includes(k));
      if (unknown.length) throw new Error(`runtime stage: ENV ${unknown.join(', ')}: this test does not set it; decide what it means for the install`);
    } else if (op === 'RUN' && /^mkdir -p \S+( && chown \S+ \S+)?$/.test(args.trim())) {
      // The image's data directory: each process here gets its own JWT_OIDC_DATA_DIR.
    } else if (!['WORKDIR', 'USER', 'EXPOSE'].includes(op)) {
      throw new Error(`runtime stage: this test does not know ${op} ${args}`);
    }
  }
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
}

function workspaces(): string[] {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
}

// ---------------------------------------------------------------------------------------------

describe('the production install (the Dockerfile\'s deps and runtime stages, without Docker)', () => {
  beforeAll(async () => {
    await assemble();
    expect(install.code, `${install.command} failed:\n${install.stdout}\n${install.stderr}`).toBe(0);
  }, 300_000);

  const USERNAME = `alice-${process.pid}`;
  const PASSWORD = 'correct horse battery staple';
  const DIRECT_REDIRECT = 'http://127.0.0.1:9/cb';
  let providerData: string;
  let provider: Proc;
  let issuer: string;
  let userId: string;

  it('installs with `npm ci --omit=dev`: no npm error, no dev-only package, the workspace packages built and linked', () => {
    expect(install.stderr, `${install.command}:\n${install.stdout}\n${install.stderr}`).not.toMatch(/^npm (error|ERR!)/m);
    for (const dev of ['typescript', 'vitest', 'oidc-provider', '@swc/core', '@swc-node/register', 'playwright-core']) {
      expect(existsSync(join(APP, 'node_modules', dev)), `${dev} (a devDependency) is installed`).toBe(false);
    }
    // Every package the lockfile marks dev-only, wherever it would be nested.
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = Object.entries(lock.packages).filter(([path, meta]) => path && meta.dev);
    expect(devOnly.length).toBeGreaterThan(0);
    expect(devOnly.map(([path]) => path).filter((path) => existsSync(join(APP, path)))).toEqual([]);
    // What the runtime needs is there: the workspace packages, built, linked from node_modules.
    for (const w of workspaces()) {
      const { name, main } = JSON.parse(readFileSync(join(APP, w, 'package.json'), 'utf8')) as { name: string; main: string };
      expect(existsSync(join(APP, 'node_modules', name, main)), `${name}: ${main}`).toBe(true);
    }
    expect(entrypoint.length, 'runtime ENTRYPOINT').toBeGreaterThan(0);
  });

  it('provider mode on its embedded PostgreSQL: the CLI creates a user and a client, a code + PKCE login, /token, /userinfo', { timeout: 300_000 }, async () => {
    providerData = join(root, 'provider-data');
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    provider = await serve(port, { JWT_OIDC_DATA_DIR: providerData, JWT_OIDC_ISSUER: issuer });
    expect(postgresPids(join(providerData, 'postgres')).length, 'the embedded PostgreSQL runs').toBeGreaterThan(0);

    // The CLI joins the running server's cluster (same data directory).
    const cliEnvOf = { JWT_OIDC_DATA_DIR: providerData };
    const user = await cli(['users', 'create', '--username', USERNAME, '--email', `${USERNAME}@example.com`, '--password-stdin'], cliEnvOf, `${PASSWORD}\n`);
    expect(user.username).toBe(USERNAME);
    userId = user.id;
    const client = await cli(['clients', 'create', '--name', 'Direct RP', '--redirect-uri', DIRECT_REDIRECT], cliEnvOf);
    expect(client.clientSecret, JSON.stringify(client)).toBeTruthy();
    await knownToProvider(client.clientId, DIRECT_REDIRECT);

    const { verifier, challenge } = pkcePair();
    const params = { client_id: client.clientId, redirect_uri: DIRECT_REDIRECT, response_type: 'code', scope: 'openid profile email', state: 'st-1', nonce: 'n-1', code_challenge: challenge, code_challenge_method: 'S256' };
    const callback = await throughLoginPages(new CookieJar(), `${issuer}/authorize?${new URLSearchParams(params)}`, { username: USERNAME, password: PASSWORD });
    expect(callback.origin + callback.pathname, callback.toString()).toBe(DIRECT_REDIRECT);
    expect(callback.searchParams.get('state')).toBe('st-1');
    const code = callback.searchParams.get('code');
    expect(code, callback.toString()).toBeTruthy();

    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, redirect_uri: DIRECT_REDIRECT, code_verifier: verifier }),
    });
    const tokens = (await res.json()) as { access_token: string; id_token: string; token_type: string };
    expect(res.status, JSON.stringify(tokens)).toBe(200);
    expect(tokens.token_type).toMatch(/^bearer$/i);
    expect(claimsOf(tokens.id_token)).toMatchObject({ iss: issuer, sub: userId, aud: client.clientId, nonce: 'n-1' });

    const info = await fetch(`${issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(info.status).toBe(200);
    expect(await info.json()).toMatchObject({ sub: userId, email: `${USERNAME}@example.com` });

    // GraphiQL from the build's copy (dist/assets/graphiql; the package itself is a devDependency),
    // served outside NODE_ENV=production: the page, and every file it loads.
    expect(existsSync(join(APP, 'dist', 'assets', 'graphiql', 'graphiql.min.js')), 'dist/assets/graphiql').toBe(true);
    const ide = await fetch(`${issuer}/graphql`, { headers: { accept: 'text/html' } });
    const page = await ide.text();
    expect(ide.status, page).toBe(200);
    const scripts = [...page.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).toContain('/graphql/ide/graphiql.min.js');
    for (const src of [...scripts, ...[...page.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]!)]) {
      expect((await fetch(`${issuer}${src}`)).status, src).toBe(200);
    }

    // The passkey pages' scripts: @simplewebauthn/browser's bundle from the installed dependency
    // (found by its resolution, not a path of the checkout) and the pages' own, from dist.
    for (const [path, marker] of [['/webauthn/simplewebauthn-browser.js', '@simplewebauthn/browser@'], ['/webauthn/passkey.js', 'SimpleWebAuthnBrowser']] as const) {
      const res = await fetch(`${issuer}${path}`);
      expect([res.status, res.headers.get('content-type')], path).toEqual([200, 'text/javascript; charset=utf-8']);
      expect(await res.text(), path).toContain(marker);
    }

    // The admin console from the build (dist/console; Vite is a devDependency): while no
    // administrator exists it sends the browser to the first-run page; its files are served.
    const admin = await fetch(`${issuer}/admin/`, { redirect: 'manual' });
    expect(admin.status).toBe(303);
    expect(admin.headers.get('location')).toBe('/admin/setup');
    const built = readFileSync(join(APP, 'dist', 'console', 'index.html'), 'utf8');
    const assets = [...built.matchAll(/(?:src|href)="\.\/assets\/([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(0);
    for (const name of assets) {
      const res = await fetch(`${issuer}/admin/assets/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get('cache-control')).toContain('immutable');
    }
  });

  it('client mode (a BFF) against that provider: /openid/login → the provider\'s pages → /openid/callback, then `me` from the session cookie', { timeout: 300_000 }, async () => {
    expect(provider, 'the provider test ran').toBeDefined();
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const client = await cli(['clients', 'create', '--name', 'BFF', '--redirect-uri', `${publicUrl}/openid/callback`], { JWT_OIDC_DATA_DIR: providerData });
    await knownToProvider(client.clientId, `${publicUrl}/openid/callback`);
    const bff = await serve(port, {
      JWT_OIDC_TYPE: 'client',
      JWT_OIDC_DISCOVERY_ENDPOINT: `${issuer}/.well-known/openid-configuration`,
      JWT_OIDC_CLIENT_ID: client.clientId,
      JWT_OIDC_CLIENT_SECRET: client.clientSecret,
      JWT_OIDC_PUBLIC_URL: publicUrl,
      JWT_OIDC_SCOPE: 'openid profile email',
      JWT_OIDC_CREATE_USER: 'true',
      DATABASE_URL: await scratchDatabase(),
      JWT_OIDC_DATA_DIR: join(root, 'client-data'),
    });

    const jar = new CookieJar();
    const start = await browse(jar, `${publicUrl}/openid/login?returnTo=${encodeURIComponent('/app')}`);
    expect(start.status, bff.output().slice(-3000)).toBe(303);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin + authorize.pathname).toBe(`${issuer}/authorize`);
    const callback = await throughLoginPages(jar, authorize.toString(), { username: USERNAME, password: PASSWORD });
    expect(callback.origin + callback.pathname, callback.toString()).toBe(`${publicUrl}/openid/callback`);
    const done = await browse(jar, callback.toString());
    expect(done.status, `${await done.clone().text()}\n${bff.output().slice(-3000)}`).toBe(303);
    expect(done.headers.get('location')).toBe('/app');

    const me = await browse(jar, `${publicUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { sub } }' }) });
    const body = await me.text();
    expect(me.status, body).toBe(200);
    expect(JSON.parse(body)).toEqual({ data: { me: { sub: userId } } });
    // Without the session cookie, nobody.
    const anon = await fetch(`${publicUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { sub } }' }) });
    expect(((await anon.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');

    await stop(bff);
  });

  it('the provider stops on the Dockerfile\'s STOPSIGNAL with exit 0 and leaves no PostgreSQL running', { timeout: 60_000 }, async () => {
    expect(provider, 'the provider test ran').toBeDefined();
    await stop(provider);
    expect(postgresPids(join(providerData, 'postgres'))).toEqual([]);
  });

  it('fake mode: a login as any subject on its page, code + PKCE, /token, /userinfo; keys, identities and tokens survive a restart', { timeout: 300_000 }, async () => {
    const CLIENT_ID = 'my-spa';
    const REDIRECT = 'http://localhost:5173/callback';
    const port = await freePort();
    const fakeIssuer = `http://127.0.0.1:${port}`;
    const fakeData = join(root, 'fake-data');
    const env = { JWT_OIDC_TYPE: 'fake', JWT_OIDC_CLIENT_ID: CLIENT_ID, JWT_OIDC_ISSUER: fakeIssuer, DATABASE_URL: await scratchDatabase(), JWT_OIDC_DATA_DIR: fakeData };
    let fake = await serve(port, env);

    const { verifier, challenge } = pkcePair();
    const params = { client_id: CLIENT_ID, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid email', state: 'st-2', code_challenge: challenge, code_challenge_method: 'S256' };
    const authorize = `${fakeIssuer}/authorize?${new URLSearchParams(params)}`;
    const callback = await fakeSignIn(new CookieJar(), authorize, { sub: 'carol', email: 'carol@example.com' });
    expect(callback.origin + callback.pathname, callback.toString()).toBe(REDIRECT);
    expect(callback.searchParams.get('state')).toBe('st-2');

    const res = await fetch(`${fakeIssuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT, client_id: CLIENT_ID, code_verifier: verifier }),
    });
    const tokens = (await res.json()) as { access_token: string; id_token: string };
    expect(res.status, JSON.stringify(tokens)).toBe(200);
    // The typed claims are in the ID token too; the access token is the provider's, for the issuer.
    expect(claimsOf(tokens.id_token)).toMatchObject({ iss: fakeIssuer, sub: 'carol', aud: CLIENT_ID, email: 'carol@example.com', email_verified: true });
    expect(claimsOf(tokens.access_token)).toMatchObject({ iss: fakeIssuer, sub: 'carol', aud: fakeIssuer, client_id: CLIENT_ID });

    const userinfo = () => fetch(`${fakeIssuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    let info = await userinfo();
    expect(info.status).toBe(200);
    expect(await info.json()).toEqual({ sub: 'carol', email: 'carol@example.com', email_verified: true });
    const jwks = await (await fetch(`${fakeIssuer}/jwks`)).json();

    await stop(fake);
    // Its state is the database's: the data directory holds only its mode and the generated
    // key encryption secret (no key file, no identities file).
    expect(readdirSync(fakeData).sort()).toEqual(['.jwt-oidc-mode', 'key-encryption-secret']);

    // Started again on the same database: the same keys, the token issued before still
    // accepted, and the identity one click away on the login page of a new browser.
    fake = await serve(port, env);
    expect(await (await fetch(`${fakeIssuer}/jwks`)).json()).toEqual(jwks);
    info = await userinfo();
    expect(info.status).toBe(200);
    expect(await info.json()).toEqual({ sub: 'carol', email: 'carol@example.com', email_verified: true });
    const { html } = await fakeLoginPage(new CookieJar(), authorize);
    expect(html).toContain('<input type="hidden" name="identity" value="carol"><button type="submit" class="secondary">carol · carol@example.com</button>');
    const again = await fakeSignIn(new CookieJar(), authorize, { identity: 'carol' });
    expect(again.searchParams.get('code')).toBeTruthy();

    await stop(fake);
  });

  /** Clients reach a running provider by LISTEN/NOTIFY: wait until its /authorize knows this one. */
  async function knownToProvider(clientId: string, redirectUri: string): Promise<void> {
    const { challenge } = pkcePair();
    const url = `${issuer}/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256' })}`;
    await pollUntil(`the provider to know client ${clientId}`, async () => [302, 303].includes((await fetch(url, { redirect: 'manual' })).status));
  }
});

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}


// ---------------------------------------------------------------------------------------------
// Static: the built JavaScript imports only what its package.json installs in production.

const IMPORT = /\b(?:import|export)\s*(?:[\w*${}\s,]+?\s*from\s*)?['"]([^'"\n]+)['"]|\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g;

/**
 * The JavaScript compiled from `srcDir` into `distDir`: one file per source (a file left in dist/
 * by an earlier build, whose source is gone, is not part of the build, so not checked).
 */
function compiled(srcDir: string, distDir: string): string[] {
  const files = tsFiles(srcDir).map((f) => join(distDir, f.replace(/\.ts$/, '.js')));
  const missing = files.filter((f) => !existsSync(f)).map((f) => relative(ROOT, f));
  expect(missing, 'not built: run `npm run build`').toEqual([]);
  return files;
}

/** The packages (not subpaths, not builtins, not relative files) that `files` import. */
function importedPackages(files: string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]!;
      if (/^[./#]/.test(spec) || /^[a-z][a-z0-9+.-]*:/i.test(spec) || isBuiltin(spec)) continue;
      const parts = spec.split('/');
      const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
      if (!found.has(name)) found.set(name, relative(ROOT, file));
    }
  }
  return found;
}

function undeclared(imported: Map<string, string>, declared: Record<string, string>): string[] {
  return [...imported].filter(([name]) => !(name in declared)).map(([name, file]) => `${name} (imported by ${file})`);
}

describe('the built JavaScript imports only declared runtime dependencies', () => {
  it('the service (dist/src, dist/migrations): every bare import is in the root package.json\'s dependencies', () => {
    const files = [...compiled(join(ROOT, 'src'), join(ROOT, 'dist', 'src')), ...compiled(join(ROOT, 'migrations'), join(ROOT, 'dist', 'migrations'))];
    expect(files.length).toBeGreaterThan(0);
    const imported = importedPackages(files);
    expect(imported.size).toBeGreaterThan(0);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(undeclared(imported, pkg.dependencies)).toEqual([]);
  });

  it.each(workspaces())('%s: every bare import of its dist/ is in its dependencies or peerDependencies', (w) => {
    const files = compiled(join(ROOT, w, 'src'), join(ROOT, w, 'dist'));
    expect(files.length).toBeGreaterThan(0);
    const pkg = JSON.parse(readFileSync(join(ROOT, w, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
    expect(undeclared(importedPackages(files), { ...pkg.dependencies, ...pkg.peerDependencies })).toEqual([]);
  });
});
