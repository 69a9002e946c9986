/**
 * Correctness under load, where each step depends on the answer of the one before (so autocannon,
 * which replays requests, cannot drive it): concurrent loops of fetch calls, run inside the load
 * process. They count what went wrong rather than how fast it went.
 */
import { decodeProtectedHeader } from 'jose';
import { FORM, authorizePath, form, queryMe } from './http.js';
import type { FlowResult, InstancesJob, RotationJob } from './load-types.js';

interface Tally {
  flows: number;
  requests: number;
  errors: number;
  failedValidations: number;
  samples: string[];
}

function note(t: Tally, what: string): void {
  if (t.samples.length < 3) t.samples.push(what.slice(0, 300));
}

async function loops(concurrency: number, durationSec: number, body: (i: number) => Promise<void>): Promise<number> {
  const started = Date.now();
  const end = started + durationSec * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = worker; Date.now() < end; i += concurrency) await body(i);
    }),
  );
  return (Date.now() - started) / 1000;
}

/** Fresh client_credentials tokens, each verified at once by the resource server. */
async function rotation(job: RotationJob): Promise<FlowResult> {
  const t: Tally = { flows: 0, requests: 0, errors: 0, failedValidations: 0, samples: [] };
  const kids = new Set<string>();
  const started = Date.now();
  /** Per signing key: tokens verified and refused, and when the key was first and last seen. */
  const byKid = new Map<string, { ok: number; refused: number; first: number; last: number }>();
  const tally = (kid: string, ok: boolean) => {
    const at = (Date.now() - started) / 1000;
    const k = byKid.get(kid) ?? { ok: 0, refused: 0, first: at, last: at };
    k.last = at;
    if (ok) k.ok++;
    else k.refused++;
    byKid.set(kid, k);
  };
  const durationSec = await loops(job.concurrency, job.durationSec, async () => {
    let token: string;
    try {
      t.requests++;
      const res = await fetch(`${job.providerUrl}/token`, { method: 'POST', headers: { 'content-type': FORM, authorization: job.authorization }, body: form({ grant_type: 'client_credentials', scope: 'api' }) });
      const body = (await res.json()) as { access_token?: string };
      if (res.status !== 200 || !body.access_token) throw new Error(`token: ${res.status} ${JSON.stringify(body)}`);
      token = body.access_token;
      kids.add(String(decodeProtectedHeader(token).kid));
    } catch (e) {
      t.errors++;
      note(t, `issue: ${(e as Error).message}`);
      return;
    }
    t.requests++;
    const kid = String(decodeProtectedHeader(token).kid);
    const me: Awaited<ReturnType<typeof queryMe>> = await queryMe(job.graphqlUrl, token).catch((e: Error) => ({ status: 0, body: { errors: [{ message: e.message }] } }));
    const ok = me.status === 200 && typeof me.body.data?.me === 'string';
    tally(kid, ok);
    if (ok) t.flows++;
    else {
      t.failedValidations++;
      const message = (me.body.errors?.[0] as { message?: string } | undefined)?.message ?? JSON.stringify(me.body);
      note(t, `verify at +${((Date.now() - started) / 1000).toFixed(1)} s (kid ${kid.slice(0, 10)}…): HTTP ${me.status} ${message}`);
    }
  });
  // One line per key, in order of appearance: shows when refusals start and stop.
  for (const [kid, k] of byKid) t.samples.push(`kid ${kid.slice(0, 10)}…: first seen +${k.first.toFixed(1)} s, last +${k.last.toFixed(1)} s, ${k.ok} verified, ${k.refused} refused`);
  return { ...t, durationSec, kids: [...kids] };
}

/**
 * A relying party that alternates between two instances for every step: the code comes from one
 * and is redeemed at the other, the access token is checked at both userinfo endpoints and at
 * the resource server, and the refresh token is rotated at the first one.
 */
async function instances(job: InstancesJob): Promise<FlowResult> {
  const t: Tally = { flows: 0, requests: 0, errors: 0, failedValidations: 0, samples: [] };
  const step = async (what: string, run: () => Promise<Response>, ok: (status: number, body: string) => boolean): Promise<string | undefined> => {
    t.requests++;
    try {
      const res = await run();
      const text = await res.text();
      if (ok(res.status, text)) return text || res.headers.get('location') || '';
      t.errors++;
      note(t, `${what}: ${res.status} ${text.slice(0, 200)}`);
    } catch (e) {
      t.errors++;
      note(t, `${what}: ${(e as Error).message}`);
    }
    return undefined;
  };
  const userinfo = (base: string, token: string, sub: string) =>
    step(`userinfo at ${base}`, () => fetch(`${base}/userinfo`, { headers: { authorization: `Bearer ${token}` } }), (s, b) => s === 200 && (JSON.parse(b) as { sub?: string }).sub === sub);

  const durationSec = await loops(job.concurrency, job.durationSec, async (i) => {
    const a = job.instances[i % job.instances.length]!;
    const b = job.instances[(i + 1) % job.instances.length]!;
    const path = authorizePath({ clientId: job.clientId, redirectUri: job.redirectUri, scope: 'openid profile email offline_access', challenge: job.pkce.challenge });
    t.requests++;
    let code: string | null = null;
    try {
      const res = await fetch(a + path, { headers: { cookie: job.cookie }, redirect: 'manual' });
      await res.arrayBuffer();
      code = res.status === 302 || res.status === 303 ? new URL(res.headers.get('location')!).searchParams.get('code') : null;
      if (!code) throw new Error(`no code: ${res.status} ${res.headers.get('location')}`);
    } catch (e) {
      t.errors++;
      note(t, `authorize at ${a}: ${(e as Error).message}`);
      return;
    }
    const tokenAt = (base: string, fields: Record<string, string>) => () => fetch(`${base}/token`, { method: 'POST', headers: { 'content-type': FORM, authorization: job.authorization }, body: form(fields) });
    const exchanged = await step(`code from ${a} redeemed at ${b}`, tokenAt(b, { grant_type: 'authorization_code', code, redirect_uri: job.redirectUri, code_verifier: job.pkce.verifier }), (s) => s === 200);
    if (exchanged === undefined) return;
    const tokens = JSON.parse(exchanged) as { access_token: string; refresh_token: string; id_token: string };
    const sub = (JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString()) as { sub: string }).sub;
    let good = true;
    for (const base of job.instances) good = (await userinfo(base, tokens.access_token, sub)) !== undefined && good;
    good = (await step('resource server', () => fetch(job.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.access_token}` }, body: JSON.stringify({ query: '{ me }' }) }), (s, body) => s === 200 && (JSON.parse(body) as { data?: { me?: string } }).data?.me === sub)) !== undefined && good;
    const refreshed = await step(`refresh at ${a}`, tokenAt(a, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }), (s) => s === 200);
    if (refreshed === undefined) return;
    const next = JSON.parse(refreshed) as { access_token: string };
    good = (await userinfo(b, next.access_token, sub)) !== undefined && good;
    if (good) t.flows++;
  });
  return { ...t, durationSec };
}

export function runFlow(job: RotationJob | InstancesJob): Promise<FlowResult> {
  return job.kind === 'rotation' ? rotation(job) : instances(job);
}
