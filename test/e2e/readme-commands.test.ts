/**
 * The root README's shell commands and GraphQL documents, run as printed against a started
 * service. Blocks are found by their section heading and a phrase of theirs, never copied here:
 * an edited README is what runs. Only the environment is the test's (a scratch database, a
 * temporary data directory, a free PORT) and where `localhost:3000` leads: curl reads a
 * `.curlrc` (CURL_HOME) that connects `localhost:3000` to this run's service, so the commands
 * keep their text. Every ```sh and ```graphql block, and every plain block that starts with
 * `$ `, is either run here or named in NOT_RUN_HERE with the reason (and where it is tested) —
 * a new block fails this file until it is one or the other.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, type OperationDefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, ROOT } from '../support/cli.js';
import { testDatabase } from '../support/database.js';
import { startProvider, tokensFor, type TestProvider } from '../support/provider.js';
import { freePort } from '../../src/util/free-port.js';
import { connectWs, until } from '../support/graphql-ws.js';

// ---- the README's blocks ----------------------------------------------------------------------

interface Block {
  heading: string;
  lang: string;
  code: string;
}

/** Every fenced block with the heading it is under. */
function blocksOf(markdown: string): Block[] {
  const blocks: Block[] = [];
  let heading = '';
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '');
    const fence = /^```(\w*)$/.exec(line);
    if (!fence) continue;
    const end = lines.indexOf('```', i + 1);
    blocks.push({ heading, lang: fence[1]!, code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const BLOCKS = blocksOf(README);
/** Commands and documents: the blocks this file answers for. */
const RUNNABLE = BLOCKS.filter((b) => b.lang === 'sh' || b.lang === 'graphql' || (b.lang === '' && b.code.startsWith('$ ')));

/** The one block under `heading` that contains `phrase`. */
function block(heading: string, phrase: string): Block {
  const found = BLOCKS.filter((b) => b.heading === heading && b.code.includes(phrase));
  expect(found, `README: one block under "${heading}" containing ${JSON.stringify(phrase)}`).toHaveLength(1);
  return found[0]!;
}

/** Blocks run elsewhere or not at all, by heading and a phrase, with the reason. */
const NOT_RUN_HERE: { heading: string; phrase: string; why: string }[] = [
  { heading: 'Quickstart', phrase: 'npm ci && npm start', why: 'test/e2e/npm-start.test.ts runs `npm start` on a fresh data directory (npm ci is the checkout itself)' },
  { heading: 'Quickstart', phrase: '@db.internal:5432', why: 'names a database server that does not exist here' },
  { heading: 'Tests', phrase: 'npm test', why: 'the run this file is part of' },
  { heading: 'With docker compose', phrase: 'docker compose up', why: 'no Docker engine on these machines; test/unit/deployment.test.ts reads docker-compose.yml' },
  { heading: 'The client mode', phrase: 'JWT_OIDC_TYPE=client', why: 'placeholders (…) and an upstream at id.example.com; test/e2e/client-mode*.test.ts run the client mode against real providers' },
  { heading: 'Performance', phrase: 'npm run bench', why: 'minutes of load on every core' },
];

/** Shell lines joined across `\` continuations: one command each (comment-only lines dropped). */
function commandsOf(code: string): string[] {
  return code
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
}

// ---- running commands ---------------------------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), 'jwt-oidc-readme-'));
const dataDir = join(work, 'data');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  log: string;
}

/**
 * `bash -c command` in the checkout, with a clean environment (cliEnv) plus `env`; curl's
 * `localhost:3000` goes to this run's service.
 */
function sh(command: string, env: Record<string, string> = {}, input?: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd: ROOT, env: cliEnv({ CURL_HOME: work, JWT_OIDC_DATA_DIR: dataDir, ...env }), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(input ?? '');
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, log: `$ ${command} → ${code}\n${stdout}\n${stderr}` }));
  });
}

/** The `client_id:` and `client_secret:` lines the CLI prints after `clients create`. */
function credentials(output: string): { clientId: string; clientSecret: string } {
  const clientId = /^client_id:\s+(\S+)/m.exec(output)?.[1];
  const clientSecret = /^client_secret:\s+(\S+)/m.exec(output)?.[1];
  expect(clientId, output).toBeDefined();
  expect(clientSecret, output).toBeDefined();
  return { clientId: clientId!, clientSecret: clientSecret! };
}

/** The JSON a command printed on stdout (npm's own banner lines aside). */
function json(r: Ran): any {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`not JSON:\n${r.log}`);
  }
}

// ---- the service --------------------------------------------------------------------------------

let service: TestProvider;
/** What the service's own settings would be in a shell next to it (the CLI joins its database). */
let serviceEnv: Record<string, string>;

beforeAll(async () => {
  service = await startProvider({ HOST: '127.0.0.1' });
  const port = new URL(service.url).port;
  writeFileSync(join(work, '.curlrc'), `connect-to = "localhost:3000:127.0.0.1:${port}"\n`);
  serviceEnv = { DATABASE_URL: service.databaseUrl, JWT_OIDC_KEY_ENCRYPTION_SECRET: 't'.repeat(40) };
});

afterAll(async () => {
  await service?.close();
  rmSync(work, { recursive: true, force: true });
});

// ---- the tests ----------------------------------------------------------------------------------

describe('README.md: which commands and documents run', () => {
  it('every ```sh and ```graphql block (and every `$ ` transcript) is run below or listed as not run here, with the reason', () => {
    const ranBelow = [
      ['Quickstart', 'curl localhost:3000/healthz'],
      ['Quickstart', 'users create --username alice'],
      ['Quickstart', 'clients create --name "My app"'],
      ['Settings', '$ JWT_OIDC_SIGNATURE_ALG=HS999 npm start'],
      ['GraphQL', 'query { me { sub'],
      ['GraphQL', 'query { me { sessions'],
      ['GraphQL', 'grant_type=client_credentials'],
      ['GraphQL', 'createClient(input:'],
      ['GraphQL', 'auditEvents(types:'],
      ['Developing a frontend without an identity provider', 'JWT_OIDC_TYPE=fake'],
    ];
    const accounted = (b: Block) =>
      ranBelow.some(([heading, phrase]) => b.heading === heading && b.code.includes(phrase!)) || NOT_RUN_HERE.some((n) => b.heading === n.heading && b.code.includes(n.phrase));
    expect(RUNNABLE.filter((b) => !accounted(b)).map((b) => `${b.heading}: ${b.code.split('\n')[0]}`)).toEqual([]);
    // And each listed block still exists (a stale entry would excuse nothing).
    for (const n of NOT_RUN_HERE) block(n.heading, n.phrase);
  });
});

describe('README "Quickstart", as printed', () => {
  it('the curl block: /healthz, /readyz, serverInfo over GraphQL, discovery and the JWKS answer as the comments say', async () => {
    const commands = commandsOf(block('Quickstart', 'curl localhost:3000/healthz').code);
    const checks: Record<string, (body: any) => void> = {
      '/healthz': (b) => expect(b).toEqual({ status: 'ok' }),
      '/readyz': (b) => expect(b).toMatchObject({ status: 'ready' }),
      '/graphql': (b) => expect(b).toEqual({ data: { serverInfo: { version: expect.any(String), mode: 'provider', issuer: service.issuer } } }),
      '/.well-known/openid-configuration': (b) => expect(b).toMatchObject({ issuer: service.issuer, jwks_uri: `${service.issuer}/jwks` }),
      '/jwks': (b) => expect(b.keys.length).toBeGreaterThan(0),
    };
    expect(commands.length).toBe(Object.keys(checks).length);
    for (const command of commands) {
      const path = /localhost:3000(\/\S*)/.exec(command)?.[1];
      expect(path && checks[path], `no check for: ${command}`).toBeTruthy();
      const r = await sh(command);
      expect(r.code, r.log).toBe(0);
      checks[path!]!(json(r));
    }
  });

  it('`users create … --password-stdin` creates the user in the running service, who can then sign in', async () => {
    const r = await sh(commandsOf(block('Quickstart', 'users create --username alice').code).join('\n'), serviceEnv, 'a password of alice\n');
    expect(r.code, r.log).toBe(0);
    const rp = await service.createClient({ firstParty: true });
    const tokens = await tokensFor(service, rp, { username: 'alice', password: 'a password of alice' }, 'openid email');
    const me = await fetch(`${service.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(await me.json()).toMatchObject({ email: 'alice@example.com' });
  });

  it('`clients create --name "My app" --redirect-uri …` prints client_id and client_secret, and the client is registered', async () => {
    const r = await sh(block('Quickstart', 'clients create --name "My app"').code, serviceEnv);
    expect(r.code, r.log).toBe(0);
    const { clientId, clientSecret } = credentials(r.stdout);
    // The client authenticates at the token endpoint with that secret (a wrong code, not a wrong
    // client) once the running service has heard of it (its registry follows the table's changes).
    const attempt = async () => {
      const res = await fetch(`${service.issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: 'nope', redirect_uri: 'http://localhost:8080/callback' }),
      });
      return ((await res.json()) as { error?: string }).error;
    };
    await expect.poll(attempt, { timeout: 10_000, interval: 200 }).toBe('invalid_grant');
  });
});

describe('README "Settings", as printed', () => {
  it('`$ JWT_OIDC_SIGNATURE_ALG=HS999 npm start` exits 2 printing exactly the lines shown', async () => {
    const [command, ...printed] = block('Settings', '$ JWT_OIDC_SIGNATURE_ALG=HS999 npm start').code.split('\n');
    const r = await sh(command!.replace(/^\$ /, ''), { PORT: String(await freePort()) });
    expect(r.code, r.log).toBe(2);
    expect(r.stderr.trimEnd(), r.log).toBe(printed.join('\n'));
  });
});

describe('README "GraphQL", as printed', () => {
  /** The admin token of the README's automation client (set by the sh block's test). */
  let adminToken: string;

  it('`me`: a user asks who is logged in, with the userinfo of the token', async () => {
    const user = await service.createUser({ givenName: 'Grace' });
    const rp = await service.createClient({ firstParty: true });
    const tokens = await tokensFor(service, rp, user, 'openid profile email');
    const res = await gqlAs(block('GraphQL', 'query { me { sub').code, tokens.access_token);
    expect(res.errors, JSON.stringify(res)).toBeUndefined();
    expect(res.data.me).toMatchObject({ sub: user.id, user: { id: user.id, username: user.username, givenName: 'Grace' } });
    expect(res.data.me.userinfo).toMatchObject({ sub: user.id, given_name: 'Grace' });
  });

  it('the user\'s own account: each operation as printed, with a first-party token; placeholders fail only on their input', async () => {
    const user = await service.createUser();
    const rp = await service.createClient({ firstParty: true });
    const tokens = await tokensFor(service, rp, user, 'openid profile');
    const source = block('GraphQL', 'query { me { sessions').code;
    const operations = parse(source).definitions as OperationDefinitionNode[];
    expect(operations.map((o) => o.operation)).toEqual(['query', 'mutation', 'mutation', 'mutation', 'mutation', 'query', 'mutation', 'mutation', 'mutation', 'mutation', 'mutation']);
    for (const op of operations) {
      const text = source.slice(op.loc!.start, op.loc!.end);
      const res = await gqlAs(text, tokens.access_token);
      if (op.operation === 'query') {
        expect(res.errors, JSON.stringify(res)).toBeUndefined();
        if ('factors' in res.data.me) {
          expect(res.data.me.factors).toEqual([]);
          continue;
        }
        expect(res.data.me.sessions.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
        expect(res.data.me.connectedApps.map((a: { clientId: string }) => a.clientId)).toContain(rp.clientId);
      } else {
        const codes = (res.errors ?? []).map((e: { extensions?: { code?: string } }) => e.extensions?.code);
        expect(codes.length, `${text}\n${JSON.stringify(res)}`).toBeGreaterThan(0);
        for (const code of codes) expect(['BAD_USER_INPUT', 'NOT_FOUND'], `${text}\n${JSON.stringify(res)}`).toContain(code);
      }
    }
  });

  it('the automation client: `clients create … --admin`, then curl gets a client_credentials token with scope=admin', async () => {
    const [create, ...rest] = commandsOf(block('GraphQL', 'grant_type=client_credentials').code);
    expect(rest).toHaveLength(1);
    const created = await sh(create!, serviceEnv);
    expect(created.code, created.log).toBe(0);
    const { clientId, clientSecret } = credentials(created.stdout);
    const token = await sh(rest[0]!, { CLIENT_ID: clientId, CLIENT_SECRET: clientSecret });
    expect(token.code, token.log).toBe(0);
    const body = json(token);
    expect(body).toMatchObject({ access_token: expect.any(String), token_type: 'Bearer', scope: 'admin' });
    adminToken = body.access_token;
  });

  it('the administration document: every operation is valid and runs with that token; those with placeholders (…) fail only on their input', async () => {
    expect(adminToken, 'the sh block above ran').toBeDefined();
    const source = block('GraphQL', 'createClient(input:').code;
    const operations = parse(source).definitions as OperationDefinitionNode[];
    expect(operations.length).toBeGreaterThan(5);
    for (const op of operations) {
      const text = source.slice(op.loc!.start, op.loc!.end);
      const res = await gqlAs(text, adminToken);
      const codes = (res.errors ?? []).map((e: { extensions?: { code?: string } }) => e.extensions?.code);
      if (text.includes('…')) {
        // A placeholder is no id of anything: an empty answer, or refused as input — never as a
        // bad document, missing rights or an internal error.
        for (const code of codes) expect(['BAD_USER_INPUT', 'NOT_FOUND'], `${text}\n${JSON.stringify(res)}`).toContain(code);
        if (!codes.length) expect(res.data, text).toBeDefined();
      } else {
        expect(res.errors, `${text}\n${JSON.stringify(res)}`).toBeUndefined();
        expect(Object.values(res.data ?? {}).every((v) => v !== null), text).toBe(true);
      }
    }
  });

  it('the audit subscription: over WebSocket with that token, it streams a refused token request as it happens', async () => {
    expect(adminToken, 'the sh block above ran').toBeDefined();
    const ws = connectWs(`${service.url.replace(/^http/, 'ws')}/graphql`, { token: adminToken });
    try {
      const events = ws.subscribe(block('GraphQL', 'auditEvents(types:').code);
      const wrongSecret = () =>
        fetch(`${service.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('nobody:wrong').toString('base64')}` }, body: 'grant_type=client_credentials' });
      await until('a token.refused event', () => events.results.length > 0, wrongSecret);
      expect(events.results[0]!.errors, JSON.stringify(events.results[0])).toBeUndefined();
      expect(events.results[0]!.data.auditEvents).toMatchObject({ event: 'token.refused', outcome: 'refused', time: expect.any(String), instance: expect.any(String), details: { error: 'invalid_client' } });
    } finally {
      await ws.client.dispose();
    }
  });
});

describe('README "Developing a frontend without an identity provider", as printed', () => {
  it('`JWT_OIDC_TYPE=fake JWT_OIDC_CLIENT_ID=my-spa npm start` serves the fake provider and prints the warning shown', async () => {
    const code = block('Developing a frontend without an identity provider', 'JWT_OIDC_TYPE=fake').code;
    const [command] = commandsOf(code);
    const warning = code.split('\n').find((l) => l.startsWith('# !!'))!.replace(/^# /, '');
    const db = await testDatabase();
    const port = await freePort();
    // Its own process group, so that the test ends npm and the node it started, and nothing else.
    const child = spawn('bash', ['-c', command!], { cwd: ROOT, env: cliEnv({ DATABASE_URL: db.url, PORT: String(port), JWT_OIDC_DATA_DIR: join(work, 'fake') }), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    try {
      const until = Date.now() + 60_000;
      let discovery: Response | undefined;
      while (!discovery && Date.now() < until && child.exitCode === null) {
        discovery = await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`).catch(() => undefined);
        if (!discovery) await new Promise((r) => setTimeout(r, 200));
      }
      expect(discovery?.status, out).toBe(200);
      expect(await discovery!.json()).toMatchObject({ issuer: `http://localhost:${port}` });
      // The banner as the README shows it (its alignment spaces aside).
      expect(out.replace(/[ \t]+/g, ' ')).toContain(warning.replace(/[ \t]+/g, ' '));
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
      await exited;
      await db.drop();
    }
  });
});

/** A GraphQL document as a JSON client posts it, with a bearer token. */
async function gqlAs(query: string, token: string): Promise<any> {
  const res = await fetch(`${service.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
  return res.json();
}
