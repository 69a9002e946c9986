/**
 * The account page (docs/ACCOUNTS.md "The account page"): one page where the signed-in user sees
 * and manages their own account through the GraphQL API's own-account fields and mutations
 * (src/graphql/account-resolver.ts). Whoever is not signed in is sent to sign in (Auth.start).
 */
import type { Client } from 'urql';
import type { Auth } from '../auth/session';
import { SignedIn } from '../components/Shell';
import { AccountPage } from './AccountPage';

export function AccountApp({ auth, client }: { auth: Auth; client: Client }) {
  return (
    <SignedIn auth={auth} client={client}>
      <AccountPage auth={auth} />
    </SignedIn>
  );
}
