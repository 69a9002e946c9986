/**
 * Fuzzing the provider's /graphql: documents built from the schema's own fields with random
 * arguments (real ids among them), aliases, fragments, directives and variables, then mutated as
 * text; sent as POST JSON, batches, GET, odd content types and broken bodies; with no token, real
 * tokens (a user's, an administrator's, a machine's) and mutated ones. Destructive mutations only
 * ever name "victim" rows, re-created when gone, so the fixtures survive. Every response passes
 * the properties of support/checker.ts; on top: no INTERNAL_SERVER_ERROR, and `me` never answers for a
 * forged token.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { cached, startFuzzProvider, type FuzzProvider } from './fixtures.js';
import { assertResponse, type Observed } from './support/checker.js';
import { applyHeaders, headerPlan } from './support/headers.js';
import { printStats, probe, type FuzzRequest } from './support/http.js';
import { applyJwtRecipe, jwtRecipe, type Mutant } from './support/jwt.js';
import { focus, focused, mutations } from './support/mutators.js';
import { fuzzParams, timeoutFor } from './support/settings.js';
import { junk, NASTY, uriVariant } from './support/values.js';

let fx: FuzzProvider;
let root: { id: string; username: string };
const victims = { user: '', client: '', grant: '', session: '' };

beforeAll(async () => {
  fx = await startFuzzProvider({ JWT_OIDC_GRAPHQL_INTROSPECTION: 'true' });
  root = await fx.p.createUser({ username: 'root', admin: true });
});
afterAll(async () => {
  printStats('graphql: statuses');
  await fx?.close();
});

/** Rows the fuzzer may delete, disable or rotate: made again when a case destroyed them. */
async function ensureVictims(): Promise<void> {
  const em = fx.ctx.orm.em.fork();
  const conn = em.getConnection();
  const [user] = await conn.execute<{ id: string }[]>('select id from users where id = ? and active', [victims.user || '00000000-0000-0000-0000-000000000000']);
  if (!user) {
    await conn.execute('delete from users where username = ?', ['victim']);
    victims.user = (await fx.p.createUser({ username: 'victim' })).id;
    victims.grant = victims.session = '';
  }
  if (!victims.client || !(await fx.ctx.clients.get(victims.client))) {
    await conn.execute('delete from clients where id = ?', ['fuzz-victim']);
    victims.client = (await fx.p.createClient({ id: 'fuzz-victim', name: 'Victim', redirectUris: ['https://victim.example/cb'], firstParty: true })).clientId;
    victims.grant = '';
  }
  if (!victims.grant) {
    const cookie = await fx.sessionCookie(victims.user);
    const { access_token } = await fx.mintTokens('conf', { scope: 'openid profile' }, cookie);
    victims.grant = String(JSON.parse(Buffer.from(access_token.split('.')[1]!, 'base64url').toString()).grant_id);
    const [row] = await conn.execute<{ sid: string }[]>('select sid from sessions where user_id = ? order by created_at desc limit 1', [victims.user]);
    victims.session = row?.sid ?? '';
  }
}

// ---- documents --------------------------------------------------------------------------------

type ArgKind = 'id' | 'readId' | 'victimUser' | 'victimClient' | 'challenge' | 'string' | 'int' | 'bool' | 'strings' | 'clientInput' | 'userInput' | 'userUpdate' | 'meInput' | 'oauthError';
interface FieldDef {
  args: Record<string, ArgKind>;
  /** GraphQL input type of each argument, for variable definitions. */
  types: Record<string, string>;
  sel: string;
}

const Q: Record<string, FieldDef> = {
  serverInfo: { args: {}, types: {}, sel: '{ version mode issuer }' },
  me: { args: {}, types: {}, sel: '{ sub clientId scopes claims userinfo user { id username email givenName } }' },
  client: { args: { id: 'readId' }, types: { id: 'ID!' }, sel: '{ id name redirectUris public tokenEndpointAuthMethod grantTypes userRestrictions { field equals } extraIdTokenClaims { claim field scope } }' },
  clients: { args: { first: 'int', after: 'string', search: 'string' }, types: { first: 'Int!', after: 'String', search: 'String' }, sel: '{ edges { cursor node { id name } } pageInfo { endCursor hasNextPage } }' },
  grants: { args: { clientId: 'readId', userId: 'readId' }, types: { clientId: 'ID', userId: 'ID' }, sel: '{ id active scopes clientId userId refreshCount revokedAt }' },
  keyRotationStatus: { args: {}, types: {}, sel: '{ family alg activeKid nextRotationAt keys { kid state activatesAt } }' },
  loginRequest: { args: { challenge: 'challenge' }, types: { challenge: 'String!' }, sel: '{ challenge requestedScopes prompt loginHint client { id name } }' },
  sessions: { args: { userId: 'readId' }, types: { userId: 'ID!' }, sel: '{ id userId amr authTime }' },
  user: { args: { id: 'readId' }, types: { id: 'ID!' }, sel: '{ id username hasPassword admin active email }' },
  users: { args: { first: 'int', after: 'string', search: 'string' }, types: { first: 'Int!', after: 'String', search: 'String' }, sel: '{ edges { cursor node { id username } } pageInfo { hasNextPage endCursor } }' },
};

const M: Record<string, FieldDef> = {
  acceptLoginRequest: { args: { challenge: 'challenge', subject: 'id', acr: 'string', amr: 'strings', remember: 'bool' }, types: { challenge: 'String!', subject: 'ID!', acr: 'String', amr: '[String!]', remember: 'Boolean!' }, sel: '' },
  rejectLoginRequest: { args: { challenge: 'challenge', error: 'oauthError', errorDescription: 'string' }, types: { challenge: 'String!', error: 'String!', errorDescription: 'String' }, sel: '' },
  createClient: { args: { input: 'clientInput' }, types: { input: 'CreateClientInput!' }, sel: '{ client { id name public } clientSecret }' },
  createUser: { args: { input: 'userInput' }, types: { input: 'CreateUserInput!' }, sel: '{ id username admin }' },
  deleteClient: { args: { id: 'victimClient' }, types: { id: 'ID!' }, sel: '' },
  deleteUser: { args: { id: 'victimUser' }, types: { id: 'ID!' }, sel: '' },
  revokeGrant: { args: { id: 'id' }, types: { id: 'ID!' }, sel: '{ id active revokedAt }' },
  revokeSession: { args: { id: 'id' }, types: { id: 'ID!' }, sel: '' },
  rotateClientSecret: { args: { id: 'victimClient' }, types: { id: 'ID!' }, sel: '{ clientSecret client { id } }' },
  rotateKeys: { args: { now: 'bool' }, types: { now: 'Boolean!' }, sel: '{ family activeKid }' },
  setUserPassword: { args: { id: 'victimUser', password: 'string' }, types: { id: 'ID!', password: 'String' }, sel: '{ id hasPassword }' },
  updateClient: { args: { id: 'victimClient', input: 'clientInput' }, types: { id: 'ID!', input: 'ClientMetadataInput!' }, sel: '{ id name redirectUris }' },
  updateMe: { args: { input: 'meInput' }, types: { input: 'UpdateMeInput!' }, sel: '{ id givenName locale picture }' },
  updateUser: { args: { id: 'victimUser', input: 'userUpdate' }, types: { id: 'ID!', input: 'UpdateUserInput!' }, sel: '{ id active admin }' },
};

const URIS = ['https://app.example/cb', 'http://localhost:1/cb', 'http://example.com/cb', 'javascript:alert(1)', 'https://a.example/cb#x', 'com.example.app:/cb', 'https://*.example/cb', 'https://u:p@a.example/', 'data:text/html,x', ''];
const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', 'implicit', 'password', ''];
const RESPONSE_TYPES = ['code', 'id_token', 'id_token token', 'code id_token', 'token', 'none'];
const FIELDS = ['username', 'email', 'emailVerified', 'givenName', 'familyName', 'locale', 'picture', 'password', 'admin', 'active', 'id', '__proto__'];

/** A value for an argument of `kind`, as a plain JS value (later written inline or as a variable). */
function valueArb(kind: ArgKind): fc.Arbitrary<unknown> {
  const pool = () => fc.constantFrom(victims.user, victims.client, victims.grant, victims.session, fx.alice.id, fx.clients.conf.id, root.id);
  const someId = fc.oneof(fc.constant('VICTIM').map(() => victims.user), fc.constant(null).map(() => randomUUID()), junk);
  const str = fc.oneof({ weight: 3, arbitrary: junk }, fc.constant(null));
  const pick = <T>(list: T[]) => fc.constantFrom(...list);
  const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
  switch (kind) {
    case 'readId':
      return fc.oneof({ weight: 3, arbitrary: fc.nat().chain(() => pool()) }, someId);
    case 'id':
      // Mutations: only victims (a grant or session of the victim user), or nothing that exists.
      return fc.oneof(fc.constant(0).map(() => victims.grant), fc.constant(0).map(() => victims.session), someId);
    case 'victimUser':
      return fc.oneof({ weight: 3, arbitrary: fc.constant(0).map(() => victims.user) }, someId);
    case 'victimClient':
      return fc.oneof({ weight: 3, arbitrary: fc.constant(0).map(() => victims.client) }, junk);
    case 'challenge':
      return fc.oneof({ weight: 2, arbitrary: fc.constant('CHALLENGE') }, junk);
    case 'string':
      return str;
    case 'int':
      return fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 100 }) }, fc.constantFrom(0, 101, -1, 2 ** 31, 2 ** 53, 1.5, 1e308), fc.integer());
    case 'bool':
      return fc.oneof({ weight: 6, arbitrary: fc.boolean() }, fc.constantFrom(null, 'true', 1));
    case 'strings':
      return fc.oneof(fc.array(junk, { maxLength: 4 }), fc.constant(null), junk);
    case 'oauthError':
      return fc.oneof(pick(['access_denied', 'login_required', 'interaction_required', 'account_selection_required', 'temporarily_unavailable', 'server_error', 'invalid_request']), junk);
    case 'meInput':
      return fc.record({ givenName: maybe(str), familyName: maybe(str), locale: maybe(fc.oneof(pick(['en', 'de-DE', 'x-'.repeat(40), '']), junk)), picture: maybe(fc.oneof(pick(URIS), junk)) }, { requiredKeys: [] });
    case 'userInput':
      return fc.record(
        {
          username: fc.oneof(fc.constant(0).map(() => `u${randomUUID().slice(0, 8)}`), pick(['alice', 'root', 'victim', 'ALICE', 'a b', '']), junk),
          password: maybe(fc.oneof(pick(['short', 'correct horse battery staple', 'x'.repeat(1025)]), junk)),
          email: maybe(fc.oneof(pick(['a@example.com', 'not-an-email', '@', 'a'.repeat(400) + '@x.y']), junk)),
          emailVerified: maybe(fc.boolean()),
          givenName: maybe(str),
          familyName: maybe(str),
          locale: maybe(junk),
          picture: maybe(fc.oneof(pick(URIS), junk)),
          admin: maybe(fc.boolean()),
          active: maybe(fc.boolean()),
        },
        { requiredKeys: ['username'] },
      );
    case 'userUpdate':
      return fc.record({ email: maybe(str), emailVerified: maybe(fc.boolean()), givenName: maybe(str), familyName: maybe(str), locale: maybe(junk), picture: maybe(fc.oneof(pick(URIS), junk)), admin: maybe(fc.boolean()), active: maybe(fc.boolean()) }, { requiredKeys: [] });
    case 'clientInput':
      return fc.record(
        {
          id: maybe(fc.oneof(fc.constant(0).map(() => `c-${randomUUID().slice(0, 8)}`), pick(['fuzz-conf', 'fuzz-victim', '', 'a b', 'x'.repeat(200)]), junk)),
          name: maybe(str),
          redirectUris: maybe(fc.array(fc.oneof(pick(URIS), junk), { maxLength: 3 })),
          postLogoutRedirectUris: maybe(fc.array(fc.oneof(pick(URIS), junk), { maxLength: 2 })),
          allowedOrigins: maybe(fc.array(fc.oneof(pick(['https://app.example', 'http://localhost:3000', 'https://app.example/', 'null', '*']), junk), { maxLength: 2 })),
          grantTypes: maybe(fc.subarray(GRANT_TYPES)),
          responseTypes: maybe(fc.subarray(RESPONSE_TYPES)),
          public: maybe(fc.boolean()),
          firstParty: maybe(fc.boolean()),
          admin: maybe(fc.boolean()),
          logoutAll: maybe(fc.boolean()),
          requireMfa: maybe(fc.boolean()),
          requirePar: maybe(fc.boolean()),
          logoUri: maybe(fc.oneof(pick(URIS), junk)),
          idTokenSignedResponseAlg: maybe(fc.oneof(pick(['RS256', 'ES256', 'none', 'HS256', 'EdDSA']), junk)),
          audiences: maybe(fc.array(junk, { maxLength: 3 })),
          backchannelLogoutUri: maybe(fc.oneof(pick(URIS), junk)),
          extraIdTokenClaims: maybe(fc.array(fc.record({ claim: fc.oneof(pick(['roles', 'sub', 'iss', 'x']), junk), field: fc.oneof(pick(FIELDS), junk), scope: fc.oneof(pick(['profile', 'openid', 'api:read', 'admin']), junk) }), { maxLength: 2 })),
          userRestrictions: maybe(fc.array(fc.record({ field: fc.oneof(pick(FIELDS), junk), equals: junk }), { maxLength: 2 })),
        },
        { requiredKeys: [] },
      );
  }
}

/** A value written as a GraphQL literal (object keys unquoted, strings JSON-escaped). */
function literal(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '0';
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(literal).join(', ')}]`;
  return `{ ${Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).map(([k, x]) => `${/^[_A-Za-z][_0-9A-Za-z]*$/.test(k) ? k : `_${k.replace(/\W/g, '_')}`}: ${literal(x)}`).join(', ')} }`;
}

interface RootCall {
  field: string;
  alias?: string;
  args: [string, unknown, 'inline' | 'variable' | 'omit'][];
  directive?: string;
  selection: 'keep' | 'typename' | 'unknown' | 'empty' | 'deep';
}

const rootCall = (defs: Record<string, FieldDef>) =>
  fc.constantFrom(...Object.keys(defs)).chain((field) => {
    const def = defs[field]!;
    const argArbs = Object.entries(def.args).map(([name, kind]) => fc.tuple(fc.constant(name), valueArb(kind), fc.constantFrom<'inline' | 'variable' | 'omit'>('inline', 'inline', 'variable', 'variable', 'omit')));
    return fc.record({
      field: fc.constant(field),
      alias: fc.option(fc.oneof(fc.constantFrom('a', 'b', 'me', 'serverInfo', '__typename'), fc.stringMatching(/^[_A-Za-z][_0-9A-Za-z]{0,8}$/)), { nil: undefined, freq: 4 }),
      args: argArbs.length ? fc.tuple(...argArbs) : fc.constant([] as [string, unknown, 'inline' | 'variable' | 'omit'][]),
      directive: fc.option(fc.constantFrom('@include(if: true)', '@skip(if: true)', '@include(if: $flag)', '@skip(if: false)', '@deprecated', '@unknown', '@include', '@include(if: "yes")', ' @skip(if: true) @skip(if: true)'), { nil: undefined, freq: 5 }),
      selection: fc.constantFrom<RootCall['selection']>('keep', 'keep', 'keep', 'typename', 'unknown', 'empty', 'deep'),
    });
  });

interface DocPlan {
  op: 'query' | 'mutation' | 'subscription' | 'shorthand';
  name?: string;
  calls: RootCall[];
  fragment: boolean;
  extraOperation: boolean;
  textOps: { kind: 'delete' | 'insert' | 'duplicate' | 'truncate' | 'swap'; at: number; s: string }[];
}

const docPlan: fc.Arbitrary<DocPlan> = fc.constantFrom<DocPlan['op']>('query', 'query', 'shorthand', 'mutation', 'mutation', 'subscription').chain((op) =>
  fc.record({
    op: fc.constant(op),
    name: fc.option(fc.stringMatching(/^[_A-Za-z][_0-9A-Za-z]{0,10}$/), { nil: undefined }),
    calls: fc.array(rootCall(op === 'mutation' ? M : Q), { minLength: 1, maxLength: 3 }),
    fragment: fc.boolean(),
    extraOperation: fc.boolean(),
    textOps: fc.oneof(
      { weight: 4, arbitrary: fc.constant<DocPlan['textOps']>([]) },
      fc.array(fc.record({ kind: fc.constantFrom('delete', 'insert', 'duplicate', 'truncate', 'swap'), at: fc.nat(), s: fc.oneof(fc.constantFrom('{', '}', '(', ')', '$', '"', '\\', '...', '#', '@', ':', '!', '[', ']', '\u0000', '"""', 'query', 'fragment'), junk) }), { minLength: 1, maxLength: 3 }),
    ),
  }),
);

/** The document text and its variables. */
function buildDocument(plan: DocPlan, challenge: string): { query: string; variables: Record<string, unknown> } {
  const variables: Record<string, unknown> = {};
  const defs: string[] = [];
  const defs0 = plan.op === 'mutation' ? M : Q;
  let n = 0;
  const parts = plan.calls.map((call) => {
    const def = defs0[call.field]!;
    const args = call.args
      .filter(([, , how]) => how !== 'omit')
      .map(([name, value, how]) => {
        const v = value === 'CHALLENGE' ? challenge : value;
        if (how === 'inline') return `${name}: ${literal(v)}`;
        const variable = `v${n++}`;
        variables[variable] = v;
        defs.push(`$${variable}: ${def.types[name] ?? 'String'}`);
        return `${name}: $${variable}`;
      });
    const sel = { keep: def.sel, typename: def.sel ? '{ __typename }' : '', unknown: def.sel ? '{ nope }' : '{ x }', empty: def.sel ? '{ }' : '', deep: def.sel ? def.sel.replace(/ \}$/, ' __typename }') : '' }[call.selection];
    if (call.directive?.includes('$flag') && !defs.includes('$flag: Boolean!')) {
      defs.push('$flag: Boolean!');
      variables.flag = true;
    }
    return `${call.alias ? `${call.alias}: ` : ''}${call.field}${args.length ? `(${args.join(', ')})` : ''}${call.directive ? ` ${call.directive}` : ''} ${sel}`;
  });
  const head = plan.op === 'shorthand' ? '' : `${plan.op}${plan.name ? ` ${plan.name}` : ''}${defs.length ? `(${defs.join(', ')})` : ''} `;
  let query = plan.fragment && plan.op !== 'mutation' && plan.op !== 'subscription' ? `${head}{ ...F }\nfragment F on Query { ${parts.join('\n')} }` : `${head}{ ${parts.join('\n')} }`;
  if (plan.extraOperation) query += `\nquery Other { serverInfo { version } }`;
  for (const t of plan.textOps) {
    const at = t.at % (query.length + 1);
    if (t.kind === 'delete') query = query.slice(0, at) + query.slice(at + 1 + (t.at % 5));
    else if (t.kind === 'insert') query = query.slice(0, at) + t.s + query.slice(at);
    else if (t.kind === 'duplicate') query = query.slice(0, at) + query.slice(at, at + 40) + query.slice(at);
    else if (t.kind === 'truncate') query = query.slice(0, at);
    else query = query.slice(at) + query.slice(0, at);
  }
  return { query, variables };
}

// ---- transport ----------------------------------------------------------------------------------

type Transport = 'json' | 'json' | 'json' | 'batch' | 'get' | 'getNoPreflight' | 'textPlain' | 'form' | 'brokenJson' | 'deepJson' | 'oddFields' | 'graphqlType' | 'persisted' | 'huge';
const TRANSPORTS: Transport[] = ['json', 'json', 'json', 'batch', 'get', 'getNoPreflight', 'textPlain', 'form', 'brokenJson', 'deepJson', 'oddFields', 'graphqlType', 'persisted', 'huge'];

function transportRequest(t: Transport, doc: { query: string; variables: Record<string, unknown> }, operationName: string | undefined, seed: number, varsMode: number): FuzzRequest {
  const url = `${fx.p.url}/graphql`;
  const variables = [doc.variables, doc.variables, doc.variables, null, 'string', [1, 2], { ...doc.variables, extra: { $gt: '' } }, JSON.parse('{"__proto__":{"x":1}}')][varsMode % 8];
  const payload = { query: doc.query, variables, operationName };
  const json = { 'content-type': 'application/json' };
  switch (t) {
    case 'json':
      return { method: 'POST', url, headers: json, body: JSON.stringify(payload) };
    case 'batch':
      return { method: 'POST', url, headers: json, body: JSON.stringify([payload, { query: '{ serverInfo { version } }' }]) };
    case 'get':
    case 'getNoPreflight': {
      const q = new URLSearchParams({ query: doc.query.replace(/[\uD800-\uDFFF]/g, ''), ...(operationName ? { operationName } : {}), variables: JSON.stringify(variables) ?? '' });
      return { method: 'GET', url: `${url}?${q}`, headers: t === 'get' ? { 'apollo-require-preflight': 'true' } : {} };
    }
    case 'textPlain':
      return { method: 'POST', url, headers: { 'content-type': 'text/plain' }, body: JSON.stringify(payload) };
    case 'form':
      return { method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ query: doc.query.replace(/[\uD800-\uDFFF]/g, '') }).toString() };
    case 'brokenJson': {
      const text = JSON.stringify(payload);
      return { method: 'POST', url, headers: json, body: text.slice(0, seed % Math.max(1, text.length)) };
    }
    case 'deepJson': {
      const depth = 1_000 + (seed % 50_000);
      return { method: 'POST', url, headers: json, body: `{"query":"{ serverInfo { version } }","variables":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}` };
    }
    case 'oddFields':
      return { method: 'POST', url, headers: json, body: JSON.stringify([{ query: 1 }, { query: null }, { query: [doc.query] }, { query: { a: 1 } }, { operationName: 5, query: doc.query }, { query: doc.query, extensions: 'x' }, {}, 'q'][seed % 8]) };
    case 'graphqlType':
      return { method: 'POST', url, headers: { 'content-type': 'application/graphql' }, body: doc.query };
    case 'persisted':
      return { method: 'POST', url, headers: json, body: JSON.stringify({ extensions: { persistedQuery: { version: seed % 3, sha256Hash: ['x', 'a'.repeat(64), null][seed % 3] } }, variables }) };
    case 'huge':
      return { method: 'POST', url, headers: json, body: JSON.stringify({ query: `{ serverInfo { version } }${' '.repeat(120_000)}` }) };
  }
}

// ---- the property --------------------------------------------------------------------------------

describe('/graphql', () => {
  it('random and mutated documents, variables, transports and tokens: no 5xx, no leak, no INTERNAL_SERVER_ERROR, ∅DB on rejection, forged tokens never answer', { timeout: timeoutFor(200) }, async () => {
    const tokens = cached(async () => {
      await ensureVictims();
      const alice = await fx.mintTokens('conf', { scope: 'openid profile email' });
      const admin = await fx.mintTokens('conf', { scope: 'openid profile admin' }, await fx.sessionCookie(root.id));
      const machine = await fx.machineToken('admin');
      return { alice: alice.access_token, admin: admin.access_token, machine, idToken: alice.id_token };
    });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          focus,
          doc: docPlan,
          transport: fc.constantFrom(...TRANSPORTS),
          operationName: fc.option(fc.oneof(fc.constantFrom('Other', 'Missing', ''), junk), { nil: undefined, freq: 4 }),
          varsMode: fc.nat(),
          who: fc.constantFrom('none', 'alice', 'admin', 'admin', 'machine', 'mutant', 'idToken'),
          recipe: jwtRecipe,
          plan: headerPlan,
          ops: mutations(1),
          kind: fc.constant('form' as const),
          seed: fc.nat(),
        }),
        async (c) => {
          await ensureVictims();
          const t = await tokens();
          const m = focused(c);
          const clean = c.focus !== 'params' && c.focus !== 'all';
          // Outside a params focus: a well-formed document (no text damage, aliases, odd directives or selections).
          const tidy: DocPlan = { ...c.doc, op: c.doc.op === 'mutation' ? 'mutation' : 'query', textOps: [], extraOperation: false, calls: c.doc.calls.map((call, i) => ({ ...call, alias: c.doc.calls.length > 1 ? `f${i}` : undefined, directive: undefined, selection: 'keep' })) };
          const doc = buildDocument(clean ? tidy : c.doc, await challenge(c.seed));
          const transport = clean ? 'json' : c.transport;
          const mutant: Mutant | undefined = c.who === 'mutant' ? applyJwtRecipe(c.recipe, [t.alice, t.admin, t.machine], fx.signingKeys(), fx.ids) : undefined;
          const bearer = { none: undefined, alice: t.alice, admin: t.admin, machine: t.machine, idToken: t.idToken, mutant: mutant?.token }[c.who];
          const base = transportRequest(transport, doc, clean ? undefined : c.operationName, c.seed, clean ? 0 : c.varsMode);
          const headers = applyHeaders({ ...base.headers, authorization: bearer === undefined ? undefined : `Bearer ${bearer}` }, m.plan, { ids: fx.ids, secrets: fx.secrets, tokens: [t.alice, t.admin, t.machine] });
          const req: FuzzRequest = { ...base, headers };
          const res = await probe(req, fx.policyFor(req), { db: fx.db });
          expectNoForgedMe(req, res, [t.alice, t.admin, t.machine, ...(mutant?.genuine ? [mutant.token] : [])]);
        },
      ),
      fuzzParams(200),
    );
  });
});

const URI_BASES = ['https://rp.example/cb', 'https://rp.example/cb?x=1', 'http://localhost:8080/cb', 'http://127.0.0.1/cb', 'http://[::1]:3000/cb', 'com.example.app:/cb', 'https://xn--bcher-kva.example/cb'];
const uriArb = uriVariant(URI_BASES);

describe('clients registered through the admin API', () => {
  it('any client the API accepts can be named at /authorize and /session/end: no 5xx, no crash, redirects only to its own URIs', { timeout: timeoutFor(80) }, async () => {
    const admin = cached(async () => (await fx.mintTokens('conf', { scope: 'openid profile admin' }, await fx.sessionCookie(root.id))).access_token);
    const create = 'mutation($input: CreateClientInput!) { createClient(input: $input) { client { id redirectUris postLogoutRedirectUris } } }';
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          redirectUris: fc.array(uriArb, { minLength: 1, maxLength: 3 }),
          postLogoutRedirectUris: fc.array(uriArb, { maxLength: 2 }),
          hybrid: fc.boolean(),
          mode: fc.constantFrom(undefined, 'query', 'fragment', 'form_post'),
          session: fc.boolean(),
        }),
        async (c) => {
          const input = { name: 'Fuzzed RP', redirectUris: c.redirectUris, postLogoutRedirectUris: c.postLogoutRedirectUris, firstParty: true, ...(c.hybrid ? { grantTypes: ['authorization_code', 'implicit'], responseTypes: ['code', 'code id_token', 'id_token'] } : {}) };
          const req: FuzzRequest = { method: 'POST', url: `${fx.p.url}/graphql`, headers: { 'content-type': 'application/json', authorization: `Bearer ${await admin()}` }, body: JSON.stringify({ query: create, variables: { input } }) };
          const res = await probe(req, fx.policyFor(req), { db: fx.db });
          const client = (JSON.parse(res.body) as { data?: { createClient?: { client: { id: string; redirectUris: string[]; postLogoutRedirectUris: string[] } } } }).data?.createClient?.client;
          if (!client) return; // refused: nothing to follow
          const policy = { own: [new URL(fx.p.issuer).origin], targets: [...client.redirectUris, ...client.postLogoutRedirectUris] };
          const cookie = c.session ? await fx.sessionCookie() : undefined;
          for (const uri of client.redirectUris) {
            for (const responseType of ['bogus', 'code', ...(c.hybrid ? ['code id_token'] : [])]) {
              const params = new URLSearchParams({ client_id: client.id, redirect_uri: uri, response_type: responseType, scope: 'openid', state: 'st', nonce: 'n', ...(c.mode ? { response_mode: c.mode } : {}) });
              await probe({ method: 'GET', url: `${fx.p.issuer}/authorize?${params}`, headers: cookie ? { cookie } : {} }, policy, { db: fx.db });
            }
          }
          for (const uri of client.postLogoutRedirectUris) {
            await probe({ method: 'GET', url: `${fx.p.issuer}/session/end?${new URLSearchParams({ client_id: client.id, post_logout_redirect_uri: uri, state: 'st' })}`, headers: cookie ? { cookie } : {} }, policy, { db: fx.db });
          }
        },
      ),
      fuzzParams(80),
    );
  });
});

/** A pending login's challenge now and then (for loginRequest, accept/rejectLoginRequest), else junk. */
async function challenge(seed: number): Promise<string> {
  if (seed % 3 !== 0) return NASTY[seed % NASTY.length]!;
  const c = fx.clients.pub;
  const res = await fetch(`${fx.p.issuer}/authorize?${new URLSearchParams({ client_id: c.id, redirect_uri: c.redirectUris[0]!, response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`, { redirect: 'manual' });
  return /\/interaction\/([^/?]+)/.exec(res.headers.get('location') ?? '')?.[1] ?? 'none';
}

/** `me` answered: the request must have carried a genuine token. */
function expectNoForgedMe(req: FuzzRequest, res: Observed, genuine: string[]): void {
  if (res.status !== 200 || !/"clientId"\s*:\s*"/.test(res.body)) return;
  const auth = req.headers?.authorization ?? '';
  if (!genuine.some((g) => auth.includes(g))) assertResponse({ ...res, status: 599 }, { own: [] }, { forgedTokenAnswered: true, request: req });
}
