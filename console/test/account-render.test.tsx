/**
 * The account page's sections, rendered to HTML: this browser marked and not offered to sign
 * out (the button at the top does), each other session and application with a button whose
 * name says which, the confirmations naming the consequence, the service's own clients left out,
 * the email address with whether it is confirmed.
 */
import { Client, Provider } from 'urql';
import { renderToStaticMarkup } from 'react-dom/server';
import type { ReactNode } from 'react';
import { describe, expect, it } from 'vitest';
import { AppsSection } from '../src/account/AppsSection';
import { EmailSection } from '../src/account/EmailSection';
import { SessionsSection } from '../src/account/SessionsSection';

const client = new Client({ url: 'https://id.example.com/graphql', exchanges: [] });
const render = (node: ReactNode) => renderToStaticMarkup(<Provider value={client}>{node}</Provider>);
const noop = () => undefined;

const session = (id: string, current: boolean, userAgent: string | null, ip: string | null) => ({
  __typename: 'MySession' as const,
  id,
  current,
  userAgent,
  ip,
  createdAt: '2030-01-01T10:00:00Z',
  authTime: '2030-01-01T10:00:00Z',
  expiresAt: '2030-01-02T10:00:00Z',
});

describe('the sessions', () => {
  it('marks this browser without a button, and offers "Sign out" for each other one, named', () => {
    const html = render(
      <SessionsSection
        onChanged={noop}
        sessions={[session('s1', true, 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36', '192.0.2.1'), session('s2', false, 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) Version/17.6 Mobile/15E148 Safari/604.1', '198.51.100.2')]}
      />,
    );
    expect(html).toContain('<ul class="account-list" aria-label="Sessions">');
    expect(html).toMatch(/<li class="account-current"><h3>Chrome on Linux <span class="badge account-this">This browser<\/span><\/h3>/);
    expect(html.match(/aria-label="Sign out [^"]*"/g)).toEqual(['aria-label="Sign out Safari on iPhone, 198.51.100.2"']);
    expect(html).toContain('Sign out Safari on iPhone, 198.51.100.2?</h2>');
    expect(html).toContain('That browser must sign in again.');
    expect(html).not.toContain('Mozilla/5.0');
    expect(html).toContain('<h2 id="account-sessions" tabindex="-1">Sessions</h2>');
  });

  it('says when there is none', () => {
    expect(render(<SessionsSection onChanged={noop} sessions={[]} />)).toContain('No sessions.');
  });
});

const app = (clientId: string, clientName: string, clientUri: string | null) => ({
  __typename: 'ConnectedApp' as const,
  clientId,
  clientName,
  clientUri,
  scopes: ['openid', 'profile:write'],
  firstGrantedAt: '2030-01-01T10:00:00Z',
  lastUsedAt: null,
  activeGrants: 1,
});

describe('the connected applications', () => {
  it('lists the others\' apps with their home page and access in words, and "Remove access" naming its consequence', () => {
    const html = render(<AppsSection onChanged={noop} apps={[app('jwt-oidc-account', 'Account page', null), app('shop', 'Acme Shop', 'https://shop.example'), app('jwt-oidc-console', 'Admin console', null), app('evil', 'Evil', 'javascript:alert(1)')]} />);
    expect(html).not.toMatch(/Account page|Admin console/);
    expect(html).toContain('<h3><a href="https://shop.example" rel="noopener noreferrer">Acme Shop</a></h3>');
    expect(html).toContain('<h3>Evil</h3>');
    expect(html).not.toContain('javascript:');
    expect(html).toContain('<li>Change your name, picture and language</li>');
    expect(html).toContain('aria-label="Remove access for Acme Shop"');
    expect(html).toContain('Remove access for Acme Shop?</h2>');
    expect(html).toContain('Acme Shop can no longer use your account: the tokens it holds stop working at once, and it must ask for your permission again next time.');
  });

  it('says when there is none, the page\'s own client not counted', () => {
    expect(render(<AppsSection onChanged={noop} apps={[app('jwt-oidc-account', 'Account page', null)]} />)).toContain('No application has access to your account.');
  });
});

describe('the email address', () => {
  it('is shown with whether it is confirmed', () => {
    expect(render(<EmailSection user={{ username: 'ada', email: 'ada@example.com', emailVerified: true }} />)).toContain('ada@example.com</span> <span class="badge account-verified">Confirmed</span>');
    expect(render(<EmailSection user={{ username: 'ada', email: 'ada@example.com', emailVerified: false }} />)).toContain('Not confirmed');
    expect(render(<EmailSection user={{ username: 'ada', email: null, emailVerified: false }} />)).toContain('No email address.');
  });
});
