/**
 * Scale: the same provider measured at 10 thousand and at 1 million rows of each kind (quick:
 * 2 thousand and 20 thousand), on one database — seed the small size (bench/lib/seed.ts),
 * measure everything, seed up to the large size, measure everything again. Each scenario's two
 * sides are the two sizes ("ours" the large one), so the ratio columns read large ÷ small; the
 * target is a ratio per CPU-second ≥ 0.9 (the cost of a request must not grow with the tables),
 * or for searches a p99 ≤ 50 ms at the large size — with one connection, the latency of a search
 * rather than the queue in front of a saturated server. BENCH_SCALE_MAX_CLIENTS caps the clients
 * seeded (unset: as many clients as users; the registry holds only a bounded cache of them,
 * src/clients/client-registry.ts).
 *
 * CPU here is the provider's PLUS PostgreSQL's (the postmaster and its children, read from /proc:
 * lib/proc.ts treeCpuTicks): at scale the database does the work that grows.
 *
 * Then the sweep: a million expired rows (quick: 20 thousand) deleted by the housekeeping
 * (src/db/housekeeping.ts, the service's own class, run here as a second instance on the same
 * database would) while refresh requests load /token: their p99 during the sweep against the p99
 * just before it, and no request may fail. Last, the provider's peak RSS over the whole run.
 *
 * The measurements depend on each other's order (one database growing), so the first scale-*
 * scenario to run measures all of them and each reports its own row.
 */
import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { Housekeeping } from '../../src/db/housekeeping.js';
import { ormConfig } from '../../src/db/orm-config.js';
import { createLogger } from '../../src/log.js';
import { PROVIDER_EXPIRING_TABLES } from '../../src/provider/stores/expiring-tables.js';
import { API, runCli, type BenchEnv, type OurProvider, type RelyingParty } from '../lib/env.js';
import { basicAuth, FORM, form, tokenRequest } from '../lib/http.js';
import type { HttpResult } from '../lib/load-types.js';
import type { Measured, Phase, RequestSpec, RunSettings, ScenarioResult, Target } from '../lib/measure.js';
import { CLK_TCK, cpuTicks, parentPid, peakRssKb, treeCpuTicks } from '../lib/proc.js';
import { RARE_CLIENT_WORD, RARE_FAMILY_NAME, seed, SEED_CLIENT_SECRET, seededClientId, seededUserId } from '../lib/seed.js';
import { providerEnv } from '../lib/servers.js';
import { assert, fetchJson } from '../lib/verify.js';
import { checkUserTokens, exchangeBody, makeCodes } from './grants.js';
import type { Scenario } from './types.js';

const SEARCH_P99_MS = 50;
const PER_CPU_RATIO = 0.9;
const SWEEP_P99_RATIO = 2;
const RSS_MB = 300;

/** What is measured at each size: a checked sample, then the request of each run. */
interface Probe {
  id: string;
  title: string;
  kind: 'ratio' | 'search';
  /**
   * A search is timed as one administrator typing, not as a queue: one connection, and a fixed
   * number of requests per run (a slow one may take seconds: a timed round would end before it).
   */
  connections?: number;
  amount?: number;
  check(): Promise<void>;
  request(phase: Phase): Promise<RequestSpec & { amount?: number }>;
  after?(r: HttpResult): void;
}

interface Context {
  env: BenchEnv;
  s: RunSettings;
  p: OurProvider;
  rp: RelyingParty;
  admin: string;
  /** The postmaster's pid when PostgreSQL runs on this machine (its CPU is then counted). */
  postmaster?: number;
  log(line: string): void;
}

const sizeLabel = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** CPU ticks of the provider plus PostgreSQL, now. */
function ticks(c: Context): number {
  return cpuTicks(c.p.server.pid) + (c.postmaster ? treeCpuTicks(c.postmaster) : 0);
}

/** Warm-up and rounds of one probe, CPU read around each run. */
async function measure(c: Context, label: string, probe: Pick<Probe, 'request' | 'after' | 'connections' | 'amount'>, rounds = c.s.rounds): Promise<Measured> {
  const runs: HttpResult[] = [];
  let cpu = 0;
  for (let round = -1; round < rounds; round++) {
    const phase: Phase = round < 0 ? 'warmup' : round;
    const spec = await probe.request(phase);
    if ('kind' in spec) throw new Error('scale probes are HTTP');
    if (probe.amount) spec.amount ??= phase === 'warmup' ? 2 : probe.amount;
    const before = ticks(c);
    const r = await c.s.run({ kind: 'http', ...spec, connections: probe.connections ?? c.s.connections, ...(spec.amount ? { amount: spec.amount } : { durationSec: phase === 'warmup' ? c.s.warmupSec : c.s.roundSec }), pids: [] });
    const spent = ticks(c) - before;
    probe.after?.(r);
    if (round >= 0) {
      runs.push({ ...r, cpuTicks: { [c.p.server.pid]: spent } });
      cpu += spent;
    }
  }
  return summarise(c, label, runs, cpu / CLK_TCK);
}

function summarise(c: Context, label: string, runs: HttpResult[], cpuSec: number): Measured {
  const requests = runs.reduce((a, r) => a + r.requests, 0);
  return {
    label,
    server: c.postmaster ? `${c.p.server.name} + PostgreSQL` : c.p.server.name,
    rounds: runs,
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.latencyMs.p50)),
    p99: median(runs.map((r) => r.latencyMs.p99)),
    requests,
    cpuSec,
    perCpuSec: cpuSec > 0 ? requests / cpuSec : 0,
    cpuMsPerRequest: requests > 0 ? (cpuSec * 1000) / requests : 0,
    peakRssMb: peakRssKb(c.p.server.pid) / 1024,
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    errors: runs.reduce((a, r) => a + r.errors + r.timeouts, 0),
  };
}

/** A GraphQL POST as the admin client; the check asserts a data answer without errors. */
function graphql(c: Context, query: string, variables: Record<string, unknown>, pool?: string[]): Pick<Probe, 'check' | 'request'> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${c.admin}` };
  const body = JSON.stringify({ query, variables });
  return {
    async check() {
      const sample = pool ? body.replaceAll('{{pool}}', pool[0]!) : body;
      const res = await fetch(`${c.p.issuer}/graphql`, { method: 'POST', headers, body: sample });
      const answer = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
      assert(res.status === 200 && answer.data && !answer.errors, `GraphQL answered ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
    },
    request: async () => ({ url: c.p.issuer, method: 'POST', path: '/graphql', headers, body, ...(pool ? { pool: { values: pool, mode: 'cycle' as const } } : {}) }),
  };
}

/** The probes, made afresh at each size (pools of codes and tokens belong to a size). */
async function probes(c: Context, size: number): Promise<Probe[]> {
  const { env, p, rp } = c;
  const headers = { 'content-type': FORM, authorization: rp.authorization };
  /** Fresh refresh tokens, from codes redeemed outside the timed window. */
  const freshTokens = async (n: number) => {
    const codes = await makeCodes(env, p, rp, n);
    const made = await env.loader.run({ kind: 'http', url: p.issuer, method: 'POST', path: '/token', headers, body: exchangeBody(rp), pool: { values: codes, mode: 'once' }, amount: codes.length, connections: env.config.connections, collect: { json: 'refresh_token' }, pids: [] });
    assert(made.collected?.length === codes.length, `making refresh tokens: ${JSON.stringify(made.statusCodes)}`);
    return made.collected;
  };
  let refreshPool = await freshTokens(env.config.connections * 10);
  const [first] = await makeCodes(env, p, rp, 1);
  const tokens = await tokenRequest(p.issuer, rp.authorization, { grant_type: 'authorization_code', code: first!, redirect_uri: rp.redirectUri, code_verifier: rp.pkce.verifier });
  const bearer = { authorization: `Bearer ${tokens.access_token}` };
  let codeRate = 0;
  // Users across the whole seeded range, each with its grants and session.
  const users = Array.from({ length: 500 }, (_, i) => seededUserId(1 + Math.floor((i * size) / 500)));
  const search = (field: 'users' | 'clients', term: string) => graphql(c, `query($q: String) { ${field}(search: $q, first: 20) { edges { node { id } } pageInfo { hasNextPage } } }`, { q: term });
  return [
    {
      id: 'scale-refresh',
      title: 'refresh_token rotation',
      kind: 'ratio',
      async check() {
        const body = await tokenRequest(p.issuer, rp.authorization, { grant_type: 'refresh_token', refresh_token: refreshPool.shift()! });
        await checkUserTokens(p, rp, body);
        refreshPool.push(body.refresh_token!);
      },
      async request() {
        // Each run loses the tokens in flight when it ends (one per connection): top the pool up.
        if (refreshPool.length < env.config.connections * 5) refreshPool.push(...(await freshTokens(env.config.connections * 5)));
        return { url: p.issuer, method: 'POST', path: '/token', headers, body: 'grant_type=refresh_token&refresh_token={{pool}}', pool: { values: refreshPool, mode: 'feedback', feedback: 'refresh_token' } };
      },
      after(r) {
        refreshPool = r.leftover ?? [];
      },
    },
    {
      id: 'scale-code',
      title: 'authorization_code exchange',
      kind: 'ratio',
      async check() {
        const [code] = await makeCodes(env, p, rp, 1);
        await checkUserTokens(p, rp, await tokenRequest(p.issuer, rp.authorization, { grant_type: 'authorization_code', code: code!, redirect_uri: rp.redirectUri, code_verifier: rp.pkce.verifier }));
      },
      async request(phase) {
        const amount = phase === 'warmup' ? (env.config.quick ? 100 : 600) : Math.max(100, Math.round(codeRate * c.s.roundSec));
        return { url: p.issuer, method: 'POST', path: '/token', headers, body: exchangeBody(rp), pool: { values: await makeCodes(env, p, rp, amount), mode: 'once' }, amount };
      },
      after(r) {
        if (!codeRate) codeRate = r.rps;
      },
    },
    {
      id: 'scale-userinfo',
      title: 'userinfo (bearer token)',
      kind: 'ratio',
      async check() {
        const claims = await fetchJson(`${p.issuer}/userinfo`, { headers: bearer });
        assert(claims.email === 'bench@example.com', `userinfo answered ${JSON.stringify(claims)}`);
      },
      request: async () => ({ url: p.issuer, path: '/userinfo', headers: bearer }),
    },
    {
      id: 'scale-introspect',
      title: 'introspection of an access token (RFC 7662)',
      kind: 'ratio',
      async check() {
        const answer = await fetchJson(`${p.issuer}/introspect`, { method: 'POST', headers, body: form({ token: tokens.access_token! }) });
        assert(answer.active === true, `introspection answered ${JSON.stringify(answer)}`);
      },
      request: async () => ({ url: p.issuer, method: 'POST', path: '/introspect', headers, body: form({ token: tokens.access_token! }) }),
    },
    { id: 'scale-users-search-rare', title: `GraphQL users(search: "${RARE_FAMILY_NAME.toLowerCase()}"), one user in 50,000`, kind: 'search', connections: 1, amount: 8, ...search('users', RARE_FAMILY_NAME.toLowerCase()) },
    { id: 'scale-users-search-prefix', title: 'GraphQL users(search: "mar"), a common prefix', kind: 'search', connections: 1, amount: 8, ...search('users', 'mar') },
    { id: 'scale-clients-search-rare', title: `GraphQL clients(search: "${RARE_CLIENT_WORD.toLowerCase()}"), one client in 50,000`, kind: 'search', connections: 1, amount: 8, ...search('clients', RARE_CLIENT_WORD.toLowerCase()) },
    { id: 'scale-clients-search-prefix', title: 'GraphQL clients(search: "blue"), a common word', kind: 'search', connections: 1, amount: 8, ...search('clients', 'blue') },
    {
      id: 'scale-user-grants',
      title: "GraphQL a user's grants and sessions (the admin console's user page), 500 users in a cycle",
      kind: 'ratio',
      ...graphql(c, 'query($id: ID!) { grants(userId: $id) { id clientId scopes active expiresAt } sessions(userId: $id) { id authTime expiresAt } }', { id: '{{pool}}' }, users),
    },
  ];
}

async function postmasterOf(url: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    return parentPid(rows[0]!.pid);
  } finally {
    await client.end();
  }
}

async function seedTo(c: Context, size: number, from: number, notes: string[]): Promise<void> {
  const add = size - from;
  const max = Number(process.env.BENCH_SCALE_MAX_CLIENTS ?? Infinity);
  const clients = Math.max(0, Math.min(size, max) - Math.min(from, max));
  const r = await seed(c.p.databaseUrl, { users: add, grants: add, clients, append: from > 0, log: (l) => c.log(`seed: ${l}`) });
  const rows = Object.values(r.inserted).reduce((a, b) => a + b, 0);
  // The provider reloads its clients on the NOTIFY the generator sent: measure once it knows the
  // newest one (a client_credentials request it refuses as unauthorized_client, not invalid_client).
  const t0 = Date.now();
  for (let known = false; !known && Date.now() - t0 < 300_000; ) {
    const res = await fetch(`${c.p.issuer}/token`, { method: 'POST', headers: { 'content-type': FORM, authorization: basicAuth(seededClientId(r.totals.clients), SEED_CLIENT_SECRET) }, body: 'grant_type=client_credentials' });
    known = res.status !== 401;
    await res.arrayBuffer();
    if (!known) await new Promise((done) => setTimeout(done, 500));
  }
  c.log(`the provider knows the seeded clients after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  notes.push(`seeded to ${sizeLabel(size)}: ${rows.toLocaleString('en-US')} rows in ${r.seconds.toFixed(0)} s (${Math.round(rows / r.seconds).toLocaleString('en-US')} rows/s); now ${r.totals.users} users, ${r.totals.clients} clients, ${r.totals.grants} grants`);
}

async function sweep(c: Context, size: number): Promise<ScenarioResult> {
  const id = 'scale-sweep';
  const title = `housekeeping sweep of ${sizeLabel(size)} expired rows while refresh requests load /token`;
  const notes: string[] = [];
  // The rows expire only after two days, and this sweep's clock is past that: the provider's own
  // timer (every 60 s, system clock) leaves them alone, so the baseline runs without any sweep
  // and the sweep below is the only one.
  const expiredBy = new Date(Date.now() + 2 * 86_400_000);
  const r = await seed(c.p.databaseUrl, { expired: size, expiredBy, append: true, log: (l) => c.log(`seed: ${l}`) });
  notes.push(`${Object.entries(r.inserted).map(([t, n]) => `${n} ${t}`).join(', ')} seeded in ${r.seconds.toFixed(0)} s`);
  const refresh = (await probes(c, size)).find((x) => x.id === 'scale-refresh')!; // a fresh pool of refresh tokens
  const without = await measure(c, 'without sweep', refresh);
  const orm = await MikroORM.init(ormConfig({ clientUrl: c.p.databaseUrl, poolMax: 2 }));
  try {
    const clock = { now: () => expiredBy.getTime() + 60_000 };
    const housekeeping = new Housekeeping({ orm, clock, logger: createLogger({ level: 'warn' }), intervalMs: 0, tables: PROVIDER_EXPIRING_TABLES });
    const t0 = Date.now();
    let done: Record<string, number> | undefined;
    const pass = housekeeping.run().then((d) => (done = d));
    const runs: HttpResult[] = [];
    let cpu = 0;
    while (!done && runs.length < 150) {
      const spec = await refresh.request(runs.length);
      const before = ticks(c);
      const res = await c.s.run({ kind: 'http', ...(spec as Exclude<typeof spec, { kind: 'ws' }>), connections: c.s.connections, durationSec: c.s.roundSec, pids: [] });
      cpu += ticks(c) - before;
      refresh.after?.(res);
      runs.push(res);
    }
    const deleted = await pass;
    const seconds = (Date.now() - t0) / 1000;
    const total = Object.values(deleted).reduce((a, b) => a + b, 0);
    const during = summarise(c, 'during sweep', runs, cpu / CLK_TCK);
    notes.push(`swept ${total.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s (${Math.round(total / seconds).toLocaleString('en-US')} rows/s) by ${JSON.stringify(deleted)}; ${runs.length} rounds of ${c.s.roundSec} s meanwhile, worst round p99 ${Math.max(...runs.map((x) => x.latencyMs.p99)).toFixed(1)} ms (the sweep runs here, as another instance's would; its statements are the service's)`);
    const failed = during.non2xx + during.errors + without.non2xx + without.errors;
    if (failed) notes.push(`${during.non2xx} non-2xx and ${during.errors} errors during the sweep, ${without.non2xx}/${without.errors} without`);
    const ratio = without.p99 > 0 ? during.p99 / without.p99 : Infinity;
    return {
      id,
      title,
      status: failed ? 'FAILED' : 'ok',
      ours: during,
      peer: without,
      ratio: { rps: during.rps / without.rps, perCpu: during.perCpuSec / without.perCpuSec },
      target: { text: `p99 during ≤ ${SWEEP_P99_RATIO}× p99 without, no failed request`, value: ratio, pass: ratio <= SWEEP_P99_RATIO && failed === 0, unit: '×' },
      notes,
    };
  } finally {
    await orm.close(true);
  }
}

async function measureAll(env: BenchEnv, s: RunSettings): Promise<Map<string, ScenarioResult>> {
  const log = (line: string) => process.stderr.write(`[bench scale] ${line}\n`);
  const [p, rp] = await Promise.all([env.scaleProvider(), env.scaleRelyingParty()]);
  const cliEnv = providerEnv({ port: 0, issuer: p.issuer, databaseUrl: p.databaseUrl, alg: p.alg });
  const adminClient = JSON.parse(await runCli(env.config.cli, ['clients', 'create', '--json', '--name', 'bench admin', '--grant-types', 'client_credentials', '--admin', '--audience', API], cliEnv)) as { clientId: string; clientSecret: string };
  let admin: string | undefined;
  for (let i = 0; !admin; i++) {
    // The registry learns of the new client through NOTIFY: retry briefly.
    admin = await tokenRequest(p.issuer, basicAuth(adminClient.clientId, adminClient.clientSecret), { grant_type: 'client_credentials', scope: 'admin' }).then(
      (t) => t.access_token,
      async (e: Error) => {
        if (i > 50) throw e;
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      },
    );
  }
  const c: Context = { env, s, p, rp, admin, postmaster: await postmasterOf(p.databaseUrl), log };
  const [small, large] = env.config.quick ? [2_000, 20_000] : [10_000, 1_000_000];
  const seedNotes: string[] = [];
  const at = new Map<number, Map<string, { probe: Probe; m: Measured | Error }>>();
  for (const [size, from] of [[small, 0], [large, small]] as const) {
    log(`seeding up to ${sizeLabel(size)} rows of each kind…`);
    await seedTo(c, size, from, seedNotes);
    const results = new Map<string, { probe: Probe; m: Measured | Error }>();
    for (const probe of await probes(c, size)) {
      const t0 = Date.now();
      const m = await probe.check().then(
        () => measure(c, `${sizeLabel(size)} rows`, probe),
        (e: Error) => e,
      );
      results.set(probe.id, { probe, m });
      log(`${probe.id} at ${sizeLabel(size)}: ${m instanceof Error ? `check failed: ${m.message}` : `${Math.round(m.rps)} req/s, p99 ${m.p99.toFixed(1)} ms`} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
    at.set(size, results);
  }

  const out = new Map<string, ScenarioResult>();
  for (const [id, { probe, m: big }] of at.get(large)!) {
    const little = at.get(small)!.get(id)!.m;
    const notes = id === 'scale-refresh' ? [...seedNotes] : [];
    if (big instanceof Error || little instanceof Error) {
      out.set(id, { id, title: probe.title, status: 'FAILED', notes: [...notes, ...[big, little].filter((x): x is Error => x instanceof Error).map((e) => `check failed: ${e.message}`)] });
      continue;
    }
    const failed = big.non2xx + big.errors + little.non2xx + little.errors;
    const silent = [big, little].filter((m) => m.requests === 0).map((m) => m.label);
    if (silent.length) notes.push(`no answer at all during the timed runs at ${silent.join(' and ')}`);
    if (failed) notes.push(`non-2xx/errors: ${little.non2xx}/${little.errors} at ${sizeLabel(small)}, ${big.non2xx}/${big.errors} at ${sizeLabel(large)}`);
    if (!c.postmaster) notes.push('PostgreSQL is not on this machine: CPU is the provider only');
    const ratio = { rps: big.rps / little.rps, perCpu: big.perCpuSec / little.perCpuSec };
    const target: Target =
      probe.kind === 'search'
        ? { text: `p99 ≤ ${SEARCH_P99_MS} ms at ${sizeLabel(large)} rows`, value: big.p99, pass: big.requests > 0 && big.p99 <= SEARCH_P99_MS, unit: 'ms' }
        : { text: `${sizeLabel(large)} ÷ ${sizeLabel(small)} per CPU-s ≥ ${PER_CPU_RATIO}×`, value: ratio.perCpu, pass: silent.length === 0 && ratio.perCpu >= PER_CPU_RATIO, unit: '×' };
    out.set(id, { id, title: `${probe.title}: ${sizeLabel(large)} vs ${sizeLabel(small)} rows of each kind`, status: failed ? 'FAILED' : 'ok', ours: big, peer: little, ratio, target, notes });
  }
  log(`sweeping ${sizeLabel(large)} expired rows under load…`);
  out.set('scale-sweep', await sweep(c, large).catch((e: Error) => ({ id: 'scale-sweep', title: 'housekeeping sweep', status: 'FAILED' as const, notes: [`harness error: ${e.stack ?? e.message}`] })));
  const rss = peakRssKb(p.server.pid) / 1024;
  out.set('scale-rss', { id: 'scale-rss', title: "the scale provider's peak RSS (VmHWM) over all of the above", status: 'ok', target: { text: `≤ ${RSS_MB} MB`, value: rss, pass: rss <= RSS_MB, unit: 'MB' }, notes: [] });
  return out;
}

const runs = new WeakMap<BenchEnv, Promise<Map<string, ScenarioResult>>>();

function scenario(id: string, title: string): Scenario {
  return {
    id,
    title,
    prepare: (env) => [env.scaleProvider(), env.scaleRelyingParty()],
    async run(env, s) {
      if (!runs.has(env)) runs.set(env, measureAll(env, s));
      const result = (await runs.get(env)!).get(id);
      if (!result) throw new Error(`${id} was not measured`);
      return result;
    },
  };
}

export const scaleScenarios: Scenario[] = [
  scenario('scale-refresh', 'refresh_token rotation at 10k and 1M rows'),
  scenario('scale-code', 'authorization_code exchange at 10k and 1M rows'),
  scenario('scale-userinfo', 'userinfo at 10k and 1M rows'),
  scenario('scale-introspect', 'introspection at 10k and 1M rows'),
  scenario('scale-users-search-rare', 'GraphQL users(search:) of a rare name'),
  scenario('scale-users-search-prefix', 'GraphQL users(search:) of a common prefix'),
  scenario('scale-clients-search-rare', 'GraphQL clients(search:) of a rare word'),
  scenario('scale-clients-search-prefix', 'GraphQL clients(search:) of a common word'),
  scenario('scale-user-grants', "GraphQL a user's grants and sessions"),
  scenario('scale-sweep', 'housekeeping sweep of expired rows under /token load'),
  scenario('scale-rss', "the provider's peak RSS"),
];
