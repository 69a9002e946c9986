/**
 * What the console and the account page share around their content: the sign-in states (a
 * splash while signing in, the failure with a way to try again), the urql client for what is
 * signed in, and the dialog that signs in again in a small window when the session ends while
 * the page is open (console/src/auth/session.ts `renew`), keeping what was typed.
 */
import { useEffect, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import { Provider, type Client } from 'urql';
import type { Auth } from '../auth/session';

export function Splash({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <main className="splash">
      <h1>{title}</h1>
      {children}
    </main>
  );
}

/** `children` once signed in, with the GraphQL client; the splash while signing in, or the failure. */
export function SignedIn({ auth, client, children }: { auth: Auth; client: Client; children: ReactNode }) {
  const state = useSyncExternalStore(auth.subscribe, () => auth.state);
  if (state.status === 'signing-in') return <Splash title="Signing in…" />;
  if (state.status === 'failed')
    return (
      <Splash title="Sign-in failed">
        <p role="alert">{state.message}</p>
        <button type="button" className="primary" onClick={() => void auth.redirect(`${auth.config.base}/`)}>
          Try again
        </button>
      </Splash>
    );
  return <Provider value={client}>{children}</Provider>;
}

/**
 * The bar above the page: a link to skip it, the product's name, what `children` add (the
 * console's navigation), who is signed in and "Sign out" (RP-initiated logout, `Auth.signOut`).
 * The content below is `<main id="main">`.
 */
export function TopBar({ auth, name, children }: { auth: Auth; name: string; children?: ReactNode }) {
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">{auth.config.productName}</span>
        {children}
        <span className="who">
          <span className="muted">Signed in as</span> <strong>{name}</strong>
          <button type="button" onClick={() => void auth.signOut()}>
            Sign out
          </button>
        </span>
      </header>
    </>
  );
}

/** The session ended while the page was open: sign in again in a small window, keeping the page. */
export function SessionDialog({ auth }: { auth: Auth }) {
  const state = useSyncExternalStore(auth.subscribe, () => auth.state);
  const dialog = useRef<HTMLDialogElement>(null);
  const [problem, setProblem] = useState<string>();
  const expired = state.status === 'expired';
  useEffect(() => {
    if (expired && !dialog.current?.open) dialog.current?.showModal();
    if (!expired && dialog.current?.open) dialog.current.close();
  }, [expired]);
  const renew = async () => {
    setProblem(undefined);
    try {
      await auth.renew();
    } catch (e) {
      setProblem(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <dialog ref={dialog} aria-labelledby="session-title" onCancel={(e) => e.preventDefault()}>
      <h2 id="session-title">Your session has ended</h2>
      <p>Sign in again to continue. What you typed stays on this page.</p>
      {problem ? <p role="alert">{problem}</p> : null}
      <div className="actions">
        <button type="button" className="primary" onClick={() => void renew()}>
          Sign in again
        </button>
      </div>
    </dialog>
  );
}
