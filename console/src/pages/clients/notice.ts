/**
 * A message for the page the console goes to next ("Deleted client Billing."): the router keeps
 * no state with a navigation, so the message waits here, by path, until that page shows it. Not
 * in the URL: a reload must not say it again.
 */
import { useEffect, useState } from 'react';

const waiting = new Map<string, string>();

export function clientsLeaveNotice(path: string, message: string): void {
  waiting.set(path, message);
}

/** The message waiting for `path`, shown by this visit only (read at the first render, forgotten after it). */
export function useClientsNotice(path: string): string | undefined {
  const [notice] = useState(() => waiting.get(path));
  useEffect(() => {
    waiting.delete(path);
  }, [path]);
  return notice;
}
