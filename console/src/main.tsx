/** The admin console's entry (docs/CONSOLE.md): configuration from the page, sign-in, the shell. */
import { App } from './App';
import { boot } from './boot';

boot({ title: 'Admin console', cannotStart: 'The console cannot start', render: (auth, client) => <App auth={auth} client={client} /> });
