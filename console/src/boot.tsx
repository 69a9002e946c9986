/**
 * Starting a page of the console's build (console/index.html, console/account.html): its
 * configuration from the meta tag the server puts in (src/http/console.ts), its sign-in, its
 * GraphQL client, then `render`; a page that cannot start says why.
 */
import { StrictMode, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import type { Client } from 'urql';
import { Auth, type AuthOptions } from './auth/session';
import { readConfig } from './config';
import { consoleClient } from './graphql/client';
import './styles.css';

export function boot({ title, cannotStart, auth: options, render }: {
  /** The document's title after the product name. */
  title: string;
  /** The heading when the page cannot start. */
  cannotStart: string;
  auth?: Partial<AuthOptions>;
  render(auth: Auth, client: Client): ReactNode;
}): void {
  const root = createRoot(document.getElementById('root')!);
  try {
    const config = readConfig();
    document.title = `${config.productName} · ${title}`;
    const auth = new Auth(config, options);
    root.render(<StrictMode>{render(auth, consoleClient(auth))}</StrictMode>);
    void auth.start();
  } catch (e) {
    root.render(
      <main className="splash">
        <h1>{cannotStart}</h1>
        <p role="alert">{e instanceof Error ? e.message : String(e)}</p>
      </main>,
    );
  }
}
