/**
 * Cursor pagination (the API's connections: `first`, `after`, `pageInfo`): forward by the end
 * cursor, back by the cursors already seen.
 */
import { useState } from 'react';

export function usePager() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1];
  return {
    after,
    page: cursors.length,
    next: (endCursor: string | null | undefined) => endCursor && setCursors((c) => [...c, endCursor]),
    previous: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
    reset: () => setCursors([null]),
  };
}

export function Pager({ pager, hasNextPage, endCursor, label }: { pager: ReturnType<typeof usePager>; hasNextPage: boolean; endCursor: string | null | undefined; label: string }) {
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" disabled={pager.page === 1} onClick={pager.previous}>
        Previous
      </button>
      <span>Page {pager.page}</span>
      <button type="button" disabled={!hasNextPage} onClick={() => pager.next(endCursor)}>
        Next
      </button>
    </nav>
  );
}
