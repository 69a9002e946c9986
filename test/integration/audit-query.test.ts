/**
 * The audit events kept in PostgreSQL (src/audit-store.ts) and the `auditEvents` query: events of
 * two instances on one database, newest first, filtered, a page at a time; refusals for bad
 * input and for callers without admin rights; the retention (AUDIT_RETENTION) swept by the
 * housekeeping with instance A's injected clock; AUDIT_RETENTION=0 keeps none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientToken, gql, startPair, startProvider, type TestProvider } from '../support/provider.js';
import { until } from '../support/graphql-ws.js';

/** A minute: short enough to sweep in a test with the clock moved forward. */
const RETENTION = 60;

let skewA = 0;
let a: TestProvider;
let b: TestProvider;
let automation: { clientId: string; clientSecret?: string };
let adminToken: string;

beforeAll(async () => {
  [a, b] = await startPair({ JWT_OIDC_AUDIT_RETENTION: String(RETENTION) }, { clock: { now: () => Date.now() + skewA } });
  automation = await a.createClient({ name: 'Automation', grantTypes: ['client_credentials'], admin: true });
  adminToken = await clientToken(a, automation, 'admin');
}, 120_000);

afterAll(async () => {
  await b?.close();
  await a?.close();
});

const PAGE = 'edges { cursor node { id time event outcome actor client ip message instance details } } pageInfo { hasNextPage endCursor }';

/** Fewer fields for long pages: the query cost limit counts `first` times the fields. */
const SHORT = 'edges { node { id time instance } } pageInfo { hasNextPage endCursor }';

async function page(on: TestProvider, args: string, token = adminToken, fields = PAGE) {
  const r = await gql(on, `{ auditEvents${args ? `(${args})` : ''} { ${fields} } }`, undefined, token);
  return r;
}

const wrongSecret = (on: TestProvider, clientId: string) =>
  fetch(`${on.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:wrong-secret-value`).toString('base64')}` }, body: 'grant_type=client_credentials' });

describe('the auditEvents query', () => {
  it("holds the events of both instances, newest first, never a secret; filtered by type and client", async () => {
    const job = await a.createClient({ name: 'Job', grantTypes: ['client_credentials'] });
    await wrongSecret(b, job.clientId);
    await clientToken(a, job);
    let refused: any;
    await until('the refusal, kept', () => refused?.body.data?.auditEvents.edges.length > 0, async () => (refused = await page(a, 'filter: { types: ["token.refused"] }, first: 5')));
    const event = refused.body.data.auditEvents.edges[0].node;
    expect(event).toMatchObject({ event: 'token.refused', outcome: 'refused', details: { error: 'invalid_client', grantType: 'client_credentials' } });
    expect(JSON.stringify(refused.body)).not.toContain('wrong-secret-value');

    let issued: any;
    await until('the issuance, kept', () => issued?.body.data?.auditEvents.edges.length > 0, async () => (issued = await page(a, `filter: { types: ["token.issued"], client: "${job.clientId}" }`)));
    expect(issued.body.data.auditEvents.edges.map((e: any) => e.node)).toEqual([expect.objectContaining({ event: 'token.issued', client: job.clientId, actor: job.clientId })]);
    // Two instances wrote them: each names its own.
    const all = (await page(a, 'first: 100', adminToken, SHORT)).body.data.auditEvents.edges.map((e: any) => e.node);
    expect(new Set(all.map((n: any) => n.instance)).size).toBe(2);
    const times = all.map((n: any) => Date.parse(n.time));
    expect(times).toEqual([...times].sort((x, y) => y - x));
  });

  it('pages through the past without gaps or repeats; since and until bound the time', async () => {
    const job = await a.createClient({ name: 'Paged job', grantTypes: ['client_credentials'] });
    const from = new Date();
    for (let i = 0; i < 25; i++) await clientToken(i % 2 ? a : b, job);
    const filter = `filter: { client: "${job.clientId}", types: ["token.issued"] }`;
    let firstPage: any;
    await until('all 25', () => firstPage && countOf(firstPage) === 25, async () => (firstPage = await page(a, `${filter}, first: 100`, adminToken, SHORT)));
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const r: any = await page(a, `${filter}, first: 10${after ? `, after: "${after}"` : ''}`, adminToken, SHORT);
      expect(r.body.errors, r.text).toBeUndefined();
      const conn = r.body.data.auditEvents;
      seen.push(...conn.edges.map((e: any) => e.node.id));
      after = conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(seen).toEqual(firstPage.body.data.auditEvents.edges.map((e: any) => e.node.id));

    expect(countOf(await page(a, `filter: { client: "${job.clientId}", since: "${from.toISOString()}" }, first: 100`, adminToken, SHORT))).toBe(25);
    expect(countOf(await page(a, `filter: { client: "${job.clientId}", until: "${from.toISOString()}" }, first: 100`, adminToken, SHORT))).toBe(0);
  });

  it('bad input is BAD_USER_INPUT naming the field; a caller without admin rights is FORBIDDEN', async () => {
    const unknown = await page(a, 'filter: { types: ["nope"] }');
    expect(unknown.body.errors[0]).toMatchObject({ message: expect.stringMatching(/^unknown audit event types: nope; known: /), extensions: { code: 'BAD_USER_INPUT', field: 'filter.types' } });
    const cursor = await page(a, 'after: "bm90LWEtY3Vyc29y"');
    expect(cursor.body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
    // A cursor of this list whose position is not a time and an id.
    const forged = Buffer.from('auditEvents:yesterday').toString('base64url');
    expect((await page(a, `after: "${forged}"`)).body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
    expect((await page(a, 'first: 500')).body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });

    const plain = await a.createClient({ name: 'Plain', grantTypes: ['client_credentials'] });
    const forbidden = await page(a, '', await clientToken(a, plain));
    expect(forbidden.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(forbidden.body.data).toBeNull();
  });

  it('the housekeeping deletes events once AUDIT_RETENTION has passed', async () => {
    const job = await a.createClient({ name: 'Swept job', grantTypes: ['client_credentials'] });
    await clientToken(a, job);
    let kept: any;
    await until('the event', () => kept && countOf(kept) === 1, async () => (kept = await page(a, `filter: { client: "${job.clientId}" }`)));
    await a.housekeeping!.run();
    expect(countOf(await page(a, `filter: { client: "${job.clientId}" }`))).toBe(1);
    skewA = (RETENTION + 5) * 1000;
    try {
      const swept = await a.housekeeping!.run();
      expect(swept.audit_events).toBeGreaterThan(0);
    } finally {
      skewA = 0;
    }
    expect(countOf(await page(a, `filter: { client: "${job.clientId}" }`))).toBe(0);
  });
});

describe('AUDIT_RETENTION=0', () => {
  it('keeps no events (the log and the live stream still have them)', async () => {
    const c = await startProvider({ JWT_OIDC_AUDIT_RETENTION: '0' });
    try {
      const admin = await c.createClient({ name: 'Automation', grantTypes: ['client_credentials'], admin: true });
      const token = await clientToken(c, admin, 'admin');
      await clientToken(c, admin, 'admin');
      await new Promise((r) => setTimeout(r, 300));
      expect(countOf(await page(c, 'first: 100', token, SHORT))).toBe(0);
    } finally {
      await c.close();
    }
  });
});

function countOf(r: { body: { data?: any } }): number {
  return r.body.data?.auditEvents?.edges.length ?? -1;
}
