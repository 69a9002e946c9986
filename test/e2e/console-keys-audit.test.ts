/**
 * The console's signing keys and audit pages (docs/CONSOLE.md) in Chromium against a real
 * provider: each key family on its timeline, a rotation cancelled, started and forced (checked
 * against `keyRotationStatus` and /jwks); audit events arriving live without a reload, filtered
 * by type, client, actor and time (since inclusive, until exclusive), older ones a page at a
 * time. Every state passes axe-core at 375 and 1280 px under the console's CSP, with no console
 * error.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../support/axe.js';
import { launchBrowser } from '../support/browser.js';
import { heading, openConsole, screenshots, signInOnProviderPage } from '../support/console.js';
import { adminUserTokens, authorizeUrl, browse, clientToken, CookieJar, formOf, gql, pkcePair, postForm, startProvider, tokensFor, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let browser: Browser;
let scratch: string;
/** An administrator's access token for checking what the pages show against the API. */
let adminToken: string;

beforeAll(async () => {
  [provider, browser] = await Promise.all([startProvider({ JWT_OIDC_PRODUCT_NAME: 'Acme Identity' }), launchBrowser()]);
  scratch = mkdtempSync(join(tmpdir(), 'console-keys-audit-'));
  const admin = await adminUserTokens(provider);
  adminToken = admin.tokens.access_token;
});
afterAll(async () => {
  await browser?.close();
  await provider?.close();
});

interface Family {
  family: string;
  activeKid: string | null;
  keys: { kid: string; state: string }[];
}

async function keyStatus(): Promise<Family[]> {
  const r = await gql(provider, '{ keyRotationStatus { family activeKid keys { kid state } } }', undefined, adminToken);
  expect(r.body.errors, r.text).toBeUndefined();
  return r.body.data.keyRotationStatus;
}

/** What a rotation may change: which keys there are, in which state, which one signs. */
const shape = (families: Family[]) => families.map((f) => ({ family: f.family, activeKid: f.activeKid, keys: f.keys.map((k) => `${k.kid}:${k.state}`).sort() }));

/** A browser at the provider's login page types a wrong password (or an unknown username): 401, a `login.failure`. */
async function failLogin(client: { clientId: string; redirectUri: string }, username: string): Promise<void> {
  const jar = new CookieJar();
  const url = authorizeUrl(provider, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid', state: 's-1', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
  const started = await browse(jar, url);
  expect(started.status).toBe(303);
  const interaction = new URL(started.headers.get('location')!, url);
  const page = await browse(jar, interaction.toString());
  const { action, csrf } = formOf(await page.text());
  const res = await postForm(jar, new URL(action, interaction).toString(), { csrf, username, password: 'not the password at all' });
  expect(res.status).toBe(401);
}

/** A client_credentials request with a wrong secret: a `token.refused`. */
async function refusedToken(clientId: string): Promise<void> {
  const res = await fetch(`${provider.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:wrong-secret`).toString('base64')}` }, body: 'grant_type=client_credentials' });
  expect(res.status).toBe(401);
}

/** The events the API keeps for `filter` (they are written in batches, so wait for `count`). */
async function keptEvents(filter: string, count: number): Promise<{ id: string; time: string; event: string }[]> {
  const end = Date.now() + 10_000;
  for (;;) {
    const r = await gql(provider, `{ auditEvents(filter: ${filter}, first: 100) { edges { node { id time event } } } }`, undefined, adminToken);
    expect(r.body.errors, r.text).toBeUndefined();
    const nodes = r.body.data.auditEvents.edges.map((e: { node: unknown }) => e.node);
    if (nodes.length >= count) return nodes;
    if (Date.now() > end) throw new Error(`only ${nodes.length} of ${count} events for ${filter}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Does `act` until `row` shows up on the page: an event streamed to the page while the page was
 * already subscribing may precede the moment the server starts listening, so one may be missed.
 */
async function untilShown(page: Page, selector: ReturnType<Page['locator']>, act: () => Promise<unknown>): Promise<void> {
  for (let attempt = 0; attempt < 6; attempt++) {
    await act();
    try {
      await selector.first().waitFor({ timeout: 2500 });
      return;
    } catch {
      // not yet: the subscription may not have been listening; act again
    }
  }
  throw new Error(`never shown: ${selector}`);
}

/** The event column of every row of the events table. */
const eventCells = (page: Page) => page.locator('table.audit-table tbody tr td:nth-child(2)').allInnerTexts();

/**
 * A datetime-local value for `iso` in the browser's own time zone, normalised as the browser
 * gives it back (HTML's valid normalized local date and time string: seconds omitted when zero).
 */
const localValue = (page: Page, iso: string) =>
  page.evaluate((iso) => {
    const d = new Date(iso);
    const two = (n: number) => String(n).padStart(2, '0');
    const seconds = d.getSeconds() === 0 ? '' : `:${two(d.getSeconds())}`;
    return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}${seconds}`;
  }, iso);

/** The variables of the console's audit queries, as the page sent them. */
function auditQueries(page: Page): { filter?: Record<string, unknown>; after?: string }[] {
  const sent: { filter?: Record<string, unknown>; after?: string }[] = [];
  page.on('request', (r) => {
    if (!r.url().endsWith('/graphql') || r.method() !== 'POST') return;
    const body = r.postDataJSON() as { operationName?: string; variables?: Record<string, unknown> } | null;
    if (body?.operationName === 'ConsoleAuditEvents') sent.push(body.variables ?? {});
  });
  return sent;
}

describe('the signing keys page', () => {
  it('shows each family with its active key; Rotate cancelled changes nothing, confirmed publishes a pending key; Rotate now makes it sign', async () => {
    const admin = await provider.createUser({ admin: true, username: 'ada.lovelace' });
    const { context, page, console } = await openConsole(browser, provider, admin, '/keys');
    await heading(page, 'Signing keys');
    const before = await keyStatus();
    // ES256 by default, and RS256 always (OIDC Discovery §3).
    expect(before.map((f) => f.family).sort()).toEqual(['primary', 'rs256']);
    for (const f of before) {
      const section = page.locator('section', { has: page.getByRole('heading', { level: 2, name: new RegExp(`^${f.family}\\b`) }) });
      await section.waitFor();
      await expect(section.locator('tr', { hasText: f.activeKid! }).locator('td').nth(1).innerText()).resolves.toBe('active');
      await expect(section.getByText(f.activeKid!, { exact: true }).first().isVisible()).resolves.toBe(true);
    }
    // The drawing is decorative; the table carries the facts.
    await expect(page.locator('.keys-tl[aria-hidden="true"] svg').count()).resolves.toBeGreaterThanOrEqual(2);
    await expectAccessible(page, 'keys');

    // Rotate, cancelled: the dialog names the consequence; nothing changes.
    await page.getByRole('button', { name: 'Rotate', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate the signing keys?' });
    await dialog.waitFor();
    await expect(dialog.innerText()).resolves.toMatch(/starts signing only after the usual delay/);
    await expectAccessible(page, 'rotate dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(shape(await keyStatus())).toEqual(shape(before));

    // Rotate, confirmed: a successor per family, published and pending, on the page too.
    await page.getByRole('button', { name: 'Rotate', exact: true }).click();
    await dialog.getByRole('button', { name: 'Rotate', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Rotation started' }).waitFor();
    const rotated = await keyStatus();
    const pendingKids: string[] = [];
    for (const f of rotated) {
      const was = before.find((b) => b.family === f.family)!;
      expect(f.activeKid).toBe(was.activeKid);
      const added = f.keys.filter((k) => !was.keys.some((w) => w.kid === k.kid));
      expect(added.map((k) => k.state)).toEqual(['pending']);
      pendingKids.push(added[0].kid);
      await page.locator('tr', { hasText: added[0].kid }).locator('td').nth(1).getByText('pending', { exact: true }).waitFor();
    }

    // Rotate now: the pending successors sign at once; the old keys are retired, still published.
    await page.getByRole('button', { name: 'Rotate now', exact: true }).click();
    const now = page.getByRole('dialog', { name: 'Rotate the signing keys now?' });
    await now.waitFor();
    await expect(now.innerText()).resolves.toMatch(/may reject new tokens until they fetch it again[\s\S]*Tokens already issued stay valid until they expire/);
    await expectAccessible(page, 'rotate now dialog');
    await now.getByRole('button', { name: 'Rotate now', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Keys rotated' }).waitFor();
    const after = await keyStatus();
    const jwks = (await (await fetch(`${provider.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    for (const f of after) {
      const was = before.find((b) => b.family === f.family)!;
      expect(pendingKids).toContain(f.activeKid);
      expect(f.keys.find((k) => k.kid === was.activeKid)?.state).toBe('retired');
      expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([f.activeKid, was.activeKid]));
      await page.locator('tr', { hasText: f.activeKid! }).locator('td').nth(1).getByText('active', { exact: true }).waitFor();
      await page.locator('tr', { hasText: was.activeKid! }).locator('td').nth(1).getByText('retired', { exact: true }).waitFor();
    }

    // Once more, scheduled: every phase on the timeline at once, for the screenshots.
    await page.getByRole('button', { name: 'Rotate', exact: true }).click();
    await dialog.getByRole('button', { name: 'Rotate', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Rotation started' }).waitFor();
    await page.locator('.keys-family').first().locator('tr', { hasText: 'pending' }).waitFor();
    await expectAccessible(page, 'keys after rotations');
    await screenshots(page, 'keys', scratch);
    console.assertNone();
    await context.close();
  });
});

describe('the audit events page', () => {
  it('shows new events live without a reload, filters by type, and pages into the past', async () => {
    const admin = await provider.createUser({ admin: true, username: 'grace.hopper' });
    const ada = await provider.createUser({ username: 'ada.lovelace.audit', givenName: 'Ada', familyName: 'Lovelace' });
    const portal = await provider.createClient({ name: 'Acme Portal', redirectUris: ['https://portal.acme.example/callback'] });
    const exporter = await provider.createClient({ name: 'Nightly export', grantTypes: ['client_credentials'] });
    const reporting = await provider.createClient({ name: 'Reporting', grantTypes: ['client_credentials'] });
    const { context, page, console } = await openConsole(browser, provider, admin, '/audit');
    const sent = auditQueries(page);
    await heading(page, 'Audit events');
    await page.getByRole('status').filter({ hasText: /^Live:/ }).waitFor();
    await page.locator('table.audit-table').waitFor();
    // Gone if the document is loaded again.
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    const sameDocument = () => page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument === true);
    const queried = sent.length;

    // A failed login at the provider appears at the top, marked new, without a reload.
    await untilShown(page, page.locator('tr.audit-fresh', { hasText: 'login.failure' }), () => failLogin(portal, 'ada.lovelace.audit'));
    const failure = page.locator('tr.audit-fresh', { hasText: 'login.failure' }).first();
    await expect(failure.innerText()).resolves.toContain(portal.clientId);
    await expect(page.getByRole('status').filter({ hasText: /new since the list loaded/ }).count()).resolves.toBe(1);

    // A realistic mix, all live: a sign-in with its tokens, an administrator's mutation, a
    // service's token and a refused one.
    await tokensFor(provider, portal, ada);
    const created = await gql(provider, 'mutation { createUser(input: { username: "charles.babbage", password: "difference engine no 2" }) { id } }', undefined, adminToken);
    expect(created.body.errors, created.text).toBeUndefined();
    await clientToken(provider, exporter);
    await refusedToken(exporter.clientId);
    for (const type of ['login.success', 'graphql.mutation', 'token.refused']) await page.locator('tr.audit-fresh', { hasText: type }).first().waitFor();
    // Live, not fetched again: the same document, no new query.
    await expect(sameDocument()).resolves.toBe(true);
    expect(sent.length).toBe(queried);
    // The details of an event, compact, behind a disclosure.
    const mutation = page.locator('tr', { hasText: 'graphql.mutation' }).first();
    await mutation.getByText(/\d+ fields/).click();
    await expect(mutation.locator('pre').innerText()).resolves.toContain('fields: ["createUser"]');
    await expectAccessible(page, 'audit events, live');
    await screenshots(page, 'audit', scratch);

    // Only failed logins: the query asks for them, and live events of other types stay away.
    await page.getByText('Event types:').click();
    await page.getByRole('checkbox', { name: 'login.failure' }).check();
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await page.waitForURL((u) => u.search === '?type=login.failure');
    await expect.poll(async () => [...new Set(await eventCells(page))]).toEqual(['login.failure']);
    expect(sent.at(-1)!.filter).toEqual({ types: ['login.failure'] });
    await untilShown(page, page.locator('tr.audit-fresh', { hasText: 'login.failure' }), async () => {
      await clientToken(provider, reporting);
      await failLogin(portal, `mallory-${Math.random().toString(36).slice(2, 8)}`);
    });
    expect(new Set(await eventCells(page))).toEqual(new Set(['login.failure']));
    await expectAccessible(page, 'audit events filtered by type');

    // Older events: 25 of one client, 20 at first, the other 5 appended.
    for (let i = 0; i < 24; i++) await clientToken(provider, exporter);
    await keptEvents(`{ client: "${exporter.clientId}", types: ["token.issued"] }`, 25);
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.waitForURL((u) => u.search === '');
    await page.getByText('Event types:').click();
    await page.getByRole('checkbox', { name: 'token.issued' }).check();
    await page.getByRole('textbox', { name: 'Client' }).fill(exporter.clientId);
    await page.getByRole('button', { name: 'Apply filter' }).click();
    const rows = page.locator('table.audit-table tbody tr');
    const clients = () => page.locator('table.audit-table tbody tr td:nth-child(5)').allInnerTexts();
    await expect.poll(() => sent.at(-1)?.filter).toEqual({ types: ['token.issued'], client: exporter.clientId });
    await expect.poll(async () => [...new Set(await clients())]).toEqual([exporter.clientId]);
    await expect.poll(() => rows.count()).toBe(20);
    await page.getByRole('button', { name: 'Older events' }).click();
    await expect.poll(() => rows.count()).toBe(25);
    await page.getByText('No older events match this filter.').waitFor();
    await page.getByRole('status').filter({ hasText: '5 older events added at the end.' }).waitFor();
    expect(new Set(await clients())).toEqual(new Set([exporter.clientId]));
    expect(sent.at(-1)!.after).toBeTruthy();
    // Newest first throughout, each once.
    const times = await rows.locator('time').evaluateAll((els) => els.map((e) => Date.parse(e.getAttribute('datetime')!)));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    await expect(sameDocument()).resolves.toBe(true);
    console.assertNone();
    await context.close();
  });

  it('since, until and actor narrow the query: events before and after a moment, of one administrator', async () => {
    const admin = await provider.createUser({ admin: true, username: 'katherine.johnson' });
    // An administrator of the API whose only mutations are these two.
    const api = await adminUserTokens(provider);
    const actor = api.user.id;
    const token = api.tokens.access_token;
    // Before the moment: a mutation by the API's administrator; after it: another, and a service's token.
    await gql(provider, 'mutation { createUser(input: { username: "dorothy.vaughan", password: "fortran for everyone" }) { id } }', undefined, token);
    const [earlier] = await keptEvents(`{ actor: "${actor}", types: ["graphql.mutation"] }`, 1);
    const moment = new Date(Math.floor(Date.parse(earlier.time) / 1000) * 1000 + 1000);
    while (Date.now() <= moment.getTime() + 20) await new Promise((r) => setTimeout(r, 25));
    await gql(provider, 'mutation { createClient(input: { name: "Mission planning", redirectUris: ["https://planning.example/cb"] }) { client { id } } }', undefined, token);
    const mine = await keptEvents(`{ actor: "${actor}", types: ["graphql.mutation"] }`, 2);
    expect(Date.parse(mine[0].time)).toBeGreaterThanOrEqual(moment.getTime());
    expect(Date.parse(mine[1].time)).toBeLessThan(moment.getTime());

    const { context, page, console } = await openConsole(browser, provider, admin, '/audit');
    const sent = auditQueries(page);
    await heading(page, 'Audit events');
    await page.locator('table.audit-table').waitFor();
    const rows = page.locator('table.audit-table tbody tr');
    const fields = () => rows.locator('pre').allTextContents();

    // One administrator's mutations: both.
    await page.getByText('Event types:').click();
    await page.getByRole('checkbox', { name: 'graphql.mutation' }).check();
    await page.getByLabel('Actor').fill(actor);
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await expect.poll(() => rows.count()).toBe(2);
    const both = await fields();
    expect(both[0]).toContain('createClient');
    expect(both[1]).toContain('createUser');
    expect(sent.at(-1)!.filter).toEqual({ types: ['graphql.mutation'], actor: actor });

    // Since the moment (inclusive): only the later one, asked of the server as that instant.
    const local = await localValue(page, moment.toISOString());
    await page.getByLabel('Since').fill(local);
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    expect((await fields())[0]).toContain('createClient');
    expect(sent.at(-1)!.filter).toEqual({ types: ['graphql.mutation'], actor: actor, since: moment.toISOString() });
    expect(new URL(page.url()).searchParams.get('since')).toBe(moment.toISOString());

    // Until before since: said beside the field, nothing asked.
    const asked = sent.length;
    await page.getByLabel('Until').fill(local);
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await page.getByText('Until must be after since.').waitFor();
    await expect(page.getByLabel('Until').getAttribute('aria-invalid')).resolves.toBe('true');
    expect(sent.length).toBe(asked);
    await expectAccessible(page, 'audit filter with an error');

    // Until the moment (exclusive): only the earlier one; a period in the past is not live.
    await page.getByLabel('Since').fill('');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await expect.poll(() => sent.at(-1)?.filter).toEqual({ types: ['graphql.mutation'], actor: actor, until: moment.toISOString() });
    await expect.poll(() => rows.count()).toBe(1);
    expect((await fields())[0]).toContain('createUser');
    await page.getByRole('status').filter({ hasText: 'Not live: the chosen period has ended.' }).waitFor();

    // The filter is in the URL: back returns to the previous one, form and list, and a reload
    // (signing in again, silently or on the login page) keeps it.
    await page.goBack();
    await expect.poll(() => page.getByLabel('Since').inputValue()).toBe(local);
    await expect(page.getByLabel('Until').inputValue()).resolves.toBe('');
    await expect.poll(async () => (await fields()).join()).toContain('createClient');
    await page.reload();
    const username = page.getByLabel('Username');
    await Promise.race([heading(page, 'Audit events'), username.waitFor()]);
    if (await username.isVisible()) await signInOnProviderPage(page, admin);
    await heading(page, 'Audit events');
    await expect.poll(() => rows.count()).toBe(1);
    expect((await fields())[0]).toContain('createClient');
    await expect(page.getByLabel('Actor').inputValue()).resolves.toBe(actor);
    await expect(page.getByLabel('Since').inputValue()).resolves.toBe(local);
    await expect(page.getByRole('checkbox', { name: 'graphql.mutation' }).isChecked()).resolves.toBe(true);
    await expectAccessible(page, 'audit filtered by actor and time');
    console.assertNone();
    await context.close();
  });
});
