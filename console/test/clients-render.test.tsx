/**
 * The client form and pages as HTML (react-dom/server): every option a labelled control, problems
 * tied to their field, the console's own client read-only, an unknown id said plainly.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { Provider, type Client } from 'urql';
import { fromValue, never } from 'wonka';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientPage, ClientsPage, NewClientPage } from '../src/pages/Clients';
import { ClientForm } from '../src/pages/clients/ClientForm';
import { claimRow, emptyClientForm, formOf, GRANT_TYPES, ID_TOKEN_ALGS, RESPONSE_TYPES, restrictionRow, USER_FIELDS, type ClientData } from '../src/pages/clients/form';
import { RouterProvider } from '../src/router';

const noop = () => undefined;

/** Every form control of `html` with its accessible label: a <label for>, a wrapping <label>, or none. */
function controls(html: string): { tag: string; id?: string; label?: string; html: string }[] {
  const labels = new Map<string, string>();
  for (const m of html.matchAll(/<label for="([^"]+)"[^>]*>(.*?)<\/label>/g)) labels.set(m[1]!, m[2]!.replace(/<[^>]+>/g, ''));
  const found: { tag: string; id?: string; label?: string; html: string }[] = [];
  for (const m of html.matchAll(/<(input|select|textarea)\b[^>]*>/g)) {
    const id = /\bid="([^"]+)"/.exec(m[0])?.[1];
    // A wrapping label: the text after the control up to </label> (ChoiceField's checkboxes).
    const wrapped = !id && /^<input[^>]*type="checkbox"/.test(m[0]) ? /^([^<]+)<\/label>/.exec(html.slice(m.index! + m[0].length))?.[1] : undefined;
    found.push({ tag: m[1]!, id, label: id ? labels.get(id) : wrapped, html: m[0] });
  }
  return found;
}

const withRows = () => ({ ...emptyClientForm(), extraIdTokenClaims: [claimRow({ claim: 'nick' })], userRestrictions: [restrictionRow({ equals: 'mallory@example.com' })] });

describe('the client form', () => {
  it('has a labelled control for every option of `clients create`', () => {
    const html = renderToStaticMarkup(<ClientForm mode="create" value={withRows()} onChange={noop} onSubmit={noop} errors={{}} submitLabel="Create client" defaultAlg="ES256" />);
    const all = controls(html);
    const unlabelled = all.filter((c) => !c.label);
    expect(unlabelled, JSON.stringify(unlabelled)).toEqual([]);
    const labels = all.map((c) => c.label);
    for (const label of [
      'Client ID (optional)',
      'Name',
      'Public client',
      'Client URI',
      'Logo URI',
      'Redirect URIs',
      'Post-logout redirect URIs',
      'Allowed origins',
      ...GRANT_TYPES,
      ...RESPONSE_TYPES,
      'First-party',
      'Admin client',
      'Logout ends the provider session',
      'Back-channel logout URI',
      'ID token signing algorithm',
      'Claim name',
      'User field',
      'Scope',
      'Equals',
      'Audiences',
    ]) {
      expect(labels, label).toContain(label);
    }
    // The two checkbox groups name their sets; the rows are groups of their own.
    expect(html).toContain('<legend>Grant types</legend>');
    expect(html).toContain('<legend>Response types</legend>');
    expect(html).toContain('<legend>Extra ID token claims</legend>');
    expect(html).toContain('<legend>User restrictions</legend>');
    expect(html).toMatch(/role="group" aria-label="Claim 1"/);
    expect(html).toMatch(/role="group" aria-label="Restriction 1"/);
    // The algorithm: a labelled default, then every algorithm the service takes.
    expect(html).toContain('<option value="" selected="">Default (the provider&#x27;s, now ES256)</option>');
    for (const alg of ID_TOKEN_ALGS) expect(html).toContain(`<option value="${alg}">${alg}</option>`);
    for (const field of USER_FIELDS) expect(html).toContain(`<option value="${field}"`);
    // The remove buttons say which row they remove.
    expect(html).toContain('Remove<span class="visually-hidden"> claim 1</span>');
    expect(html).toContain('Remove<span class="visually-hidden"> restriction 1</span>');
    // Every checkbox with a hint explains itself through aria-describedby.
    for (const c of all.filter((c) => c.id && /type="checkbox"/.test(c.html))) {
      const hint = /aria-describedby="([^"]+)"/.exec(c.html)?.[1];
      expect(hint, c.label).toBeTruthy();
    }
  });

  it('shows the defaults of a new client as checked', () => {
    const html = renderToStaticMarkup(<ClientForm mode="create" value={emptyClientForm()} onChange={noop} onSubmit={noop} errors={{}} submitLabel="Create client" />);
    const checked = controls(html)
      .filter((c) => /checked=""/.test(c.html))
      .map((c) => c.label);
    expect(checked).toEqual(['authorization_code', 'refresh_token', 'code', 'Logout ends the provider session']);
    expect(html).toContain('No extra claims.');
    expect(html).toContain('<option value="" selected="">Default (the provider&#x27;s)</option>');
  });

  it('leaves out the options that cannot change once made, when editing', () => {
    const html = renderToStaticMarkup(<ClientForm mode="edit" value={withRows()} onChange={noop} onSubmit={noop} errors={{}} submitLabel="Save changes" />);
    const labels = controls(html).map((c) => c.label);
    expect(labels).not.toContain('Client ID (optional)');
    expect(labels).not.toContain('Public client');
    expect(labels).toContain('Name');
  });

  it('puts each problem beside its field, tied to it and marking it invalid', () => {
    const errors = { redirectUris: 'Redirect URI "http://evil.example/cb": use https', grantTypes: 'Choose at least one grant type.', extraIdTokenClaims: 'Claim 1: enter the scope that releases it.', idTokenSignedResponseAlg: 'Not an algorithm' };
    const html = renderToStaticMarkup(<ClientForm mode="create" value={withRows()} onChange={noop} onSubmit={noop} errors={errors} submitLabel="Create client" />);
    const textarea = controls(html).find((c) => c.label === 'Redirect URIs')!;
    expect(textarea.html).toContain('aria-invalid="true"');
    const describedBy = /aria-describedby="([^"]+)"/.exec(textarea.html)![1]!.split(' ');
    const errorId = describedBy.find((id) => id.endsWith('-error'))!;
    expect(html).toContain(`<span class="field-error" id="${errorId}">Redirect URI &quot;http://evil.example/cb&quot;: use https</span>`);
    const select = controls(html).find((c) => c.label === 'ID token signing algorithm')!;
    expect(select.html).toContain('aria-invalid="true"');
    for (const fieldset of ['Grant types', 'Extra ID token claims']) {
      const open = new RegExp(`<fieldset[^>]*aria-describedby="([^"]+)"[^>]*><legend>${fieldset}</legend>`).exec(html);
      expect(open, fieldset).toBeTruthy();
      const ids = open![1]!.split(' ');
      expect(ids.some((id) => html.includes(`<span class="field-error" id="${id}">`)), fieldset).toBe(true);
    }
    // Nothing else is marked.
    expect(html.match(/aria-invalid="true"/g)).toHaveLength(2);
  });
});

const billing: ClientData & { tokenEndpointAuthMethod: string; createdAt: string; updatedAt: string; __typename: 'Client' } = {
  __typename: 'Client',
  id: 'billing',
  name: 'Billing',
  public: false,
  tokenEndpointAuthMethod: 'client_secret_basic',
  redirectUris: ['https://billing.example/cb'],
  postLogoutRedirectUris: [],
  allowedOrigins: [],
  grantTypes: ['authorization_code', 'refresh_token'],
  responseTypes: ['code'],
  firstParty: false,
  admin: true,
  requireMfa: false,
  requirePar: false,
  requireDpop: false,
  logoutAll: true,
  backchannelLogoutUri: null,
  clientUri: null,
  logoUri: null,
  idTokenSignedResponseAlg: null,
  extraIdTokenClaims: [],
  userRestrictions: [],
  audiences: [],
  createdAt: '2025-01-02T03:04:05.000Z',
  updatedAt: '2025-01-02T03:04:05.000Z',
};

/** A page under a urql client that answers every query with `data` at once (or never). */
function render(page: JSX.Element, data: unknown) {
  const client = {
    executeQuery: (request: { key: number; variables?: unknown }) => (data === undefined ? never : fromValue({ operation: { ...request, kind: 'query', context: {} }, data, stale: false, hasNext: false })),
    executeMutation: () => never,
    reexecuteOperation: noop,
    createRequestOperation: (kind: string, request: unknown, context: unknown) => ({ kind, ...(request as object), context: context ?? {} }),
    executeRequestOperation: () => (data === undefined ? never : fromValue({ data, stale: false, hasNext: false })),
    suspense: false,
  } as unknown as Client;
  return renderToStaticMarkup(
    <Provider value={client}>
      <RouterProvider base="/admin">{page}</RouterProvider>
    </Provider>,
  );
}

describe('the clients pages', () => {
  beforeEach(() => {
    (globalThis as { location?: unknown }).location = { pathname: '/admin/clients', search: '' };
    (globalThis as { window?: unknown }).window = { addEventListener() {}, removeEventListener() {} };
  });
  afterEach(() => {
    delete (globalThis as { location?: unknown }).location;
    delete (globalThis as { window?: unknown }).window;
  });

  it('a client’s page: its name as the heading, the settings form, a new secret and deletion behind a confirmation', () => {
    const html = render(<ClientPage id="billing" />, { client: billing, keyRotationStatus: [{ family: 'primary', alg: 'ES256' }] });
    expect(html).toContain('<h1>Billing</h1>');
    expect(html).toContain('<code>billing</code>');
    expect(html).toContain('Save changes');
    expect(html).toMatch(/<button type="button" class="danger">Rotate secret<\/button>/);
    expect(html).toMatch(/<button type="button" class="danger">Delete client<\/button>/);
    expect(html).toContain('The old secret stops working at once');
    expect(html).toContain('applications using it can no longer sign users in');
    expect(html).toContain('Default (the provider&#x27;s, now ES256)');
  });

  it('a public client has no secret to rotate', () => {
    const html = render(<ClientPage id="billing" />, { client: { ...billing, public: true, admin: false, tokenEndpointAuthMethod: 'none' }, keyRotationStatus: [] });
    expect(html).not.toContain('Rotate secret');
    expect(html).toContain('Delete client');
  });

  it('the admin console’s own client: shown, with a note, and nothing to change, rotate or delete', () => {
    const console = { ...formOf(billing), ...billing, id: 'jwt-oidc-console', name: 'Admin console', public: true, admin: false, firstParty: true };
    const html = render(<ClientPage id="jwt-oidc-console" />, { client: console, keyRotationStatus: [{ family: 'primary', alg: 'ES256' }] });
    expect(html).toContain('<h1>Admin console</h1>');
    expect(html).toContain('the admin console’s own client');
    expect(html).toContain('https://billing.example/cb');
    expect(html).not.toContain('<form');
    expect(html).not.toContain('<button');
    expect(html).toContain('Default (ES256)');
  });

  it('an unknown id: a page that says so', () => {
    const html = render(<ClientPage id="gone" />, { client: null, keyRotationStatus: [] });
    expect(html).toContain('<h1>No such client</h1>');
    expect(html).toContain('<code>gone</code>');
    expect(html).not.toContain('<form');
  });

  it('the list: names linking to the client, the id in code, kind, badges and the number of redirect URIs', () => {
    const html = render(<ClientsPage />, {
      clients: {
        edges: [
          { node: { __typename: 'Client', id: 'billing', name: 'Billing', public: false, firstParty: true, admin: true, redirectUris: ['a', 'b'] } },
          { node: { __typename: 'Client', id: 'jwt-oidc-console', name: 'Admin console', public: true, firstParty: true, admin: false, redirectUris: ['c'] } },
        ],
        pageInfo: { hasNextPage: true, endCursor: 'x' },
      },
    });
    expect(html).toContain('<h1>Clients</h1>');
    expect(html).toContain('<a class="clients-create" href="/admin/clients/new">Create client</a>');
    expect(html).toContain('<a href="/admin/clients/billing">Billing</a>');
    expect(html).toContain('<code>billing</code>');
    expect(html).toContain('<th scope="col">Name</th>');
    expect(html).toMatch(/<td>Confidential<\/td>.*First-party.*Admin<\/span>.*>2<\/td>/);
    expect(html).toMatch(/<td>Public<\/td>.*Managed by the service/);
    expect(html).toContain('aria-label="Clients pages"');
  });

  it('the new client page: the whole form with a labelled default algorithm', () => {
    const html = render(<NewClientPage />, { keyRotationStatus: [{ family: 'primary', alg: 'EdDSA' }] });
    expect(html).toContain('<h1>New client</h1>');
    expect(html).toContain('Default (the provider&#x27;s, now EdDSA)');
    expect(html).toContain('>Create client</button>');
  });
});
