/** The console's router and configuration: route matching, the WebSocket URL, links that keep the base. */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { webSocketUrl } from '../src/config';
import { Link, match, RouterProvider } from '../src/router';

describe('the console router', () => {
  it('matches patterns with parameters, decoded, and nothing else', () => {
    expect(match('/users/:id', '/users/a%2Fb')).toEqual({ id: 'a/b' });
    expect(match('/users/:id', '/users')).toBeNull();
    expect(match('/users/:id', '/users/a/b')).toBeNull();
    expect(match('/clients/new', '/clients/new')).toEqual({});
    expect(match('/clients/new', '/clients/old')).toBeNull();
  });

  it('writes links under the base the server named', () => {
    (globalThis as { location?: unknown }).location = { pathname: '/auth/admin/users', search: '' };
    (globalThis as { window?: unknown }).window = { addEventListener() {}, removeEventListener() {} };
    try {
      const html = renderToStaticMarkup(
        <RouterProvider base="/auth/admin">
          <Link to="/keys">Keys</Link>
        </RouterProvider>,
      );
      expect(html).toBe('<a href="/auth/admin/keys">Keys</a>');
    } finally {
      delete (globalThis as { location?: unknown }).location;
      delete (globalThis as { window?: unknown }).window;
    }
  });

  it('derives the WebSocket URL of the GraphQL endpoint (RFC 6455 §3)', () => {
    expect(webSocketUrl('https://id.example.com/graphql')).toBe('wss://id.example.com/graphql');
    expect(webSocketUrl('http://localhost:3000/graphql')).toBe('ws://localhost:3000/graphql');
  });
});
