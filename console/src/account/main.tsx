/** The account page's entry (docs/ACCOUNTS.md "The account page"): as the console's, with its own client's scopes. */
import { boot } from '../boot';
import { AccountApp } from './App';
import { ACCOUNT_SCOPE } from './scope';
import './account.css';

boot({ title: 'Your account', cannotStart: 'The account page cannot start', auth: { scope: ACCOUNT_SCOPE, name: 'jwt-oidc-account' }, render: (auth, client) => <AccountApp auth={auth} client={client} /> });
