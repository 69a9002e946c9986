/** The users pages' tables, rendered to HTML: links under the base, badges, what can be revoked. */
import { renderToStaticMarkup } from 'react-dom/server';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsersTable } from '../src/pages/Users';
import { GrantsTable, SessionsTable } from '../src/pages/users/Sessions';
import { RouterProvider } from '../src/router';

const noop = async () => undefined;

function render(node: ReactNode): string {
  return renderToStaticMarkup(<RouterProvider base="/admin">{node}</RouterProvider>);
}

beforeEach(() => {
  (globalThis as { location?: unknown }).location = { pathname: '/admin/users', search: '' };
  (globalThis as { window?: unknown }).window = { addEventListener() {}, removeEventListener() {} };
});
afterEach(() => {
  delete (globalThis as { location?: unknown }).location;
  delete (globalThis as { window?: unknown }).window;
});

describe('the users table', () => {
  it('links each username to its page and marks administrators and inactive users', () => {
    const html = render(
      <UsersTable
        users={[
          { id: 'u-1', username: 'ada.lovelace', email: 'ada@example.com', givenName: 'Ada', familyName: 'Lovelace', admin: true, active: true, createdAt: '2030-01-01T00:00:00Z' },
          { id: 'u/2', username: 'charles', email: null, givenName: null, familyName: null, admin: false, active: false, createdAt: '2030-01-02T00:00:00Z' },
        ]}
      />,
    );
    expect(html).toContain('<a href="/admin/users/u-1">ada.lovelace</a>');
    expect(html).toContain('<a href="/admin/users/u%2F2">charles</a>');
    expect(html).toContain('Ada Lovelace');
    expect(html.match(/users-admin/g)).toHaveLength(1);
    expect(html.match(/>Inactive</g)).toHaveLength(1);
    expect(html).toContain('<th scope="col">Username</th>');
    expect(html).toMatch(/role="region" aria-label="Users" tabindex="0"/);
  });
});

describe('the grants table', () => {
  const grant = { __typename: 'Grant' as const, clientId: 'shop', scopes: ['openid', 'offline_access'], createdAt: '2030-01-01T00:00:00Z', expiresAt: '2030-03-01T00:00:00Z', refreshCount: 2 };
  it('offers "Revoke" for active grants only, saying what it ends', () => {
    const html = render(
      <GrantsTable
        now={Date.parse('2030-02-01T00:00:00Z')}
        onRevoke={noop}
        grants={[
          { ...grant, id: 'g-active-000001', active: true, revokedAt: null },
          { ...grant, id: 'g-revoked-00002', active: false, revokedAt: '2030-01-15T00:00:00Z' },
          { ...grant, id: 'g-expired-00003', active: false, revokedAt: null, expiresAt: '2030-01-20T00:00:00Z' },
        ]}
      />,
    );
    expect(html.match(/>Revoke</g)).toHaveLength(1);
    expect(html).toContain('Revoke grant g-active… for shop?');
    expect(html).toContain('refresh and access tokens stop working');
    expect(html).toContain('users-grant-revoked');
    expect(html).toContain('users-grant-expired');
    expect(html).toContain('<a href="/admin/clients/shop"><code>shop</code></a>');
    expect(html).toContain('openid offline_access');
  });
});

describe('the sessions table', () => {
  it('lists methods and gives every "End session" dialog its own title', () => {
    const session = { __typename: 'Session' as const, createdAt: '2030-01-01T00:00:00Z', authTime: '2030-01-01T00:00:00Z', expiresAt: '2030-01-15T00:00:00Z' };
    const html = render(
      <SessionsTable
        onEnd={noop}
        sessions={[
          { ...session, id: 'aaaaaaaa-1111', amr: ['pwd'] },
          { ...session, id: 'bbbbbbbb-2222', amr: [] },
        ]}
      />,
    );
    const titles = [...html.matchAll(/aria-labelledby="([^"]+)"/g)].map((m) => m[1]);
    expect(titles).toHaveLength(2);
    expect(new Set(titles).size).toBe(2);
    expect(html).toContain('<td>pwd</td>');
    expect(html).toContain('<td>—</td>');
  });
});
