/**
 * The console's shell: signing in, the administrator check, the navigation and the pages
 * (docs/CONSOLE.md). A user without admin rights sees who they are and a sign-out button only.
 */
import { useEffect, useRef, type ReactNode } from 'react';
import { useQuery, type Client } from 'urql';
import type { Auth } from './auth/session';
import { ProblemMessage } from './components/Feedback';
import { SessionDialog, SignedIn, Splash, TopBar } from './components/Shell';
import { graphql } from './gql';
import { problemOf } from './graphql/problems';
import { AuditPage } from './pages/Audit';
import { ClientPage, ClientsPage, NewClientPage } from './pages/Clients';
import { KeysPage } from './pages/Keys';
import { OverviewPage } from './pages/Overview';
import { NewResourcePage, ResourcePage, ResourcesPage } from './pages/Resources';
import { UserPage, UsersPage } from './pages/Users';
import { Link, match, RouterProvider, useRouter } from './router';

const MeQuery = graphql(`
  query ConsoleMe {
    me {
      sub
      scopes
      user {
        id
        username
      }
    }
  }
`);

export function App({ auth, client }: { auth: Auth; client: Client }) {
  return (
    <SignedIn auth={auth} client={client}>
      <RouterProvider base={auth.config.base}>
        <Shell auth={auth} />
      </RouterProvider>
    </SignedIn>
  );
}

function Shell({ auth }: { auth: Auth }) {
  const [{ data, error, fetching }] = useQuery({ query: MeQuery, requestPolicy: 'network-only' });
  if (fetching && !data) return <Splash title="Signing in…" />;
  if (!data) {
    return (
      <Splash title="The console cannot start">
        <ProblemMessage problem={problemOf(error) ?? { message: 'No answer from the server.', fields: {}, offline: true, sessionEnded: false }} />
        <button type="button" onClick={() => location.reload()}>
          Reload
        </button>
      </Splash>
    );
  }
  const me = data.me;
  const name = me.user?.username ?? me.sub;
  // The provider grants `admin` to administrators only (src/provider/authorization/scopes.ts).
  if (!me.scopes.includes('admin')) {
    return (
      <Splash title="Not an administrator">
        <p>
          You are signed in as <strong>{name}</strong>, who is not an administrator.
        </p>
        <button type="button" onClick={() => void auth.signOut()}>
          Sign out
        </button>
      </Splash>
    );
  }
  return (
    <>
      <TopBar auth={auth} name={name}>
        <Nav />
      </TopBar>
      <Main>
        <Pages />
      </Main>
      <SessionDialog auth={auth} />
    </>
  );
}

const SECTIONS = [
  { to: '/', label: 'Overview' },
  { to: '/users', label: 'Users' },
  { to: '/clients', label: 'Clients' },
  { to: '/resources', label: 'Resources' },
  { to: '/keys', label: 'Keys' },
  { to: '/audit', label: 'Audit' },
] as const;

function Nav() {
  const { path } = useRouter();
  return (
    <nav aria-label="Sections">
      <ul>
        {SECTIONS.map((s) => {
          const current = s.to === '/' ? path === '/' : path === s.to || path.startsWith(`${s.to}/`);
          return (
            <li key={s.to}>
              <Link to={s.to} aria-current={current ? 'page' : undefined}>
                {s.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

/** The page's heading takes the focus after a navigation, so a screen reader announces the new page. */
function Main({ children }: { children: ReactNode }) {
  const { path } = useRouter();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const heading = main.current?.querySelector('h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  }, [path]);
  return (
    <main id="main" ref={main}>
      {children}
    </main>
  );
}

function Pages() {
  const { path } = useRouter();
  let params: Record<string, string> | null;
  if (path === '/' || path === '') return <OverviewPage />;
  if (path === '/users') return <UsersPage />;
  if ((params = match('/users/:id', path))) return <UserPage id={params.id} />;
  if (path === '/clients') return <ClientsPage />;
  if (path === '/clients/new') return <NewClientPage />;
  if ((params = match('/clients/:id', path))) return <ClientPage id={params.id} />;
  if (path === '/resources') return <ResourcesPage />;
  if (path === '/resources/new') return <NewResourcePage />;
  if ((params = match('/resources/:id', path))) return <ResourcePage id={params.id} />;
  if (path === '/keys') return <KeysPage />;
  if (path === '/audit') return <AuditPage />;
  if (path === '/callback') return <OverviewPage />;
  return (
    <>
      <h1>Not found</h1>
      <p>
        There is no page here. <Link to="/">Go to the overview</Link>.
      </p>
    </>
  );
}
