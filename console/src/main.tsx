/** The admin console's entry (docs/CONSOLE.md): configuration from the page, sign-in, the shell. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { Auth } from './auth/session';
import { readConfig } from './config';
import { consoleClient } from './graphql/client';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
try {
  const config = readConfig();
  document.title = `${config.productName} · Admin console`;
  const auth = new Auth(config);
  root.render(
    <StrictMode>
      <App auth={auth} client={consoleClient(auth)} />
    </StrictMode>,
  );
  void auth.start();
} catch (e) {
  root.render(
    <main className="splash">
      <h1>The console cannot start</h1>
      <p role="alert">{e instanceof Error ? e.message : String(e)}</p>
    </main>,
  );
}
