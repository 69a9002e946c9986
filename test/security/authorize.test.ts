/**
 * docs/SECURITY.md section A, the OP authorization endpoint: AZ-01 … AZ-19 (AZ-03, AZ-04, AZ-07
 * are not rows of this battery). A request whose client or redirect_uri cannot be trusted gets a
 * 400 HTML page and never a redirect; a later error goes back to the registered URI with
 * `error`, `state` and `iss` (RFC 9207); neither writes to the database (∅DB).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientError, ClientService } from '../../src/clients/client-service.js';
import {
  authorizeUrl,
  browse,
  dbSnapshot,
  expectNothingPersisted,
  login,
  pkcePair,
  tokenRequest,
  type TestProvider,
  startProvider,
} from '../support/provider.js';

const RP_CB = 'https://rp.example/cb';
const EVIL_CB = 'https://evil.example/cb';

let provider: TestProvider;
let clients: ClientService;
let username: string;

beforeAll(async () => {
  provider = await startProvider();
  clients = new ClientService(provider.db.orm.em, () => provider.provider!.clients.changed());
  username = (await provider.createUser()).username;
});
afterAll(() => provider?.close());

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' })[c]!);
}

/** GET /authorize with a query string written by hand (repeated names, `name[]`, …). */
function rawAuthorize(query: string): Promise<Response> {
  return fetch(`${provider.issuer}/authorize?${query}`, { redirect: 'manual' });
}

function get(params: Record<string, string | undefined>): Promise<Response> {
  return fetch(authorizeUrl(provider, params), { redirect: 'manual' });
}

/** A request that is valid but for what the test changes. */
function base(clientId: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { client_id: clientId, redirect_uri: RP_CB, response_type: 'code', scope: 'openid', state: 'st-1', code_challenge: pkcePair().challenge, code_challenge_method: 'S256', ...extra };
}

const q = encodeURIComponent;

/**
 * "Error page, never a redirect": 400, no Location, an HTML page with no form, meta refresh or
 * script, which mentions none of the attacker's URIs; no cookie set.
 */
async function expectErrorPage(res: Response, attackerUris: string[] = []): Promise<string> {
  const body = await res.text();
  expect(res.status, body.slice(0, 300)).toBe(400);
  expect(res.headers.get('location')).toBeNull();
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  expect(res.headers.getSetCookie()).toEqual([]);
  expect(body).not.toMatch(/<form/i);
  expect(body).not.toMatch(/<script/i);
  expect(body).not.toMatch(/http-equiv\s*=\s*["']?refresh/i);
  expect(body).not.toMatch(/[?&](code|error)=/);
  for (const uri of attackerUris) {
    if (uri.length < 8) continue;
    expect(body).not.toContain(uri);
    expect(body).not.toContain(escapeHtml(uri));
    expect(body).not.toContain(encodeURIComponent(uri));
  }
  expect(body).not.toContain('evil.example');
  return body;
}

/**
 * A redirected error: 303 to the registered URI (its own query kept), `error` one of `errors`,
 * `state` echoed (absent when `state` is null; not checked when undefined), `iss` = the issuer, no code and no token.
 */
function expectRedirectError(res: Response, registered: string, errors: string | string[], state: string | null | undefined, mode: 'query' | 'fragment' = 'query'): URL {
  expect(res.status).toBe(303);
  const location = res.headers.get('location');
  expect(location).toBeTruthy();
  expect(location!.slice(0, registered.length), location!).toBe(registered);
  const url = new URL(location!);
  // Errors of token-returning response types travel in the fragment (OAuth 2.0 Multiple Response Types §5).
  let params: URLSearchParams;
  if (mode === 'query') {
    expect(registered.includes('?') ? '&' : '?').toBe(location![registered.length]);
    expect(url.hash).toBe('');
    params = url.searchParams;
  } else {
    expect(location![registered.length]).toBe('#');
    params = new URLSearchParams(url.hash.slice(1));
  }
  expect([errors].flat()).toContain(params.get('error'));
  expect(params.getAll('error')).toHaveLength(1);
  if (state === null) expect(params.has('state')).toBe(false);
  else if (state !== undefined) expect(params.getAll('state')).toEqual([state]);
  expect(params.getAll('iss')).toEqual([provider.issuer]);
  for (const p of ['code', 'access_token', 'id_token', 'token_type', 'refresh_token']) {
    expect(url.searchParams.has(p), p).toBe(false);
    expect(new URLSearchParams(url.hash.slice(1)).has(p), p).toBe(false);
  }
  return url;
}

/** A valid request was accepted: the browser is sent to the login page. */
function expectLoginStarted(res: Response): void {
  expect(res.status).toBe(303);
  const location = new URL(res.headers.get('location')!);
  expect(location.origin + location.pathname).toMatch(new RegExp(`^${provider.issuer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/interaction/[^/]+$`));
}

async function newClient(input: Parameters<TestProvider['createClient']>[0] = {}) {
  return provider.createClient({ redirectUris: [RP_CB], ...input });
}

// ---------------------------------------------------------------------------------------------
// AZ-01
// ---------------------------------------------------------------------------------------------

describe('AZ-01 unregistered redirect_uri', () => {
  it('AZ-01: redirect_uri=https://evil.example/cb gets a 400 error page, no redirect, no code, ∅DB', async () => {
    const { clientId } = await newClient();
    await expectNothingPersisted(provider, async () => {
      const res = await get({ client_id: clientId, response_type: 'code', scope: 'openid', state: 's', redirect_uri: EVIL_CB });
      await expectErrorPage(res, [EVIL_CB]);
    });
  });

  it('AZ-01: the same attack as a POST form and with a live session cookie is still an error page, ∅DB', async () => {
    const { clientId, redirectUri } = await newClient();
    // A browser with a live session and consent on record: the attack must not short-circuit to a code.
    const { location, jar } = await login(provider, { clientId, redirectUri, username });
    expect(location.searchParams.get('code')).toBeTruthy();
    await expectNothingPersisted(provider, async () => {
      const res = await browse(jar, authorizeUrl(provider, base(clientId, { redirect_uri: EVIL_CB })));
      await expectErrorPage(res, [EVIL_CB]);
      const post = await browse(jar, `${provider.issuer}/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(base(clientId, { redirect_uri: EVIL_CB }) as Record<string, string>),
      });
      await expectErrorPage(post, [EVIL_CB]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// AZ-02
// ---------------------------------------------------------------------------------------------

describe('AZ-02 exact redirect_uri matching', () => {
  const ROW = ['https://rp.example/cb/x', 'https://rp.example/cbx', 'https://rp.example/cb.evil.example', 'https://rp.example.evil.example/cb', 'https://x.rp.example/cb'];
  const MORE = [
    // trailing slash, case
    'https://rp.example/cb/',
    'https://rp.example//cb',
    'https://RP.EXAMPLE/cb',
    'https://Rp.example/cb',
    'HTTPS://rp.example/cb',
    'https://rp.example/CB',
    'https://rp.example./cb',
    // percent-encodings (the server receives the %XX literally)
    'https:%2F%2Frp.example%2Fcb',
    'https://rp.example%2Fcb',
    'https://rp.example/cb%2F',
    'https://rp.example/cb%2Fx',
    'https://rp.example/%63b',
    'https://rp.example/c%62',
    'https%3A%2F%2Frp.example%2Fcb',
    'https://rp.example%2F%2Fevil.example',
    'https://rp.example/cb%00',
    'https://rp.example/cb%2523',
    // ports added
    'https://rp.example:443/cb',
    'https://rp.example:8443/cb',
    'https://rp.example:/cb',
    // scheme
    'http://rp.example/cb',
    'wss://rp.example/cb',
    '//rp.example/cb',
    'rp.example/cb',
    '/cb',
    // dot segments
    'https://rp.example/x/../cb',
    'https://rp.example/cb/../cb',
    'https://rp.example/./cb',
    'https://rp.example/cb/..%2Fevil',
    'https://rp.example/cb/../../evil.example',
    // query appended
    'https://rp.example/cb?',
    'https://rp.example/cb?x=1',
    'https://rp.example/cb?redirect=https://evil.example',
    // userinfo / host confusion
    'https://rp.example@evil.example/cb',
    'https://evil.example\\@rp.example/cb',
    'https://evil.example?@rp.example/cb',
    'https://rp.example\\cb',
    'https://rp.exаmple/cb', // Cyrillic а
    'https://rp.example/*',
    'https://*.example/cb',
    // whitespace
    ' https://rp.example/cb',
    'https://rp.example/cb ',
    'https://rp.example/cb\t',
    'https://rp.example/cb\n',
  ];

  for (const uri of ROW) {
    it(`AZ-02: ${uri} against the registered ${RP_CB}: error page, ∅DB`, async () => {
      const { clientId } = await newClient();
      await expectNothingPersisted(provider, async () => expectErrorPage(await get(base(clientId, { redirect_uri: uri })), [uri]));
    });
  }

  it('AZ-02: more spellings (trailing slash, case, %2F encodings, ports, http, /../, query, userinfo, whitespace): each an error page, ∅DB', async () => {
    const { clientId } = await newClient();
    const before = await dbSnapshot(provider);
    for (const uri of MORE) {
      const res = await get(base(clientId, { redirect_uri: uri }));
      expect(res.status, `redirect_uri=${JSON.stringify(uri)}`).toBe(400);
      await expectErrorPage(res, [uri]);
    }
    expect(await dbSnapshot(provider)).toEqual(before);
  });

  it('AZ-02: a registered port must be sent as registered (port removed, default port, other port): error page, ∅DB', async () => {
    const registered = 'https://rp.example:8443/cb';
    const { clientId } = await newClient({ redirectUris: [registered] });
    await expectNothingPersisted(provider, async () => {
      for (const uri of ['https://rp.example/cb', 'https://rp.example:443/cb', 'https://rp.example:08443/cb', 'https://rp.example:8444/cb', 'http://rp.example:8443/cb']) {
        expect((await get(base(clientId, { redirect_uri: uri }))).status, uri).toBe(400);
      }
      await expectErrorPage(await get(base(clientId, { redirect_uri: 'https://rp.example/cb' })));
    });
    expectLoginStarted(await get(base(clientId, { redirect_uri: registered })));
  });

  it('AZ-02: a loopback URI is matched exactly too (other host spelling, https instead of http)', async () => {
    const registered = 'http://127.0.0.1:8080/cb';
    const { clientId } = await newClient({ redirectUris: [registered] });
    await expectNothingPersisted(provider, async () => {
      for (const uri of ['http://localhost:8080/cb', 'https://127.0.0.1:8080/cb', 'http://[::1]:8080/cb', 'http://127.0.0.1:8080/cb/', 'http://127.1:8080/cb']) {
        await expectErrorPage(await get(base(clientId, { redirect_uri: uri })), [uri]);
      }
    });
  });

  it('AZ-02: control — the exact registered URI (ordinarily percent-encoded in the query) starts the login', async () => {
    const { clientId } = await newClient();
    expectLoginStarted(await rawAuthorize(`client_id=${q(clientId)}&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code&scope=openid&state=s&code_challenge=${pkcePair().challenge}&code_challenge_method=S256`));
  });

  it('AZ-02: a URI registered for another client is not accepted for this one', async () => {
    const other = await newClient({ redirectUris: ['https://rp2.example/cb'] });
    const { clientId } = await newClient();
    expect(other.clientId).not.toBe(clientId);
    await expectNothingPersisted(provider, async () => expectErrorPage(await get(base(clientId, { redirect_uri: 'https://rp2.example/cb' }))));
  });
});

// ---------------------------------------------------------------------------------------------
// AZ-05
// ---------------------------------------------------------------------------------------------

describe('AZ-05 redirect_uri with a fragment', () => {
  for (const uri of ['https://rp.example/cb#x', 'https://rp.example/cb#', 'https://rp.example/cb#access_token=x', 'https://rp.example/cb?#x']) {
    it(`AZ-05: redirect_uri=${uri} is rejected with an error page, ∅DB`, async () => {
      const { clientId } = await newClient();
      await expectNothingPersisted(provider, async () => expectErrorPage(await get(base(clientId, { redirect_uri: uri })), [uri]));
    });
  }
});

// ---------------------------------------------------------------------------------------------
// AZ-06
// ---------------------------------------------------------------------------------------------

describe('AZ-06 query components of redirect_uri', () => {
  it('AZ-06: registered https://rp.example/cb, sent …/cb?next=https://evil.example: error page, ∅DB', async () => {
    const { clientId } = await newClient();
    const uri = 'https://rp.example/cb?next=https://evil.example';
    await expectNothingPersisted(provider, async () => expectErrorPage(await get(base(clientId, { redirect_uri: uri })), [uri]));
  });

  it('AZ-06: registered …/cb?a=1, sent ?a=2 (and other changes to the query): error page, ∅DB', async () => {
    const registered = 'https://rp.example/cb?a=1';
    const { clientId } = await newClient({ redirectUris: [registered] });
    await expectNothingPersisted(provider, async () => {
      for (const uri of ['https://rp.example/cb?a=2', 'https://rp.example/cb?a=1&a=2', 'https://rp.example/cb?a=1&b=2', 'https://rp.example/cb?b=2&a=1', 'https://rp.example/cb?A=1', 'https://rp.example/cb?a=%31', 'https://rp.example/cb', 'https://rp.example/cb?a=1&next=https://evil.example']) {
        await expectErrorPage(await get(base(clientId, { redirect_uri: uri })), [uri]);
      }
    });
  });

  it('AZ-06: control — a URI registered with a query and sent verbatim logs in; the final redirect keeps a=1 and adds code, state, iss', async () => {
    const registered = 'https://rp.example/cb?a=1';
    const client = await newClient({ redirectUris: [registered] });
    const { location, verifier } = await login(provider, { clientId: client.clientId, redirectUri: registered, username });
    expect(location.href.startsWith(`${registered}&`), location.href).toBe(true);
    expect(location.searchParams.getAll('a')).toEqual(['1']);
    expect(location.searchParams.get('code')).toBeTruthy();
    expect(location.searchParams.get('state')).toBe('state-123');
    expect(location.searchParams.get('iss')).toBe(provider.issuer);
    // The code is bound to the URI with its query, and is redeemable with it.
    const res = await tokenRequest(provider, { grant_type: 'authorization_code', code: location.searchParams.get('code')!, redirect_uri: registered, code_verifier: verifier! }, client);
    expect(res.status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------
// AZ-08
// ---------------------------------------------------------------------------------------------

describe('AZ-08 redirect URIs at registration and update', () => {
  const ROW = ['https://rp.example/cb#f', 'javascript:alert(1)', 'data:text/html,x', 'file:///etc/passwd', 'https://*.rp.example/*', 'http://rp.example/cb'];
  const MORE = [
    'https://rp.example/cb#',
    'JavaScript:alert(1)',
    'javascript://rp.example/%0aalert(1)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
    'vbscript:msgbox(1)',
    'blob:https://rp.example/0b0d6d4e-1c5b-4f0e-9a63-5f2a6d0c1e11',
    'about:blank',
    'ftp://rp.example/cb',
    'ws://rp.example/cb',
    'x-evil:cb',
    'https://rp.example/*',
    'https://*.rp.example/cb',
    'https://rp.example/cb*',
    'http://evil.example/cb',
    'http://localhost.evil.example/cb',
    'http://127.0.0.1.evil.example/cb',
    'https://user:pw@rp.example/cb',
    'https://rp.example@evil.example/cb',
    '/cb',
    '//rp.example/cb',
    'rp.example/cb',
    '',
    ' https://rp.example/cb',
    'https://rp.example/cb\n',
    'https://rp.example/c\u0000b',
    `https://rp.example/${'a'.repeat(2100)}`,
  ];

  async function expectRedirectUriRejected(fn: () => Promise<unknown>, label: string): Promise<void> {
    await expectNothingPersisted(provider, async () => {
      const err = await fn().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, `${label}: must be rejected`).toBeInstanceOf(ClientError);
      expect((err as ClientError).oauthError, label).toBe('invalid_redirect_uri');
      expect((err as ClientError).code, label).toBe('ERR_CLIENT_INVALID');
      expect((err as ClientError).field, label).toBe('redirectUris');
    });
  }

  for (const uri of ROW) {
    it(`AZ-08: create and update with redirect_uris=[${JSON.stringify(uri)}] fail with invalid_redirect_uri; client not created or changed, ∅DB`, async () => {
      const id = `az08-${Math.random().toString(36).slice(2, 10)}`;
      await expectRedirectUriRejected(() => clients.create({ id, name: 'Evil', redirectUris: [uri] }), `create ${uri}`);
      expect(await clients.find(id)).toBeNull();
      await expectRedirectUriRejected(() => clients.create({ id, name: 'Evil', redirectUris: [RP_CB, uri] }), `create [good, ${uri}]`);
      expect(await clients.find(id)).toBeNull();

      const { clientId } = await newClient();
      await expectRedirectUriRejected(() => clients.update(clientId, { redirectUris: [uri] }), `update ${uri}`);
      await expectRedirectUriRejected(() => clients.update(clientId, { redirectUris: [RP_CB, uri] }), `update [good, ${uri}]`);
      expect((await clients.find(clientId))!.redirectUris).toEqual([RP_CB]);
      expect((await provider.provider!.clients.get(clientId))!.redirectUris).toEqual([RP_CB]);
      // And the endpoint still refuses it.
      await expectNothingPersisted(provider, async () => expectErrorPage(await get(base(clientId, { redirect_uri: uri })), [uri]));
    });
  }

  it('AZ-08: more bad URIs (schemes, wildcards, http off loopback, credentials, relative, whitespace, too long) are refused at create and update, ∅DB', async () => {
    const { clientId } = await newClient();
    for (const uri of MORE) {
      await expectRedirectUriRejected(() => clients.create({ name: 'Evil', redirectUris: [uri] }), `create ${JSON.stringify(uri)}`);
      await expectRedirectUriRejected(() => clients.update(clientId, { redirectUris: [RP_CB, uri] }), `update ${JSON.stringify(uri)}`);
    }
    expect((await clients.find(clientId))!.redirectUris).toEqual([RP_CB]);
  });

  it('AZ-08: post-logout redirect URIs follow the same rule', async () => {
    const { clientId } = await newClient();
    for (const uri of ['https://rp.example/out#f', 'javascript:alert(1)', 'data:text/html,x', 'http://rp.example/out', 'https://*.rp.example/out']) {
      await expectNothingPersisted(provider, async () => {
        const created = await clients.create({ name: 'Evil', redirectUris: [RP_CB], postLogoutRedirectUris: [uri] }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(created, uri).toBeInstanceOf(ClientError);
        expect((created as ClientError).oauthError).toBe('invalid_redirect_uri');
        const updated = await clients.update(clientId, { postLogoutRedirectUris: [uri] }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(updated, uri).toBeInstanceOf(ClientError);
        expect((updated as ClientError).oauthError).toBe('invalid_redirect_uri');
      });
    }
  });

  it('AZ-08: control — good URIs (https, http on loopback, a reverse-domain private scheme) are accepted', async () => {
    const { client } = await clients.create({ name: 'Good', redirectUris: [RP_CB, 'http://127.0.0.1:8080/cb', 'http://localhost/cb', 'com.example.app:/cb', 'https://rp.example/cb?a=1'] });
    expect(client.redirectUris).toHaveLength(5);
    const updated = await clients.update(client.id, { redirectUris: ['https://rp.example/other'] });
    expect(updated.redirectUris).toEqual(['https://rp.example/other']);
  });
});

// ---------------------------------------------------------------------------------------------
// AZ-09
// ---------------------------------------------------------------------------------------------

describe('AZ-09 redirect_uri omitted with several registered', () => {
  const URIS = [RP_CB, 'https://rp.example/cb2'];

  it('AZ-09: no redirect_uri (absent or empty) for a client with two registered URIs: error page, ∅DB', async () => {
    const { clientId } = await newClient({ redirectUris: URIS });
    await expectNothingPersisted(provider, async () => {
      await expectErrorPage(await get(base(clientId, { redirect_uri: undefined })));
      await expectErrorPage(await get(base(clientId, { redirect_uri: '' })));
      // An error that would be redirectable is not redirected either: there is no trusted target.
      await expectErrorPage(await get(base(clientId, { redirect_uri: undefined, response_type: 'bogus' })));
    });
  });

  it('AZ-09: three registered URIs, none sent, with prompt=none: still an error page, ∅DB', async () => {
    const { clientId } = await newClient({ redirectUris: [...URIS, 'https://rp.example/cb3'] });
    await expectNothingPersisted(provider, async () => expectErrorPage(await get(base(clientId, { redirect_uri: undefined, prompt: 'none' }))));
  });

  it('AZ-09: control — sending either registered URI starts the login', async () => {
    const { clientId } = await newClient({ redirectUris: URIS });
    expectLoginStarted(await get(base(clientId, { redirect_uri: URIS[1] })));
    expectLoginStarted(await get(base(clientId, { redirect_uri: URIS[0] })));
  });
});

// ---------------------------------------------------------------------------------------------
// AZ-10
// ---------------------------------------------------------------------------------------------

describe('AZ-10 missing, unknown or malformed client_id', () => {
  const rest = `redirect_uri=${q(RP_CB)}&response_type=code&scope=openid&state=s&code_challenge=${pkcePair().challenge}&code_challenge_method=S256`;

  it('AZ-10: client_id missing: error page, never a redirect, ∅DB', async () => {
    await expectNothingPersisted(provider, async () => expectErrorPage(await rawAuthorize(rest)));
  });

  it('AZ-10: client_id=nope (unknown): error page, ∅DB', async () => {
    await expectNothingPersisted(provider, async () => expectErrorPage(await rawAuthorize(`client_id=nope&${rest}`)));
  });

  it('AZ-10: client_id[]=<a real client id> (an array spelling): error page, ∅DB', async () => {
    const { clientId } = await newClient();
    await expectNothingPersisted(provider, async () => {
      await expectErrorPage(await rawAuthorize(`client_id[]=${q(clientId)}&${rest}`));
      await expectErrorPage(await rawAuthorize(`${q('client_id[]')}=${q(clientId)}&${rest}`));
      await expectErrorPage(await rawAuthorize(`client_id[0]=${q(clientId)}&${rest}`));
    });
  });

  it('AZ-10: other spellings (empty, twice, changed case, padded, NUL, 129 characters, an evil redirect_uri) are error pages, ∅DB', async () => {
    const { clientId } = await newClient();
    const ids = ['', clientId.toUpperCase() === clientId ? clientId.toLowerCase() : clientId.toUpperCase(), ` ${clientId}`, `${clientId} `, `${clientId}\u0000`, 'x'.repeat(129), "' OR '1'='1", '{"$gt":""}'];
    await expectNothingPersisted(provider, async () => {
      for (const id of ids) await expectErrorPage(await rawAuthorize(`client_id=${q(id)}&${rest}`));
      await expectErrorPage(await rawAuthorize(`client_id=${q(clientId)}&client_id=${q(clientId)}&${rest}`));
      await expectErrorPage(await rawAuthorize(`client_id=nope&redirect_uri=${q(EVIL_CB)}&response_type=code&scope=openid&state=s`), [EVIL_CB]);
      await expectErrorPage(await rawAuthorize(`redirect_uri=${q(EVIL_CB)}&response_type=code&scope=openid&state=s`), [EVIL_CB]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// AZ-11
// ---------------------------------------------------------------------------------------------

describe('AZ-11 redirect_uri is validated before anything redirectable', () => {
  it('AZ-11: response_type=bogus AND redirect_uri=https://evil.example/cb: error page, no error= sent to evil.example, ∅DB', async () => {
    const { clientId } = await newClient();
    await expectNothingPersisted(provider, async () => expectErrorPage(await get(base(clientId, { response_type: 'bogus', redirect_uri: EVIL_CB })), [EVIL_CB]));
  });

  it('AZ-11: a malformed id_token_hint AND redirect_uri=https://evil.example/cb: error page, ∅DB', async () => {
    const { clientId } = await newClient();
    await expectNothingPersisted(provider, async () => {
      for (const hint of ['not-a-jwt', 'a.b', 'a.b.c.d', 'eyJ.e30.', '<script>']) {
        await expectErrorPage(await get(base(clientId, { id_token_hint: hint, redirect_uri: EVIL_CB })), [EVIL_CB]);
      }
    });
  });

  it('AZ-11: every other redirectable fault combined with the evil redirect_uri is an error page, ∅DB', async () => {
    const { clientId } = await newClient();
    const faults: Record<string, string | undefined>[] = [
      { response_type: undefined },
      { scope: undefined },
      { scope: 'open"id' },
      { prompt: 'bogus' },
      { prompt: 'none' },
      { prompt: 'none login' },
      { max_age: '-1' },
      { response_mode: 'fragment' },
      { display: 'bogus' },
      { code_challenge_method: 'plain' },
      { code_challenge: 'short' },
      { request: 'eyJhbGciOiJub25lIn0.e30.' },
      { request_uri: 'https://evil.example/req' },
      { response_type: 'token' },
      { response_type: 'code id_token' },
      { ui_locales: '<x>' },
    ];
    await expectNothingPersisted(provider, async () => {
      for (const fault of faults) {
        const res = await get(base(clientId, { ...fault, redirect_uri: EVIL_CB }));
        expect(res.status, JSON.stringify(fault)).toBe(400);
        await expectErrorPage(res, [EVIL_CB]);
      }
      // Duplicated state/scope (a redirectable fault) with the evil redirect_uri.
      await expectErrorPage(await rawAuthorize(`client_id=${q(clientId)}&redirect_uri=${q(EVIL_CB)}&response_type=code&scope=openid&state=a&state=b`), [EVIL_CB]);
      await expectErrorPage(await rawAuthorize(`client_id=${q(clientId)}&redirect_uri=${q(EVIL_CB)}&response_type=bogus&scope=openid&scope=admin&state=a`), [EVIL_CB]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// AZ-12
// ---------------------------------------------------------------------------------------------

describe('AZ-12 redirectable errors go to the registered URI with error, state and iss', () => {
  it('AZ-12: response_type=bogus → 303 to the registered URI, error=unsupported_response_type, state echoed, iss, no code, ∅DB', async () => {
    const { clientId } = await newClient();
    await expectNothingPersisted(provider, async () => {
      const res = await get(base(clientId, { response_type: 'bogus', state: 'xyz-state' }));
      const url = expectRedirectError(res, RP_CB, 'unsupported_response_type', 'xyz-state');
      expect(url.origin + url.pathname).toBe(RP_CB);
      expect(res.headers.get('cache-control')).toBe('no-store');
    });
  });

  it('AZ-12: other unsupported response types (CODE, code code, none, empty tokens) → unsupported_response_type, ∅DB', async () => {
    const { clientId } = await newClient();
    await expectNothingPersisted(provider, async () => {
      for (const rt of ['CODE', 'code code', 'none', 'code none', ' ', 'Code']) {
        expectRedirectError(await get(base(clientId, { response_type: rt, state: 'st' })), RP_CB, 'unsupported_response_type', 'st');
      }
      // Values are unordered: "token code" is "code token", which this code-only client may not use.
      expectRedirectError(await get(base(clientId, { response_type: 'token code', nonce: 'n', state: 'st' })), RP_CB, 'unauthorized_client', 'st', 'fragment');
    });
  });

  it('AZ-12: other redirectable errors (scope, prompt, max_age, response_mode, unsigned request objects) → their error code at the registered URI, ∅DB', async () => {
    const { clientId } = await newClient();
    const cases: [Record<string, string | undefined>, string | string[]][] = [
      [{ scope: undefined }, 'invalid_request'],
      [{ scope: 'open"id' }, 'invalid_scope'],
      [{ prompt: 'bogus' }, 'invalid_request'],
      [{ prompt: 'none login' }, 'invalid_request'],
      [{ max_age: '-1' }, 'invalid_request'],
      [{ max_age: '9007199254740993' }, 'invalid_request'],
      [{ response_mode: 'web_message' }, 'invalid_request'],
      [{ response_mode: 'QUERY' }, 'invalid_request'],
      [{ display: 'bogus' }, 'invalid_request'],
      [{ id_token_hint: 'not-a-jwt' }, 'invalid_request'],
      [{ request: 'eyJhbGciOiJub25lIn0.e30.' }, ['invalid_request_object']],
      [{ request_uri: 'https://evil.example/req' }, ['request_uri_not_supported', 'invalid_request']],
      [{ prompt: 'none' }, 'login_required'],
    ];
    await expectNothingPersisted(provider, async () => {
      for (const [extra, error] of cases) {
        const url = expectRedirectError(await get(base(clientId, { ...extra, state: 'st-12' })), RP_CB, error, 'st-12');
        expect(url.toString()).not.toContain('evil.example');
      }
    });
  });

  it('AZ-12: with redirect_uri omitted (one registered URI) the error goes to that URI; with no state sent, none is added', async () => {
    const { clientId } = await newClient();
    await expectNothingPersisted(provider, async () => {
      expectRedirectError(await get(base(clientId, { redirect_uri: undefined, response_type: 'bogus' })), RP_CB, 'unsupported_response_type', 'st-1');
      expectRedirectError(await get(base(clientId, { response_type: 'bogus', state: undefined })), RP_CB, 'unsupported_response_type', null);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// AZ-13
// ---------------------------------------------------------------------------------------------

describe('AZ-13 front-channel token response types', () => {
  for (const rt of ['token', 'id_token token', 'code token', 'code id_token', 'code id_token token', 'id_token']) {
    it(`AZ-13: a code-only client asking response_type=${rt} is redirected with an error, no token or ID token anywhere, ∅DB`, async () => {
      const { clientId } = await newClient();
      await expectNothingPersisted(provider, async () => {
        const res = await get(base(clientId, { response_type: rt, nonce: 'n-0S6_WzA2Mj', state: 'st-13' }));
        // `token` alone is no response type of this server: its error stays in the query.
        expectRedirectError(res, RP_CB, ['unauthorized_client', 'unsupported_response_type', 'invalid_request'], 'st-13', rt === 'token' ? 'query' : 'fragment');
        expect(res.headers.get('location')).not.toMatch(/access_token|id_token=|token_type/);
      });
    });
  }

  it('AZ-13: also for a client logged in with consent on record (no short-circuit to tokens), ∅DB', async () => {
    const { clientId, redirectUri } = await newClient();
    const { jar } = await login(provider, { clientId, redirectUri, username });
    await expectNothingPersisted(provider, async () => {
      for (const rt of ['token', 'code token', 'code id_token']) {
        const res = await browse(jar, authorizeUrl(provider, base(clientId, { response_type: rt, nonce: 'n', state: 'st-13' })));
        expectRedirectError(res, RP_CB, ['unauthorized_client', 'unsupported_response_type', 'invalid_request'], 'st-13', rt === 'token' ? 'query' : 'fragment');
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------
// AZ-14
// ---------------------------------------------------------------------------------------------

describe('AZ-14 response_type missing', () => {
  it('AZ-14: response_type omitted → redirect error=invalid_request (state, iss), ∅DB', async () => {
    const { clientId } = await newClient();
    await expectNothingPersisted(provider, async () => {
      expectRedirectError(await get(base(clientId, { response_type: undefined, state: 'st-14' })), RP_CB, ['invalid_request', 'unsupported_response_type'], 'st-14');
    });
  });

  it('AZ-14: response_type empty → the same, ∅DB', async () => {
    const { clientId } = await newClient();
    await expectNothingPersisted(provider, async () => {
      expectRedirectError(await get(base(clientId, { response_type: '', state: 'st-14' })), RP_CB, ['invalid_request', 'unsupported_response_type'], 'st-14');
    });
  });
});

// ---------------------------------------------------------------------------------------------
// AZ-15
// ---------------------------------------------------------------------------------------------

describe('AZ-15 duplicate parameters', () => {
  const cc = () => `code_challenge=${pkcePair().challenge}&code_challenge_method=S256`;

  it('AZ-15: state=a&state=b → invalid_request, and no state is echoed, ∅DB', async () => {
    const { clientId } = await newClient();
    await expectNothingPersisted(provider, async () => {
      for (const states of ['state=a&state=b', 'state=a&state=a', 'state=a&state=']) {
        const res = await rawAuthorize(`client_id=${q(clientId)}&redirect_uri=${q(RP_CB)}&response_type=code&scope=openid&${states}&${cc()}`);
        expectRedirectError(res, RP_CB, 'invalid_request', null);
      }
    });
  });

  it('AZ-15: scope=openid&scope=admin → invalid_request (state echoed), neither scope used, ∅DB', async () => {
    const { clientId } = await newClient();
    await expectNothingPersisted(provider, async () => {
      const res = await rawAuthorize(`client_id=${q(clientId)}&redirect_uri=${q(RP_CB)}&response_type=code&scope=openid&scope=admin&state=s15&${cc()}`);
      expectRedirectError(res, RP_CB, 'invalid_request', 's15');
    });
  });

  it('AZ-15: two redirect_uri (both the registered one, or registered + evil) → error page, ∅DB', async () => {
    const { clientId } = await newClient();
    await expectNothingPersisted(provider, async () => {
      const tail = `response_type=code&scope=openid&state=s&${cc()}`;
      await expectErrorPage(await rawAuthorize(`client_id=${q(clientId)}&redirect_uri=${q(RP_CB)}&redirect_uri=${q(RP_CB)}&${tail}`));
      await expectErrorPage(await rawAuthorize(`client_id=${q(clientId)}&redirect_uri=${q(RP_CB)}&redirect_uri=${q(EVIL_CB)}&${tail}`), [EVIL_CB]);
      await expectErrorPage(await rawAuthorize(`client_id=${q(clientId)}&redirect_uri=${q(EVIL_CB)}&redirect_uri=${q(RP_CB)}&${tail}`), [EVIL_CB]);
      await expectErrorPage(await rawAuthorize(`client_id=${q(clientId)}&redirect_uri=${q(RP_CB)}&redirect_uri=&${tail}`));
    });
  });

  it('AZ-15: two client_id (the same twice, or two clients) → error page, ∅DB', async () => {
    const a = await newClient();
    const b = await newClient();
    await expectNothingPersisted(provider, async () => {
      const tail = `redirect_uri=${q(RP_CB)}&response_type=code&scope=openid&state=s&${cc()}`;
      await expectErrorPage(await rawAuthorize(`client_id=${q(a.clientId)}&client_id=${q(a.clientId)}&${tail}`));
      await expectErrorPage(await rawAuthorize(`client_id=${q(a.clientId)}&client_id=${q(b.clientId)}&${tail}`));
    });
  });

  it('AZ-15: any other protocol parameter sent twice (response_type, nonce, code_challenge, prompt, max_age, …) → invalid_request, ∅DB', async () => {
    const { clientId } = await newClient();
    const { challenge } = pkcePair();
    const head = `client_id=${q(clientId)}&redirect_uri=${q(RP_CB)}&state=s15`;
    const cases = [
      `response_type=code&response_type=code&scope=openid&code_challenge=${challenge}&code_challenge_method=S256`,
      `response_type=code&scope=openid&code_challenge=${challenge}&code_challenge=${pkcePair().challenge}&code_challenge_method=S256`,
      `response_type=code&scope=openid&code_challenge=${challenge}&code_challenge_method=S256&code_challenge_method=S256`,
      `response_type=code&scope=openid&nonce=a&nonce=b&code_challenge=${challenge}&code_challenge_method=S256`,
      `response_type=code&scope=openid&prompt=login&prompt=consent&code_challenge=${challenge}&code_challenge_method=S256`,
      `response_type=code&scope=openid&max_age=0&max_age=600&code_challenge=${challenge}&code_challenge_method=S256`,
      `response_type=code&scope=openid&response_mode=query&response_mode=query&code_challenge=${challenge}&code_challenge_method=S256`,
      `response_type=code&scope=openid&login_hint=a&login_hint=b&code_challenge=${challenge}&code_challenge_method=S256`,
    ];
    await expectNothingPersisted(provider, async () => {
      for (const c of cases) expectRedirectError(await rawAuthorize(`${head}&${c}`), RP_CB, 'invalid_request', 's15');
    });
  });
});

// ---------------------------------------------------------------------------------------------
// AZ-16
// ---------------------------------------------------------------------------------------------

describe('AZ-16 parser type confusion', () => {
  /** Never a 500: a 400 HTML page, a redirect with invalid_request, or a 4xx JSON invalid_request. */
  async function expectRejected(res: Response, label: string): Promise<void> {
    expect(res.status, label).not.toBe(500);
    if (res.status === 303) {
      expectRedirectError(res, RP_CB, 'invalid_request', undefined);
      return;
    }
    if ((res.headers.get('content-type') ?? '').startsWith('application/json')) {
      expect(res.status, label).toBeGreaterThanOrEqual(400);
      expect(res.status, label).toBeLessThan(500);
      expect(res.headers.get('location')).toBeNull();
      expect(((await res.json()) as { error: string }).error, label).toBe('invalid_request');
      return;
    }
    await expectErrorPage(res);
  }

  it('AZ-16: client_id[]=rp1&client_id[]=rp2 → error page, ∅DB', async () => {
    const a = await newClient();
    const b = await newClient();
    await expectNothingPersisted(provider, async () => {
      const res = await rawAuthorize(`client_id[]=${q(a.clientId)}&client_id[]=${q(b.clientId)}&redirect_uri=${q(RP_CB)}&response_type=code&scope=openid&state=s`);
      await expectErrorPage(res);
    });
  });

  it('AZ-16: redirect_uri[toString]=x (otherwise a valid request) → rejected (page or invalid_request), never a login or a redirect elsewhere, ∅DB', async () => {
    const { clientId } = await newClient();
    await expectNothingPersisted(provider, async () => {
      const res = await rawAuthorize(`client_id=${q(clientId)}&redirect_uri[toString]=x&response_type=code&scope=openid&state=s&code_challenge=${pkcePair().challenge}&code_challenge_method=S256`);
      const location = res.headers.get('location') ?? '';
      expect(location).not.toContain('/interaction/');
      await expectRejected(res, 'redirect_uri[toString]=x');
    });
  });

  it('AZ-16: scope[$ne]= → invalid_request at the registered URI, ∅DB', async () => {
    const { clientId } = await newClient();
    await expectNothingPersisted(provider, async () => {
      const res = await rawAuthorize(`client_id=${q(clientId)}&redirect_uri=${q(RP_CB)}&response_type=code&scope[$ne]=&state=s16&code_challenge=${pkcePair().challenge}&code_challenge_method=S256`);
      expectRedirectError(res, RP_CB, 'invalid_request', 's16');
    });
  });

  const spellings: [string, (clientId: string, cc: string) => string][] = [
    ['client_id[$gt]=', () => `client_id[$gt]=&redirect_uri=${q(RP_CB)}&response_type=code&scope=openid&state=s`],
    ['client_id[toString]=<id>', (id) => `client_id[toString]=${q(id)}&redirect_uri=${q(RP_CB)}&response_type=code&scope=openid&state=s`],
    ['redirect_uri[]=<registered>&redirect_uri[]=<evil>', (id, cc) => `client_id=${q(id)}&redirect_uri[]=${q(RP_CB)}&redirect_uri[]=${q(EVIL_CB)}&response_type=code&scope=openid&state=s&${cc}`],
    ['__proto__[client_id]=<id>', (id) => `__proto__[client_id]=${q(id)}&redirect_uri=${q(RP_CB)}&response_type=code&scope=openid&state=s`],
    ['constructor[prototype][client_id]=<id>', (id) => `constructor[prototype][client_id]=${q(id)}&redirect_uri=${q(RP_CB)}&response_type=code&scope=openid&state=s`],
    ['client_id=%ZZ (bad percent-encoding)', () => `client_id=%ZZ&redirect_uri=${q(RP_CB)}&response_type=code&scope=openid&state=s`],
    ['response_type[]=code', (id, cc) => `client_id=${q(id)}&redirect_uri=${q(RP_CB)}&response_type[]=code&scope=openid&state=s&${cc}`],
  ];
  for (const [label, query] of spellings) {
    it(`AZ-16: ${label} → rejected (page or invalid_request), never a 500, never a login, ∅DB`, async () => {
      const { clientId } = await newClient();
      const qs = query(clientId, `code_challenge=${pkcePair().challenge}&code_challenge_method=S256`);
      await expectNothingPersisted(provider, async () => {
        const res = await rawAuthorize(qs);
        expect(res.headers.get('location') ?? '', qs).not.toContain('/interaction/');
        await expectRejected(res, qs);
      });
    });
  }

  it('AZ-16: a POST form with redirect_uri[]=<registered>&redirect_uri[]=<evil> (otherwise valid) → rejected, never a login, ∅DB', async () => {
    const { clientId } = await newClient();
    const body = `client_id=${q(clientId)}&redirect_uri[]=${q(RP_CB)}&redirect_uri[]=${q(EVIL_CB)}&response_type=code&scope=openid&state=s&code_challenge=${pkcePair().challenge}&code_challenge_method=S256`;
    await expectNothingPersisted(provider, async () => {
      const res = await fetch(`${provider.issuer}/authorize`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      expect(res.headers.get('location') ?? '').not.toContain('/interaction/');
      await expectRejected(res, body);
    });
  });

  it('AZ-16: POST /authorize with a JSON body {"client_id":{"$gt":""}} → error page, never a 500, ∅DB', async () => {
    const { clientId } = await newClient();
    await expectNothingPersisted(provider, async () => {
      for (const body of [{ client_id: { $gt: '' } }, { client_id: { $gt: '' }, redirect_uri: RP_CB, response_type: 'code', scope: 'openid', state: 's' }, { client_id: [clientId], redirect_uri: RP_CB, response_type: 'code', scope: 'openid' }]) {
        const res = await fetch(`${provider.issuer}/authorize`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        await expectErrorPage(res);
      }
      const broken = await fetch(`${provider.issuer}/authorize`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json' }, body: '{"client_id":' });
      await expectErrorPage(broken);
    });
  });

  it('AZ-16: POST /authorize with form bodies carrying arrays → error page or invalid_request, never a 500, ∅DB', async () => {
    const a = await newClient();
    const b = await newClient();
    const cc = `code_challenge=${pkcePair().challenge}&code_challenge_method=S256`;
    const post = (body: string) => fetch(`${provider.issuer}/authorize`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    await expectNothingPersisted(provider, async () => {
      // Client-level confusion: error page.
      for (const body of [
        `client_id=${q(a.clientId)}&client_id=${q(b.clientId)}&redirect_uri=${q(RP_CB)}&response_type=code&scope=openid&state=s`,
        `client_id[]=${q(a.clientId)}&client_id[]=${q(b.clientId)}&redirect_uri=${q(RP_CB)}&response_type=code&scope=openid&state=s`,
        `client_id[$gt]=&redirect_uri=${q(RP_CB)}&response_type=code&scope=openid&state=s`,
        `client_id=${q(a.clientId)}&redirect_uri=${q(RP_CB)}&redirect_uri=${q(EVIL_CB)}&response_type=code&scope=openid&state=s&${cc}`,
      ]) {
        await expectErrorPage(await post(body), [EVIL_CB]);
      }
      // Redirectable confusion: invalid_request at the registered URI, no state when state is the duplicated one.
      expectRedirectError(await post(`client_id=${q(a.clientId)}&redirect_uri=${q(RP_CB)}&response_type=code&scope=openid&scope=admin&state=s&${cc}`), RP_CB, 'invalid_request', 's');
      expectRedirectError(await post(`client_id=${q(a.clientId)}&redirect_uri=${q(RP_CB)}&response_type=code&scope=openid&state=s&state=t&${cc}`), RP_CB, 'invalid_request', null);
      expectRedirectError(await post(`client_id=${q(a.clientId)}&redirect_uri=${q(RP_CB)}&response_type=code&scope[$ne]=&state=s&${cc}`), RP_CB, 'invalid_request', 's');
      // Too many parameters: a 4xx invalid_request, not a 500.
      const many = Array.from({ length: 150 }, (_, i) => `p${i}=x`).join('&');
      const res = await post(`client_id=${q(a.clientId)}&${many}`);
      await expectRejected(res, '150 parameters');
    });
  });
});

// ---------------------------------------------------------------------------------------------
// AZ-17
// ---------------------------------------------------------------------------------------------

describe('AZ-17 PKCE required for public clients', () => {
  it('AZ-17: a public client without code_challenge → redirect error=invalid_request (state, iss), ∅DB', async () => {
    const { clientId, clientSecret } = await newClient({ public: true });
    expect(clientSecret).toBeUndefined();
    await expectNothingPersisted(provider, async () => {
      expectRedirectError(await get(base(clientId, { code_challenge: undefined, code_challenge_method: undefined, state: 'st-17' })), RP_CB, 'invalid_request', 'st-17');
    });
  });

  it('AZ-17: also when the user is logged in with consent on record (no code is issued without PKCE), ∅DB', async () => {
    const { clientId, redirectUri } = await newClient({ public: true });
    const { jar, location } = await login(provider, { clientId, redirectUri, username });
    expect(location.searchParams.get('code')).toBeTruthy();
    await expectNothingPersisted(provider, async () => {
      const res = await browse(jar, authorizeUrl(provider, base(clientId, { code_challenge: undefined, code_challenge_method: undefined, state: 'st-17' })));
      expectRedirectError(res, RP_CB, 'invalid_request', 'st-17');
      const empty = await browse(jar, authorizeUrl(provider, base(clientId, { code_challenge: '', code_challenge_method: 'S256', state: 'st-17' })));
      expectRedirectError(empty, RP_CB, 'invalid_request', 'st-17');
    });
  });

  it('AZ-17: control — the public client with an S256 challenge gets a code', async () => {
    const { clientId, redirectUri } = await newClient({ public: true });
    const { location } = await login(provider, { clientId, redirectUri, username });
    expect(location.searchParams.get('code')).toBeTruthy();
    expect(location.searchParams.get('iss')).toBe(provider.issuer);
  });
});

// ---------------------------------------------------------------------------------------------
// AZ-18
// ---------------------------------------------------------------------------------------------

describe('AZ-18 PKCE parameters', () => {
  const good = () => pkcePair().challenge;
  const cases: [string, Record<string, string | undefined>][] = [
    ['code_challenge_method=plain', { code_challenge: good(), code_challenge_method: 'plain' }],
    ['code_challenge_method=plain with a 43-char verifier-like challenge', { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }],
    ['code_challenge_method=S512', { code_challenge: good(), code_challenge_method: 'S512' }],
    ['code_challenge_method=s256 (case)', { code_challenge: good(), code_challenge_method: 's256' }],
    ['code_challenge without a method (defaults to plain)', { code_challenge: good(), code_challenge_method: undefined }],
    ['S256 without a code_challenge', { code_challenge: undefined, code_challenge_method: 'S256' }],
    ['S256 with an empty code_challenge', { code_challenge: '', code_challenge_method: 'S256' }],
    ['a code_challenge of 42 chars', { code_challenge: good().slice(0, 42), code_challenge_method: 'S256' }],
    ['a code_challenge of 44 chars', { code_challenge: `${good()}A`, code_challenge_method: 'S256' }],
    ['a code_challenge of 129 chars', { code_challenge: 'A'.repeat(129), code_challenge_method: 'S256' }],
    ['a code_challenge of 128 chars', { code_challenge: 'A'.repeat(128), code_challenge_method: 'S256' }],
    ['a code_challenge containing +', { code_challenge: `${good().slice(0, 42)}+`, code_challenge_method: 'S256' }],
    ['a code_challenge containing /', { code_challenge: `/${good().slice(1)}`, code_challenge_method: 'S256' }],
    ['a code_challenge containing =', { code_challenge: `${good().slice(0, 42)}=`, code_challenge_method: 'S256' }],
    ['a standard-base64 challenge with padding (44 chars)', { code_challenge: `${good().slice(0, 43)}=`, code_challenge_method: 'S256' }],
    ['a code_challenge with a space', { code_challenge: `${good().slice(0, 21)} ${good().slice(0, 21)}`, code_challenge_method: 'S256' }],
  ];

  for (const [label, extra] of cases) {
    it(`AZ-18: ${label} → invalid_request at the registered URI, no code, ∅DB (confidential and public clients)`, async () => {
      const confidential = await newClient();
      const pub = await newClient({ public: true });
      await expectNothingPersisted(provider, async () => {
        for (const { clientId } of [confidential, pub]) {
          expectRedirectError(await get(base(clientId, { ...extra, state: 'st-18' })), RP_CB, 'invalid_request', 'st-18');
        }
      });
    });
  }

  it('AZ-18: even for a logged-in user with consent on record, a plain challenge yields no code, ∅DB', async () => {
    const { clientId, redirectUri } = await newClient();
    const { jar } = await login(provider, { clientId, redirectUri, username });
    await expectNothingPersisted(provider, async () => {
      const res = await browse(jar, authorizeUrl(provider, base(clientId, { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain', state: 'st-18' })));
      expectRedirectError(res, RP_CB, 'invalid_request', 'st-18');
    });
  });

  it('AZ-18: control — a 43-char base64url S256 challenge starts the login', async () => {
    const { clientId } = await newClient();
    expectLoginStarted(await get(base(clientId, { code_challenge: good(), code_challenge_method: 'S256' })));
  });
});

// ---------------------------------------------------------------------------------------------
// AZ-19
// ---------------------------------------------------------------------------------------------

describe('AZ-19 nonce and implicit/hybrid response types', () => {
  for (const rt of ['id_token', 'code id_token']) {
    it(`AZ-19: response_type=${rt} without nonce, for a client allowed it: invalid_request in the fragment, no token, ∅DB`, async () => {
      const { clientId, redirectUri } = await newClient({ grantTypes: ['authorization_code', 'implicit'], responseTypes: ['code', 'id_token', 'code id_token'] });
      await expectNothingPersisted(provider, async () => {
        const res = await get(base(clientId, { response_type: rt, nonce: undefined, state: 'st-19' }));
        expectRedirectError(res, RP_CB, ['invalid_request'], 'st-19', 'fragment');
      });
      // Logged in with consent on record: still no token, no code.
      const { jar } = await login(provider, { clientId, redirectUri, username });
      await expectNothingPersisted(provider, async () => {
        const res = await browse(jar, authorizeUrl(provider, base(clientId, { response_type: rt, nonce: undefined, state: 'st-19' })));
        expectRedirectError(res, RP_CB, ['invalid_request'], 'st-19', 'fragment');
      });
      // Control: with a nonce, the same request gets its ID token.
      const ok = await browse(jar, authorizeUrl(provider, base(clientId, { response_type: rt, nonce: 'n-19', state: 'st-19' })));
      const fragment = new URLSearchParams(new URL(ok.headers.get('location')!).hash.slice(1));
      expect(fragment.get('id_token')).toBeTruthy();
    });
  }

  it('AZ-19: control — response_type=code WITHOUT nonce succeeds all the way to a code, redeemable, ID token without nonce', async () => {
    const client = await newClient();
    const { location, verifier } = await login(provider, { clientId: client.clientId, redirectUri: client.redirectUri, username, nonce: undefined });
    expect(location.origin + location.pathname).toBe(RP_CB);
    const code = location.searchParams.get('code');
    expect(code).toBeTruthy();
    expect(location.searchParams.get('state')).toBe('state-123');
    expect(location.searchParams.get('iss')).toBe(provider.issuer);
    expect(location.searchParams.has('error')).toBe(false);
    const res = await tokenRequest(provider, { grant_type: 'authorization_code', code: code!, redirect_uri: client.redirectUri, code_verifier: verifier! }, client);
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as { id_token: string };
    const claims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims.nonce).toBeUndefined();
    expect([claims.aud].flat()).toContain(client.clientId);
  });
});
