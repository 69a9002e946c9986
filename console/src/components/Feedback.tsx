/** Messages about the state of a page: loading, a problem, nothing found. */
import type { ReactNode } from 'react';
import type { Problem } from '../graphql/problems';

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function ProblemMessage({ problem }: { problem: Problem | undefined }) {
  if (!problem?.message) return null;
  return (
    <div className={problem.offline ? 'notice warning' : 'notice error'} role="alert">
      {problem.message}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="muted">{children}</p>;
}
