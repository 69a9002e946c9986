/**
 * Scenarios 6 and 7: correctness under load rather than speed.
 *
 * Rotation: a provider whose signing key changes every 10 s (published 3 s ahead) issues tokens
 * continuously, and a resource server with default settings (the Apollo plugin, i.e.
 * RemoteIssuer) verifies each one at once. Every refusal is a failed validation.
 *
 * Two instances: a second provider process on the ES256 database, same issuer; a relying party
 * alternates between them at every step (see lib/flows.ts). Every unexpected answer is an error.
 */
import { CLK_TCK, cpuSnapshot, peakRssKb } from '../lib/proc.js';
import type { ScenarioResult } from '../lib/measure.js';
import { queryMe, tokenRequest } from '../lib/http.js';
import { assert } from '../lib/verify.js';
import type { Scenario } from './types.js';

export const rotation: Scenario = {
  id: 'rotation',
  title: 'key rotation under load (EXPIRATION 10 s, PREPUBLISH 3 s)',
  prepare: (env) => [env.rotatingProvider(), env.rotationResourceServer()],
  async run(env) {
    const [p, rs] = await Promise.all([env.rotatingProvider(), env.rotationResourceServer()]);
    // Sample check: one token, verified by the resource server.
    const sample = await tokenRequest(p.issuer, p.ccAuthorization, { grant_type: 'client_credentials', scope: 'api' });
    const me = await queryMe(rs.url, sample.access_token);
    assert(me.status === 200 && typeof me.body.data?.me === 'string', `resource server refused a fresh token: ${me.status} ${JSON.stringify(me.body)}`);
    const pids = [p.server.pid, rs.pid];
    const before = cpuSnapshot(pids);
    const r = await env.loader.run({ kind: 'rotation', providerUrl: p.issuer, authorization: p.ccAuthorization, graphqlUrl: rs.url, durationSec: env.config.rotationSec, concurrency: 8 });
    const after = cpuSnapshot(pids);
    const notes = [
      `${r.kids?.length ?? 0} signing keys seen in ${r.durationSec.toFixed(0)} s; provider ${((after[p.server.pid]! - before[p.server.pid]!) / CLK_TCK).toFixed(1)} CPU-s, resource server ${((after[rs.pid]! - before[rs.pid]!) / CLK_TCK).toFixed(1)} CPU-s; peak RSS ${(peakRssKb(p.server.pid) / 1024).toFixed(0)} / ${(peakRssKb(rs.pid) / 1024).toFixed(0)} MB`,
      ...r.samples.map((x) => (x.startsWith('kid ') ? x : `sample failure: ${x}`)),
    ];
    if ((r.kids?.length ?? 0) < 2) notes.push('the key did not rotate during the run: the scenario proved nothing');
    const result: ScenarioResult = {
      id: this.id,
      title: this.title,
      // Refusals are non-2xx answers too: the scenario fails with them, and so does a run without a rotation.
      status: r.errors || r.failedValidations || (r.kids?.length ?? 0) < 2 ? 'FAILED' : 'ok',
      flow: { flows: r.flows, requests: r.requests, durationSec: r.durationSec, errors: r.errors, failedValidations: r.failedValidations, samples: r.samples, kids: r.kids },
      target: { text: '0 failed validations', value: r.failedValidations, pass: r.failedValidations === 0 },
      notes,
    };
    return result;
  },
};

export const instances: Scenario = {
  id: 'instances',
  title: 'two provider instances on one database, round-robin client',
  prepare: (env) => [env.secondInstance(), env.relyingParty(), env.pluginApollo('ES256', env.config.missCacheSize)],
  async run(env) {
    const [first, second, rp, rs] = await Promise.all([env.provider('ES256'), env.secondInstance(), env.relyingParty(), env.pluginApollo('ES256', env.config.missCacheSize)]);
    const r = await env.loader.run({
      kind: 'instances',
      instances: [first.server.url, second.url],
      cookie: rp.jar.header(),
      clientId: rp.clientId,
      authorization: rp.authorization,
      redirectUri: rp.redirectUri,
      pkce: rp.pkce,
      graphqlUrl: rs.url,
      durationSec: env.config.instancesSec,
      concurrency: 4,
    });
    const notes = [`${r.flows} complete round trips (${r.requests} requests) in ${r.durationSec.toFixed(1)} s`, ...r.samples.slice(0, 5).map((x) => `sample error: ${x}`)];
    return {
      id: this.id,
      title: this.title,
      status: r.errors || r.flows === 0 ? 'FAILED' : 'ok',
      flow: { flows: r.flows, requests: r.requests, durationSec: r.durationSec, errors: r.errors, failedValidations: r.failedValidations, samples: r.samples },
      target: { text: '0 errors', value: r.errors, pass: r.errors === 0 },
      notes,
    };
  },
};
