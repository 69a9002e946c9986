/**
 * The provider of a fuzz test file: started before the file's tests and closed after them
 * (statuses printed with FUZZ_STATS=1). Requests are built on its issuer with its real client
 * ids and secrets at hand, and checked against its redirect policy and its database (∅DB).
 */
import { afterAll, beforeAll } from 'vitest';
import { startFuzzProvider, type FuzzProvider } from './fixtures.js';
import { assertResponse, type Observed } from './support/checker.js';
import { printStats, probe, type FuzzRequest, type ProbeOptions } from './support/http.js';
import { buildRequest, type RequestParts } from './support/request.js';

export interface ProviderRequestParts extends Omit<RequestParts, 'base' | 'pool'> {
  /** Tokens the header plan may put in Authorization. */
  tokens?: readonly string[];
}

export interface ProviderHarness {
  /** A request to the provider; the header plan picks among its client ids and secrets and `tokens`. */
  build(parts: ProviderRequestParts): FuzzRequest;
  /** Sends and checks the response, and ∅DB for a rejection. */
  check(req: FuzzRequest, options?: Omit<ProbeOptions, 'db'>): Promise<Observed>;
  /** A token was accepted: the request must have carried a genuine one (issued or signed by the provider). */
  expectGenuine(req: FuzzRequest, res: Observed, genuine: readonly string[], what: string): void;
}

/** Starts the provider in beforeAll (`env` adds settings) and hands it to `onStart`; closes it in afterAll. */
export function useFuzzProvider(statsTitle: string, onStart: (fx: FuzzProvider) => void, env: Record<string, string> = {}): ProviderHarness {
  let started: FuzzProvider | undefined;
  beforeAll(async () => {
    started = await startFuzzProvider(env);
    onStart(started);
  });
  afterAll(async () => {
    printStats(statsTitle);
    await started?.close();
  });
  const fx = (): FuzzProvider => {
    if (!started) throw new Error('the fuzz provider is not running (requests are built in tests only)');
    return started;
  };
  return {
    build({ tokens, ...parts }) {
      return buildRequest({ ...parts, base: fx().p.issuer, pool: { ids: fx().ids, secrets: fx().secrets, tokens: tokens ?? [] } });
    },
    check(req, options = {}) {
      return probe(req, fx().policyFor(req), { db: fx().db, ...options });
    },
    expectGenuine(req, res, genuine, what) {
      const text = `${req.url}\n${JSON.stringify(req.headers)}\n${typeof req.body === 'string' ? req.body : req.body ? Buffer.from(req.body).toString('utf8') : ''}`;
      if (!genuine.some((t) => t && (text.includes(t) || text.includes(encodeURIComponent(t))))) {
        assertResponse({ ...res, status: 599 }, fx().policyFor(req), { forgedTokenAccepted: what, request: req });
      }
    },
  };
}
