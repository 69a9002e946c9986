/**
 * A small history router for the console's few pages: paths under the console's base, links
 * that navigate without reloading (and still open in a new tab), the back button.
 */
import { createContext, useContext, useEffect, useState, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

interface Router {
  base: string;
  /** The path below the base: `/`, `/users/abc`. */
  path: string;
  search: URLSearchParams;
  navigate(to: string, options?: { replace?: boolean }): void;
}

const RouterContext = createContext<Router | null>(null);

function below(base: string): { path: string; search: URLSearchParams } {
  const path = location.pathname.startsWith(base) ? location.pathname.slice(base.length) || '/' : '/';
  return { path, search: new URLSearchParams(location.search) };
}

export function RouterProvider({ base, children }: { base: string; children: ReactNode }) {
  const [here, setHere] = useState(() => below(base));
  useEffect(() => {
    const onPop = () => setHere(below(base));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, [base]);
  const navigate = (to: string, options: { replace?: boolean } = {}) => {
    const url = base + (to.startsWith('/') ? to : `/${to}`);
    if (options.replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
    setHere(below(base));
    window.scrollTo(0, 0);
  };
  return <RouterContext.Provider value={{ base, ...here, navigate }}>{children}</RouterContext.Provider>;
}

export function useRouter(): Router {
  const router = useContext(RouterContext);
  if (!router) throw new Error('useRouter outside RouterProvider');
  return router;
}

/** `/users/:id` against `/users/abc` → `{ id: 'abc' }`; null when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) params[want[i].slice(1)] = decodeURIComponent(got[i]);
    else if (want[i] !== got[i]) return null;
  }
  return params;
}

export function Link({ to, children, ...rest }: { to: string; children: ReactNode } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'>) {
  const router = useRouter();
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    rest.onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    router.navigate(to);
  };
  return (
    <a {...rest} href={router.base + to} onClick={onClick}>
      {children}
    </a>
  );
}
