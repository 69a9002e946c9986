/**
 * The console's users pages (docs/CONSOLE.md) in Chromium against a real provider: searching and
 * paging, creating a user (a refused username first), setting their password and signing in with
 * it, inviting someone by email (an address that has an account first), the keyboard alone, a user's grants and sessions ended from the console (and the tokens
 * then refused by the provider), their second factors listed and removed, deleting, editing the profile and flags. Every state passes
 * axe-core at 375 and 1280 px under the console's real CSP, with no console error.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../support/axe.js';
import { launchBrowser } from '../support/browser.js';
import { heading, openConsole, screenshots } from '../support/console.js';
import { generateSync } from 'otplib';
import { gql, PASSWORD, startProvider, tokensFor, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let browser: Browser;
let admin: { id: string; username: string; password: string };
const scratch = mkdtempSync(join(tmpdir(), 'console-users-'));

/** Stable demo data: more than one page (20) of users, by username. */
const DEMO: [string, string, string, { admin?: boolean; active?: boolean }?][] = [
  ['annie.easley', 'Annie', 'Easley'],
  ['barbara.liskov', 'Barbara', 'Liskov'],
  ['charles.babbage', 'Charles', 'Babbage', { active: false }],
  ['dennis.ritchie', 'Dennis', 'Ritchie'],
  ['donald.knuth', 'Donald', 'Knuth'],
  ['edsger.dijkstra', 'Edsger', 'Dijkstra'],
  ['frances.allen', 'Frances', 'Allen'],
  ['grace.hopper', 'Grace', 'Hopper', { admin: true }],
  ['ivan.sutherland', 'Ivan', 'Sutherland'],
  ['jean.bartik', 'Jean', 'Bartik'],
  ['john.mccarthy', 'John', 'McCarthy'],
  ['karen.sparckjones', 'Karen', 'Spärck Jones'],
  ['ken.thompson', 'Ken', 'Thompson'],
  ['leslie.lamport', 'Leslie', 'Lamport'],
  ['margaret.hamilton', 'Margaret', 'Hamilton', { admin: true }],
  ['niklaus.wirth', 'Niklaus', 'Wirth'],
  ['ole-johan.dahl', 'Ole-Johan', 'Dahl'],
  ['radia.perlman', 'Radia', 'Perlman'],
  ['shafi.goldwasser', 'Shafi', 'Goldwasser'],
  ['sophie.wilson', 'Sophie', 'Wilson'],
  ['tim.berners-lee', 'Tim', 'Berners-Lee'],
  ['vint.cerf', 'Vint', 'Cerf'],
  ['whitfield.diffie', 'Whitfield', 'Diffie'],
  ['yukihiro.matsumoto', 'Yukihiro', 'Matsumoto'],
];

beforeAll(async () => {
  // Invitations on, without a mail server: the mail goes to the log (development).
  [provider, browser] = await Promise.all([startProvider({ JWT_OIDC_PRODUCT_NAME: 'Acme Identity', JWT_OIDC_REGISTRATION: 'invite' }), launchBrowser()]);
  admin = await provider.createUser({ username: 'ada.lovelace', givenName: 'Ada', familyName: 'Lovelace', admin: true });
  await Promise.all(DEMO.map(([username, givenName, familyName, flags]) => provider.createUser({ username, givenName, familyName, email: `${username}@example.com`, ...flags })));
});
afterAll(async () => {
  await browser?.close();
  await provider?.close();
});

/** The usernames in the list's table, in order. */
async function listed(page: Page): Promise<string[]> {
  return page.getByRole('region', { name: 'Users', exact: true }).locator('tbody tr td:first-child').allInnerTexts();
}

/** The error tied to a control (aria-describedby), as a screen reader reads it, once the answer marked it. */
async function errorOf(control: Locator): Promise<string> {
  await expect.poll(() => control.getAttribute('aria-invalid'), { timeout: 10_000 }).toBe('true');
  const ids = (await control.getAttribute('aria-describedby'))!.split(' ');
  const error = ids.find((id) => id.endsWith('-error'))!;
  return control.page().locator(`[id="${error}"]`).innerText();
}

/** Presses Tab until `target` has the focus: the keyboard's way to a control. */
async function tabTo(page: Page, target: Locator, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`Tab never reached ${target}`);
}

async function isFocused(target: Locator): Promise<boolean> {
  return target.evaluate((el) => el === document.activeElement);
}

describe('the users pages', () => {
  it('an administrator searches, pages, creates a user (a taken username first), sets their password, and that user can sign in', async () => {
    const { context, page, console } = await openConsole(browser, provider, admin, '/users');
    await heading(page, 'Users');
    await page.getByRole('link', { name: 'annie.easley' }).waitFor();
    const first = await listed(page);
    expect(first).toHaveLength(20);
    expect(first.slice(0, 3)).toEqual(['ada.lovelace', 'annie.easley', 'barbara.liskov']);
    // The flags as badges: an inactive user and an administrator.
    await expect(page.getByRole('row', { name: /charles\.babbage/ }).getByText('Inactive').count()).resolves.toBe(1);
    await expect(page.getByRole('row', { name: /grace\.hopper/ }).getByText('Admin', { exact: true }).count()).resolves.toBe(1);
    await expectAccessible(page, 'users list');
    await screenshots(page, 'users', scratch);

    // Pages: Next shows the others, Previous the first ones again.
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Page 2').waitFor();
    await page.getByRole('link', { name: 'yukihiro.matsumoto' }).waitFor();
    const second = await listed(page);
    expect(second.length).toBeGreaterThan(0);
    expect(second.filter((u) => first.includes(u))).toEqual([]);
    expect([...first, ...second]).toEqual([...first, ...second].toSorted());
    await expect(page.getByRole('button', { name: 'Next' }).isDisabled()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Previous' }).click();
    await page.getByText('Page 1').waitFor();
    await page.getByRole('link', { name: 'annie.easley' }).waitFor();
    expect(await listed(page)).toEqual(first);

    // Search: by part of a name, kept in the URL.
    await page.getByLabel('Search users').fill('hopp');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('heading', { name: 'Users matching “hopp”' }).waitFor();
    await expect.poll(() => listed(page)).toEqual(['grace.hopper']);
    expect(new URL(page.url()).searchParams.get('search')).toBe('hopp');
    await page.getByLabel('Search users').fill('nobody-like-this');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('No user matches “nobody-like-this”.').waitFor();
    await page.getByRole('button', { name: 'Show all users' }).click();
    await page.getByRole('link', { name: 'annie.easley' }).waitFor();

    // Create: a username that exists is refused beside the field, with what was typed kept.
    const toggle = page.getByRole('button', { name: 'New user' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    const form = page.getByRole('region', { name: 'Create a user' });
    await form.getByLabel('Username').fill('grace.hopper');
    await form.getByLabel('Email').fill('mary.keller@example.com');
    await form.getByLabel('Given name').fill('Mary Kenneth');
    await form.getByLabel('Family name').fill('Keller');
    await form.getByRole('button', { name: 'Create user' }).click();
    await form.locator('.field-error').first().waitFor();
    expect(await errorOf(form.getByLabel('Username'))).toBe('A user named "grace.hopper" already exists.');
    expect(await isFocused(form.getByLabel('Username'))).toBe(true);
    expect(await form.getByLabel('Email').inputValue()).toBe('mary.keller@example.com');
    expect(await form.getByLabel('Given name').inputValue()).toBe('Mary Kenneth');
    expect(await form.getByLabel('Family name').inputValue()).toBe('Keller');
    await expectAccessible(page, 'create form with an error');

    // Without a password: created, and told that they cannot sign in with one yet.
    await form.getByLabel('Username').fill('mary.keller');
    await form.getByRole('button', { name: 'Create user' }).click();
    await heading(page, 'mary.keller');
    expect(new URL(page.url()).pathname).toMatch(/^\/admin\/users\/[^/]+$/);
    await page.getByText('Created mary.keller. They cannot sign in with a password until one is set below.').waitFor();
    await page.getByText('None: cannot sign in with a password').waitFor();

    // The password: too short first, refused beside the field; then set.
    const password = 'analytical engine 1843';
    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Set password' }).click();
    expect(await errorOf(page.getByLabel('New password', { exact: true }))).toBe('Use at least 8 characters.');
    await page.getByLabel('New password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('Password set. Their sessions and grants have ended.').waitFor();
    await page.getByRole('definition').getByText('Set', { exact: true }).waitFor();
    expect(await page.getByLabel('New password', { exact: true }).inputValue()).toBe('');
    await expectAccessible(page, 'user page');
    console.assertNone();

    // A second browser signs in to the console as the new user: the password works, and they are not an administrator.
    const other = await openConsole(browser, provider, { username: 'mary.keller', password });
    await heading(other.page, 'Not an administrator');
    await other.page.getByText('You are signed in as mary.keller, who is not an administrator').waitFor();
    other.console.assertNone();
    await other.context.close();
    await context.close();
  });

  it('invites someone: an address that has an account is refused beside the field, then "Invitation sent to …, valid until …"', async () => {
    const { context, page, console } = await openConsole(browser, provider, admin, '/users');
    await heading(page, 'Users');
    const toggle = page.getByRole('button', { name: 'Invite', exact: true });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    const form = page.getByRole('region', { name: 'Invite someone' });
    await form.getByRole('button', { name: 'Send the invitation' }).click();
    expect(await errorOf(form.getByLabel('Email'))).toBe('Enter the email address to invite.');
    await form.getByLabel('Email').fill('annie.easley@example.com');
    await form.getByRole('button', { name: 'Send the invitation' }).click();
    await form.getByText('A user has this email address already.').waitFor();
    expect(await errorOf(form.getByLabel('Email'))).toBe('A user has this email address already.');
    expect(await isFocused(form.getByLabel('Email'))).toBe(true);
    await expectAccessible(page, 'invite form with an error');

    await form.getByLabel('Email').fill('katherine.johnson@example.com');
    await form.getByLabel('Administrator').check();
    await form.getByRole('button', { name: 'Send the invitation' }).click();
    await page.getByRole('status').getByText(/^Invitation sent to katherine\.johnson@example\.com \(administrator\), valid until .+\.$/).waitFor();
    expect(await page.getByRole('region', { name: 'Invite someone' }).count()).toBe(0);
    await expectAccessible(page, 'invitation sent');
    console.assertNone();
    await context.close();
  });

  it('the create-user form works with the keyboard alone', async () => {
    const { context, page, console } = await openConsole(browser, provider, admin, '/users');
    await heading(page, 'Users');
    await page.getByRole('link', { name: 'annie.easley' }).waitFor();
    await tabTo(page, page.getByRole('button', { name: 'New user' }));
    await page.keyboard.press('Enter');
    const form = page.getByRole('region', { name: 'Create a user' });
    await form.waitFor();
    // The form opens with the focus in its first field.
    await expect.poll(() => isFocused(form.getByLabel('Username'))).toBe(true);
    await page.keyboard.type('evelyn.boyd');
    await page.keyboard.press('Tab');
    await page.keyboard.type('evelyn.boyd@example.com');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Evelyn');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Boyd Granville');
    await page.keyboard.press('Tab');
    expect(await isFocused(form.getByLabel('Password (optional)'))).toBe(true);
    await page.keyboard.type('twelve characters');
    await tabTo(page, form.getByRole('checkbox', { name: 'Administrator' }));
    await page.keyboard.press('Space');
    expect(await form.getByRole('checkbox', { name: 'Administrator' }).isChecked()).toBe(true);
    await page.keyboard.press('Tab');
    expect(await isFocused(form.getByRole('button', { name: 'Create user' }))).toBe(true);
    await page.keyboard.press('Enter');
    await heading(page, 'evelyn.boyd');
    await page.getByText('Created evelyn.boyd.', { exact: true }).waitFor();
    // The heading has the focus after the navigation, for a screen reader to announce the page.
    expect(await isFocused(page.getByRole('heading', { level: 1 }))).toBe(true);
    await page.locator('main .users-badges').getByText('Admin', { exact: true }).waitFor();

    // The new user appears in the list, found by the keyboard's search.
    await tabTo(page, page.getByRole('link', { name: 'All users' }));
    await page.keyboard.press('Enter');
    await heading(page, 'Users');
    await tabTo(page, page.getByLabel('Search users'));
    await page.keyboard.type('evelyn');
    await page.keyboard.press('Enter');
    await expect.poll(() => listed(page)).toEqual(['evelyn.boyd']);
    console.assertNone();
    await context.close();
  });

  it("a user's grant and session are listed and ended from the console; the provider then refuses the grant's token", async () => {
    const user = await provider.createUser({ username: 'katherine.johnson', givenName: 'Katherine', familyName: 'Johnson', locale: 'en-US' });
    const client = await provider.createClient({ name: 'Shop', redirectUris: ['https://shop.example/callback'] });
    const tokens = await tokensFor(provider, client, user);
    const userinfo = () => fetch(`${provider.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect((await userinfo()).status).toBe(200);

    const { context, page, console } = await openConsole(browser, provider, admin, `/users/${user.id}`);
    await heading(page, 'katherine.johnson');
    const grants = page.getByRole('region', { name: 'Grants', exact: true });
    const sessions = page.getByRole('region', { name: 'Sessions', exact: true });
    const grantRow = grants.getByRole('row').filter({ hasText: client.clientId });
    await grantRow.waitFor();
    expect(await grantRow.innerText()).toMatch(/openid profile email offline_access/);
    await grantRow.getByText('Active', { exact: true }).waitFor();
    await expect(sessions.locator('tbody tr').count()).resolves.toBe(1);
    expect(await sessions.locator('tbody tr').innerText()).toMatch(/pwd/);
    await expectAccessible(page, 'user page with a grant and a session');
    await screenshots(page, 'user', scratch);

    // Revoke, through the dialog that says what it ends.
    await grantRow.getByRole('button', { name: /^Revoke grant \S+ for / }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.innerText()).toMatch(/refresh and access tokens stop working/);
    await expectAccessible(page, 'revoke-grant dialog');
    await dialog.getByRole('button', { name: 'Revoke grant' }).click();
    await page.getByText(`Grant for ${client.clientId} revoked: its refresh and access tokens no longer work.`).waitFor();
    await grantRow.getByText('Revoked', { exact: true }).waitFor();
    await expect(grantRow.getByRole('button', { name: /^Revoke grant \S+ for / }).count()).resolves.toBe(0);
    expect((await userinfo()).status).toBe(401);
    // The revoked and active badges hold their contrast in the dark scheme too.
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible(page, 'user page with a revoked grant, dark scheme');
    await page.emulateMedia({ colorScheme: 'light' });
    const refused = await fetch(`${provider.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }),
    });
    expect(refused.status).toBe(400);

    // End the session: gone from the list (and from the API).
    await sessions.getByRole('button', { name: 'End session' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'End session' }).click();
    await page.getByText('No live sessions.').waitFor();
    await page.getByText(/^Session .* ended: that browser must sign in again\.$/).waitFor();
    await expectAccessible(page, 'user page after ending the session');
    console.assertNone();
    await context.close();
  });

  it('deleting a user asks first: Cancel keeps them, confirming deletes them', async () => {
    const user = await provider.createUser({ username: 'hedy.lamarr', givenName: 'Hedy', familyName: 'Lamarr' });
    const { context, page, console } = await openConsole(browser, provider, admin, `/users/${user.id}`);
    await heading(page, 'hedy.lamarr');
    await page.getByRole('button', { name: 'Delete user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete hedy.lamarr?' });
    await dialog.waitFor();
    expect(await dialog.innerText()).toMatch(/sessions and grants end[\s\S]*cannot be undone/);
    // The safe choice has the focus.
    expect(await isFocused(dialog.getByRole('button', { name: 'Cancel' }))).toBe(true);
    await expectAccessible(page, 'delete dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.reload();
    await heading(page, 'hedy.lamarr');

    await page.getByRole('button', { name: 'Delete user' }).click();
    await dialog.getByRole('button', { name: 'Delete user' }).click();
    await heading(page, 'Users');
    expect(new URL(page.url()).pathname).toBe('/admin/users');
    await page.getByText('Deleted hedy.lamarr.').waitFor();
    await page.getByRole('link', { name: 'annie.easley' }).waitFor();
    await expect(page.getByRole('link', { name: 'hedy.lamarr' }).count()).resolves.toBe(0);

    // Its page is gone, and says so.
    await page.goto(`${provider.issuer}/admin/users/${user.id}`);
    await heading(page, 'No such user');
    await expectAccessible(page, 'no such user');
    console.assertNone();
    await context.close();
  });

  it('lists a user\'s second factors, removes one after a confirmation, then resets the rest: the dialogs say what stops working; the list follows', async () => {
    // A user with two authenticator apps, enrolled through the account API as the account page does.
    const user = await provider.createUser({ username: 'gladys.west', password: PASSWORD });
    const app = await provider.createClient({ firstParty: true });
    const token = (await tokensFor(provider, app, user, 'openid profile')).access_token;
    for (const name of ['Phone', 'Tablet']) {
      const started = (await gql(provider, 'mutation($c: String!) { startTotpEnrolment(currentPassword: $c) { id secret } }', { c: PASSWORD }, token)).body.data.startTotpEnrolment;
      const code = generateSync({ secret: started.secret, epoch: Math.floor(Date.now() / 1000) });
      const confirmed = await gql(provider, 'mutation($id: ID!, $code: String!, $name: String!) { confirmTotpEnrolment(id: $id, code: $code, name: $name) }', { id: started.id, code, name }, token);
      expect(confirmed.body.errors, confirmed.text).toBeUndefined();
    }
    const factors = async () => (await gql(provider, '{ me { factors { name } } }', undefined, token)).body.data.me.factors.map((f: { name: string }) => f.name);
    expect(await factors()).toEqual(['Phone', 'Tablet']);

    const { context, page, console } = await openConsole(browser, provider, admin, `/users/${user.id}`);
    await heading(page, 'gladys.west');
    const table = page.getByRole('region', { name: 'Second factors' });
    const rows = () => table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).slice(0, 4).map((td, i) => (i === 2 ? 'date' : (td.textContent ?? '')))));
    await table.waitFor();
    expect(await rows()).toEqual([
      ['Authenticator app', 'Phone', 'date', 'Never'],
      ['Authenticator app', 'Tablet', 'date', 'Never'],
    ]);
    await page.getByText('10 recovery codes left.').waitFor();
    await expectAccessible(page, 'two-step: two factors');

    // One factor: named in its button and its dialog; Cancel keeps it.
    await page.getByRole('button', { name: 'Remove authenticator app Phone' }).click();
    const removeDialog = page.getByRole('dialog', { name: 'Remove “Phone” from gladys.west\'s second factors?' });
    await removeDialog.waitFor();
    await expectAccessible(page, 'remove factor dialog');
    await removeDialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await factors()).toEqual(['Phone', 'Tablet']);
    await page.getByRole('button', { name: 'Remove authenticator app Phone' }).click();
    await removeDialog.getByRole('button', { name: 'Remove factor' }).click();
    await page.getByRole('status').filter({ hasText: 'Removed “Phone” from gladys.west\'s second factors.' }).waitFor();
    await expect.poll(rows).toEqual([['Authenticator app', 'Tablet', 'date', 'Never']]);
    expect(await factors()).toEqual(['Tablet']);
    // The last one's dialog says the recovery codes go with it.
    await page.getByRole('button', { name: 'Remove authenticator app Tablet' }).click();
    const lastDialog = page.getByRole('dialog', { name: 'Remove “Tablet” from gladys.west\'s second factors?' });
    expect(await lastDialog.innerText()).toMatch(/their recovery codes go too/);
    await lastDialog.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: 'Reset two-step sign-in' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reset the two-step sign-in of gladys.west?' });
    await dialog.waitFor();
    expect(await dialog.innerText()).toMatch(/recovery codes stop working/);
    await expectAccessible(page, 'reset two-step dialog');
    await dialog.getByRole('button', { name: 'Remove their second factors' }).click();
    await page.getByRole('status').filter({ hasText: 'Removed the second factor and the recovery codes of gladys.west' }).waitFor();
    expect(await factors()).toEqual([]);
    await page.getByText('No second factor: they sign in with their password only.').waitFor();
    expect(await table.count()).toBe(0);
    await expectAccessible(page, 'two-step: no factor');
    // Again: nothing left to remove, and it says so.
    await page.getByRole('button', { name: 'Reset two-step sign-in' }).click();
    await dialog.getByRole('button', { name: 'Remove their second factors' }).click();
    await page.getByRole('status').filter({ hasText: 'gladys.west had no second factor' }).waitFor();
    console.assertNone();
    await context.close();
  });

  it('edits the profile and makes a user an administrator; the change is there after a reload', async () => {
    const user = await provider.createUser({ username: 'alan.turing', givenName: 'Alan', email: 'alan@example.com' });
    const { context, page, console } = await openConsole(browser, provider, admin, `/users/${user.id}`);
    await heading(page, 'alan.turing');
    const profile = page.getByRole('region', { name: 'Profile' });
    await profile.getByLabel('Family name').fill('Turing');
    await profile.getByLabel('Locale').fill(' en-GB ');
    await profile.getByLabel('Email', { exact: true }).fill('');
    await profile.getByLabel('Picture').fill('not a link');
    await profile.getByRole('checkbox', { name: 'Administrator' }).check();
    await profile.getByRole('button', { name: 'Save changes' }).click();
    expect(await errorOf(profile.getByLabel('Picture'))).toBe('Must be an http(s) URL.');
    expect(await profile.getByLabel('Family name').inputValue()).toBe('Turing');
    expect(await profile.getByRole('checkbox', { name: 'Administrator' }).isChecked()).toBe(true);
    await expectAccessible(page, 'profile form with an error');
    // Nothing was saved: the API took all or nothing.
    expect(await page.locator('main .users-badges').innerText()).not.toContain('Admin');

    await profile.getByLabel('Picture').fill('https://example.com/alan.png');
    await profile.getByRole('button', { name: 'Save changes' }).click();
    await profile.getByText('Saved.', { exact: true }).waitFor();
    await expect(profile.getByLabel('Picture').getAttribute('aria-invalid')).resolves.toBeNull();

    await page.reload();
    await heading(page, 'alan.turing');
    await page.locator('main .users-badges').getByText('Admin', { exact: true }).waitFor();
    expect(await profile.getByLabel('Family name').inputValue()).toBe('Turing');
    expect(await profile.getByLabel('Locale').inputValue()).toBe('en-GB');
    expect(await profile.getByLabel('Email', { exact: true }).inputValue()).toBe('');
    expect(await profile.getByLabel('Picture').inputValue()).toBe('https://example.com/alan.png');
    expect(await profile.getByRole('checkbox', { name: 'Administrator' }).isChecked()).toBe(true);
    expect(await page.getByRole('definition').filter({ hasText: 'Alan Turing' }).count()).toBe(1);

    // Saving again without a change sends nothing.
    await profile.getByRole('button', { name: 'Save changes' }).click();
    await profile.getByText('Nothing changed.').waitFor();

    // Removing the password (the API's null), through the dialog that says what it ends.
    await page.getByRole('button', { name: 'Remove password' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove the password of alan.turing?' });
    expect(await dialog.innerText()).toMatch(/can no longer sign in with a password/);
    await dialog.getByRole('button', { name: 'Remove password' }).click();
    await page.getByText('Password removed. Their sessions and grants have ended.').waitFor();
    await page.getByText('None: cannot sign in with a password').waitFor();
    await expect(page.getByRole('button', { name: 'Remove password' }).count()).resolves.toBe(0);
    console.assertNone();
    await context.close();
  });
});
