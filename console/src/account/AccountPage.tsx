/**
 * The account page's one query and its sections: the profile (with the email address apart),
 * the password, the two-step sign-in, the passkeys, the sessions, the connected applications. Mutations that answer a Boolean name
 * no type for urql's cache to refetch by, so their sections ask for a refetch (`onChanged`).
 */
import { useQuery } from 'urql';
import type { Auth } from '../auth/session';
import { Loading, ProblemMessage } from '../components/Feedback';
import { SessionDialog, Splash, TopBar } from '../components/Shell';
import { graphql } from '../gql';
import { problemOf } from '../graphql/problems';
import { AppsSection } from './AppsSection';
import { PasswordSection } from './PasswordSection';
import { ProfileSection } from './ProfileSection';
import { SessionsSection } from './SessionsSection';
import { TwoStepSection } from './TwoStepSection';
import { PasskeysSection } from './PasskeysSection';

const AccountQuery = graphql(`
  query AccountPage {
    me {
      sub
      user {
        ...AccountUser
      }
      sessions {
        ...AccountSession
      }
      connectedApps {
        ...AccountApp
      }
      factors {
        ...AccountFactor
      }
    }
  }
`);

export function AccountPage({ auth }: { auth: Auth }) {
  const [{ data, error, fetching }, reexecute] = useQuery({ query: AccountQuery, requestPolicy: 'cache-and-network' });
  const refresh = () => reexecute({ requestPolicy: 'network-only' });
  if (fetching && !data)
    return (
      <Splash title="Your account">
        <Loading what="your account" />
      </Splash>
    );
  const user = data?.me.user;
  if (!data || !user) {
    return (
      <Splash title="The account page cannot start">
        <ProblemMessage problem={problemOf(error) ?? { message: 'No answer from the server.', fields: {}, offline: true, sessionEnded: false }} />
        <button type="button" onClick={() => location.reload()}>
          Reload
        </button>
      </Splash>
    );
  }
  return (
    <>
      <TopBar auth={auth} name={user.username} />
      <main id="main" className="account">
        <h1>Your account</h1>
        <ProblemMessage problem={problemOf(error)} />
        <ProfileSection key={user.id} user={user} />
        <PasswordSection username={user.username} onChanged={refresh} />
        <TwoStepSection factors={data.me.factors} username={user.username} onChanged={refresh} />
        <PasskeysSection factors={data.me.factors} username={user.username} onChanged={refresh} />
        <SessionsSection sessions={data.me.sessions} onChanged={refresh} />
        <AppsSection apps={data.me.connectedApps} onChanged={refresh} />
      </main>
      <SessionDialog auth={auth} />
    </>
  );
}
