/**
 * The plans of the hot statements on big tables: the test database is filled with 100 000 rows
 * or more per large table (generate_series, then ANALYZE), the real code paths run — sign-in,
 * code redemption, refresh, userinfo, introspection, revocation, the administration's searches
 * and lists, the account page, the audit log, logout — and every statement they send to
 * PostgreSQL is recorded (a hook on the driver) and explained (EXPLAIN (FORMAT JSON), with the
 * values it was sent with). None may read a large table from end to end (a `Seq Scan`), and the
 * searches must use their trigram and prefix indexes by name (docs/OPERATIONS.md "Search indexes").
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_EXPIRING_TABLES } from '../../src/provider/stores/expiring-tables.js';
import { adminUserTokens, gql, tokenRequest, tokensFor, type TestProvider, startProvider } from '../support/provider.js';

/** Rows per large table; half as many in the tables of rarer things (pending requests, factors, one-time tokens). */
const N = 100_000;

/** The tables that grow with users and traffic; a small one (keys, resources) may be read whole. */
const LARGE = new Set(['users', 'clients', 'grants', 'authorization_codes', 'refresh_tokens', 'revoked_tokens', 'sessions', 'consents', 'failure_events', 'audit_events', 'interactions', 'pushed_authorization_requests', 'device_requests', 'dpop_proofs', 'client_assertions', 'initial_access_tokens', 'account_tokens', 'user_factors', 'recovery_codes']);

interface Statement {
  text: string;
  values: unknown[];
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

// Every statement the service sends while `recording` is on: the driver's query method, wrapped.
let recording = false;
const recorded: Statement[] = [];
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, config: unknown, values?: unknown, ...rest: unknown[]) {
  if (recording) {
    const text = typeof config === 'string' ? config : (config as { text?: string })?.text;
    const params = typeof config === 'object' && config !== null && 'values' in config ? (config as { values?: unknown[] }).values : Array.isArray(values) ? values : [];
    if (typeof text === 'string') recorded.push({ text, values: params ?? [] });
  }
  return (query as (...args: unknown[]) => unknown).call(this, config, values, ...rest);
} as typeof query;

/** Transaction control and signalling: nothing to plan. */
const UNPLANNED = /^\s*(begin|commit|rollback|savepoint|release|set\s|show\s|listen|unlisten|start transaction|select pg_notify|select pg_advisory|select pg_try_advisory|select 1\s*$|select current_|select version\(\))/i;

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

let p: TestProvider;
let db: pg.Client;
let admin: Awaited<ReturnType<typeof adminUserTokens>>;
let member: { id: string; username: string; password: string };
let app: { clientId: string; clientSecret?: string; redirectUri: string };
let discovery: Record<string, string>;

async function explain(s: Statement): Promise<PlanNode> {
  const { rows } = await db.query(`explain (format json) ${s.text}`, s.values as unknown[]);
  return (rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan;
}

/** What `run` sends to PostgreSQL, each statement with its plan (at least one statement). */
async function plansOf(run: () => Promise<unknown>): Promise<{ statement: Statement; plan: PlanNode }[]> {
  recorded.length = 0;
  recording = true;
  try {
    await run();
  } finally {
    recording = false;
  }
  const statements = recorded.splice(0).filter((s) => !UNPLANNED.test(s.text));
  expect(statements.length, 'the path sent no statement').toBeGreaterThan(0);
  return Promise.all(statements.map(async (statement) => ({ statement, plan: await explain(statement) })));
}

/** The large tables each statement reads whole: none, when every plan uses an index. */
function seqScans(plans: { statement: Statement; plan: PlanNode }[]): string[] {
  return plans.flatMap(({ statement, plan }) =>
    nodes(plan)
      .filter((n) => n['Node Type'] === 'Seq Scan' && LARGE.has(n['Relation Name'] ?? ''))
      .map((n) => `${n['Relation Name']}: ${statement.text.replace(/\s+/g, ' ').slice(0, 300)}`),
  );
}

const indexesUsed = (plans: { plan: PlanNode }[]) => new Set(plans.flatMap(({ plan }) => nodes(plan).map((n) => n['Index Name']).filter(Boolean)));

beforeAll(async () => {
  p = await startProvider();
  member = await p.createUser({ givenName: 'Quixote', familyName: 'de la Mancha', email: 'alonso@la-mancha.example' });
  app = await p.createClient({ name: 'Zanzibar Books' });
  admin = await adminUserTokens(p);
  discovery = (await (await fetch(`${p.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
  db = new pg.Client({ connectionString: p.databaseUrl });
  await db.connect();
  await fill(p.databaseUrl);
}, 180_000);

afterAll(async () => {
  pg.Client.prototype.query = query;
  await db?.end();
  await p?.close();
});

/**
 * The bulk: users and clients with names to search, grants with their codes and refresh tokens,
 * sessions, consents, throttling's failures, audit events and every table housekeeping sweeps.
 * Their rows live in the future (nothing is swept meanwhile), and hang off bulk users and a
 * thousand bulk clients.
 */
async function fill(url: string): Promise<void> {
  const user = (i: string) => `md5('u' || (${i}))::uuid::text`;
  const client = (i: string) => `'bulk-client-' || (1 + (${i}) % 1000)`;
  const later = `now() + interval '1 day' + (i % 1000) * interval '1 minute'`;
  const M = N / 2;
  // On three connections at once: users and clients, then what refers to them, then what refers to grants.
  const parents = [
    `insert into users (id, username, email, given_name, family_name, password_hash)
    select ${user('i')}, 'member' || i || '-' || substr(md5(i::text), 1, 6), 'member' || i || '@' || (array['example.com', 'corp.example', 'mail.test'])[1 + i % 3],
           (array['Anna', 'Bert', 'Chloé', 'Dmitri', 'Eve', 'Fatima', 'Gao', 'Hiro'])[1 + i % 8], 'Family' || md5((i * 7)::text), null
    from generate_series(1, ${N}) i`,
    `insert into clients (id, name, redirect_uris) select 'bulk-client-' || i, 'Bulk application ' || i, '["https://rp.example/cb"]'::jsonb from generate_series(1, ${N}) i`,
  ];
  const children = [
    `insert into grants (id, client_id, user_id, scope, auth_time, sid, refresh_count, created_at, expires_at)
    select md5('g' || i)::uuid, ${client('i')}, ${user('1 + i % ' + N)}, 'openid profile offline_access', now(), 'bulk-sid-' || i, 0, now() - i * interval '1 second', ${later}
    from generate_series(1, ${N}) i`,
    `insert into revoked_tokens (jti, expires_at) select md5('j' || i), ${later} from generate_series(1, ${N}) i`,
    `insert into sessions (id_hash, sid, user_id, auth_time, created_at, expires_at)
    select md5('s' || i), 'bulk-session-' || i, ${user('1 + i % ' + N)}, now(), now(), ${later} from generate_series(1, ${N}) i`,
    `insert into consents (user_id, client_id, scopes) select ${user('i')}, ${client('i')}, '["openid"]'::jsonb from generate_series(1, ${N}) i`,
    `insert into failure_events (key, created_at, expires_at, pending) select 'account:member' || (i % 20000), now(), ${later}, false from generate_series(1, ${N}) i`,
    `insert into audit_events (id, time, event, outcome, actor, client, message, instance, details, expires_at)
    select md5('a' || i)::uuid, now() - i * interval '1 second', (array['login.succeeded', 'token.issued', 'token.refreshed'])[1 + i % 3], 'success', ${user('1 + i % ' + N)}, ${client('i')}, 'bulk', 'bulk', '{}'::jsonb, ${later}
    from generate_series(1, ${N}) i`,
    `insert into interactions (uid, cookie_hash, csrf_hash, request, expires_at) select 'bulk-' || i, md5('ic' || i), md5('is' || i), '{}'::jsonb, ${later} from generate_series(1, ${M}) i`,
    `insert into pushed_authorization_requests (uri_hash, client_id, params, expires_at) select md5('p' || i), ${client('i')}, '{}'::jsonb, ${later} from generate_series(1, ${M}) i`,
    `insert into device_requests (device_hash, user_code, client_id, scope, poll_interval, expires_at) select md5('d' || i), lpad(i::text, 8, '0'), ${client('i')}, 'openid', 5, ${later} from generate_series(1, ${M}) i`,
    `insert into dpop_proofs (key, expires_at) select md5('k' || i), ${later} from generate_series(1, ${M}) i`,
    `insert into client_assertions (client_id, jti, expires_at) select ${client('i')}, md5('ca' || i), ${later} from generate_series(1, ${M}) i`,
    `insert into initial_access_tokens (token_hash, remaining_uses, expires_at) select md5('it' || i), 1, ${later} from generate_series(1, ${M}) i`,
    `insert into account_tokens (digest, kind, user_id, created_at, expires_at) select md5('at' || i), 'password-reset', ${user('i')}, now(), ${later} from generate_series(1, ${M}) i`,
    `insert into user_factors (id, user_id, kind, name, created_at) select md5('f' || i)::uuid, ${user('i')}, 'totp', 'phone', now() from generate_series(1, ${M}) i`,
    `insert into recovery_codes (digest, user_id, created_at) select md5('rc' || i), ${user('1 + i % ' + N)}, now() from generate_series(1, ${M}) i`,
  ];
  const grandchildren = [
    `insert into authorization_codes (code_hash, grant_id, client_id, scope, expires_at, consumed_at)
    select md5('c' || i), md5('g' || i)::uuid, ${client('i')}, 'openid', ${later}, now() from generate_series(1, ${N}) i`,
    `insert into refresh_tokens (token_hash, grant_id, client_id, scope, expires_at, rotated_at, created_at)
    select md5('r' || i), md5('g' || (1 + i % ${N}))::uuid, ${client('i')}, 'openid', ${later}, case when i % 2 = 0 then now() end, now() from generate_series(1, ${N}) i`,
  ];
  const connections = await Promise.all([0, 1, 2].map(async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    return c;
  }));
  try {
    for (const stage of [parents, children, grandchildren]) {
      const queue = [...stage];
      await Promise.all(connections.map(async (c) => {
        for (let text = queue.shift(); text; text = queue.shift()) await c.query(text);
      }));
    }
    await connections[0]!.query('analyze');
  } finally {
    await Promise.all(connections.map((c) => c.end()));
  }
}

describe('EXPLAIN of the hot statements on large tables', () => {
  it('would notice a sequential scan (the check itself can fail)', async () => {
    const plans = await plansOf(() => p.db.orm.em.getConnection().execute('select id from users where picture = ?', ['https://nowhere.example/a.png']));
    expect(seqScans(plans)).toEqual([expect.stringContaining('users: select id from users where picture')]);
  });

  describe('the token flows', () => {
    let tokens: Awaited<ReturnType<typeof tokensFor>>;

    it('sign-in, consent and code redemption (sessions, interactions, throttling, consents, codes, grants)', async () => {
      const plans = await plansOf(async () => (tokens = await tokensFor(p, app, member)));
      expect(seqScans(plans)).toEqual([]);
    });

    it('refresh token lookup and rotation', async () => {
      const plans = await plansOf(async () => {
        const res = await tokenRequest(p, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, app);
        expect(res.status).toBe(200);
        tokens = { ...tokens, ...((await res.json()) as typeof tokens) };
      });
      expect(seqScans(plans)).toEqual([]);
      expect(indexesUsed(plans)).toContain('refresh_tokens_pkey');
    });

    it("userinfo's user lookup and the access token's checks", async () => {
      const plans = await plansOf(async () => {
        const res = await fetch(discovery.userinfo_endpoint!, { headers: { authorization: `Bearer ${tokens.access_token}` } });
        expect(res.status).toBe(200);
      });
      expect(seqScans(plans)).toEqual([]);
    });

    it('introspection of an access and a refresh token', async () => {
      const plans = await plansOf(async () => {
        for (const token of [tokens.access_token, tokens.refresh_token!]) {
          const res = await fetch(discovery.introspection_endpoint!, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }) });
          expect(((await res.json()) as { active: boolean }).active).toBe(true);
        }
      });
      expect(seqScans(plans)).toEqual([]);
    });

    it('revocation of an access and a refresh token', async () => {
      const plans = await plansOf(async () => {
        for (const [token, hint] of [[tokens.access_token, 'access_token'], [tokens.refresh_token!, 'refresh_token']] as const) {
          const res = await fetch(discovery.revocation_endpoint!, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token, token_type_hint: hint }) });
          expect(res.status).toBe(200);
        }
      });
      expect(seqScans(plans)).toEqual([]);
      expect(indexesUsed(plans)).toContain('revoked_tokens_pkey');
    });

    it("logout's revocation of a session's grants, and a session ended by its sid", async () => {
      const plans = await plansOf(async () => {
        await p.provider!.grants.revokeBySession('bulk-sid-17');
        await p.provider!.sessions.endBySid('bulk-session-17');
      });
      expect(seqScans(plans)).toEqual([]);
      expect(indexesUsed(plans)).toContain('grants_sid_index');
    });
  });

  describe('the administration', () => {
    const search = (kind: 'users' | 'clients', term: string) => async () => {
      const res = await gql(p, `query($s: String) { ${kind}(first: 20, search: $s) { edges { node { id } } } }`, { s: term }, admin.tokens.access_token);
      expect(res.body.errors).toBeUndefined();
      return res.body.data[kind].edges as { node: { id: string } }[];
    };

    it.each([
      ['a long rare term', 'quixot', 'users_given_name_trgm'],
      ['a long term in an address', 'la-manch', 'users_email_trgm'],
      ['a short rare term', 'Qu', 'users_given_name_prefix'],
    ])('users(search:) with %s uses the search indexes (%s → %s)', async (_, term, index) => {
      let found: { node: { id: string } }[] = [];
      const plans = await plansOf(async () => (found = await search('users', term)()));
      expect(found.map((e) => e.node.id)).toEqual([member.id]);
      expect(seqScans(plans)).toEqual([]);
      expect(indexesUsed(plans)).toContain(index);
    });

    it.each([['a long term', 'zanzib', 'clients_name_trgm'], ['a short term', 'za', 'clients_name_prefix']])('clients(search:) with %s uses the search indexes (%s → %s)', async (_, term, index) => {
      let found: { node: { id: string } }[] = [];
      const plans = await plansOf(async () => (found = await search('clients', term)()));
      expect(found.map((e) => e.node.id)).toEqual([app.clientId]);
      expect(seqScans(plans)).toEqual([]);
      expect(indexesUsed(plans)).toContain(index);
    });

    // A term most rows match: the planner walks the order's index and stops at the page's end
    // (src/users/user-service.ts listUsers) instead of sorting every match.
    it.each([
      ['users', 'member', 'users_username_unique'],
      ['users', 'me', 'users_username_unique'],
      ['clients', 'bulk', 'clients_pkey'],
      ['clients', 'bu', 'clients_pkey'],
    ] as const)('%s(search:) with the common term %s walks the order\'s index (%s), reading no table whole', async (kind, term, index) => {
      let found: unknown[] = [];
      const plans = await plansOf(async () => (found = await search(kind, term)()));
      expect(found).toHaveLength(20);
      expect(seqScans(plans)).toEqual([]);
      expect(indexesUsed(plans)).toContain(index);
    });

    it("a user's and a client's grants, a user's sessions", async () => {
      const plans = await plansOf(async () => {
        const res = await gql(
          p,
          `query($u: ID!, $c: ID) { byUser: grants(userId: $u) { id } byClient: grants(clientId: $c) { id } sessions(userId: $u) { id } }`,
          { u: member.id, c: 'bulk-client-7' },
          admin.tokens.access_token,
        );
        expect(res.body.errors).toBeUndefined();
        expect(res.body.data.byClient.length).toBeGreaterThan(0);
      });
      expect(seqScans(plans)).toEqual([]);
    });

    it('the audit log, all of it and filtered', async () => {
      const plans = await plansOf(async () => {
        const res = await gql(
          p,
          `query($a: String) { all: auditEvents(first: 20) { edges { node { id } } } mine: auditEvents(first: 20, filter: { actor: $a }) { edges { node { id } } } }`,
          { a: member.id },
          admin.tokens.access_token,
        );
        expect(res.body.errors).toBeUndefined();
      });
      expect(seqScans(plans)).toEqual([]);
    });
  });

  it("the account page: the user's sessions, consents and grants", async () => {
    const plans = await plansOf(async () => {
      await p.provider!.sessions.listOfUser(member.id);
      await p.provider!.consents.listOfUser(member.id);
      await p.provider!.grants.summaryOfUser(member.id);
      await p.provider!.consents.granted(member.id, app.clientId);
    });
    expect(seqScans(plans)).toEqual([]);
  });

  it("housekeeping's pass, as it runs (its batched deletes and its sweeps)", async () => {
    const plans = await plansOf(() => p.housekeeping!.run());
    expect(seqScans(plans)).toEqual([]);
  });

  it.each(PROVIDER_EXPIRING_TABLES.map((t) => [t]))("housekeeping's delete of expired %s goes through its expires_at index", async (table) => {
    const plan = await explain({ text: `delete from ${table} where expires_at < $1`, values: [new Date()] });
    expect(seqScans([{ statement: { text: table, values: [] }, plan }])).toEqual([]);
    expect(nodes(plan).map((n) => n['Index Name'])).toContain(`${table}_expires_at_index`);
  });
});
