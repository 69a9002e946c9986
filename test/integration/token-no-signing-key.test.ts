/**
 * The token endpoint when no key may sign (the clock before every key's activation, as after a
 * restore from an older backup, or between a retirement and the next key): 503 with Retry-After
 * and OAuth's `temporarily_unavailable`, never a 500 — the request was good, the service will be.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clientToken, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';

let offset = 0;
const clock = { now: () => Date.now() + offset };
let p: TestProvider;

beforeAll(async () => {
  p = await startProvider({}, { clock });
}, 120_000);
afterAll(() => p?.close());

it('answers 503 temporarily_unavailable with Retry-After while no key is active, and tokens again once one is', async () => {
  const client = await p.createClient({ grantTypes: ['client_credentials'] });
  expect(await clientToken(p, client)).toBeTruthy();
  offset = -3600_000;
  try {
    const res = await tokenRequest(p, { grant_type: 'client_credentials' }, client);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await res.json()).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
  } finally {
    offset = 0;
  }
  expect(await clientToken(p, client)).toBeTruthy();
});
