/**
 * What went wrong with a GraphQL operation, in the terms of the page that shows it: an invalid
 * field (BAD_USER_INPUT with `field`, src/graphql/domain-errors.ts) goes beside that field,
 * anything else above the form; a lost connection or an ended session is said as such, and the
 * form keeps what was typed.
 */
import type { CombinedError } from '@urql/core';

export interface Problem {
  /** Shown above the form (or the page). */
  message?: string;
  /** By input field name. */
  fields: Record<string, string>;
  /** The server could not be reached: retry later, nothing was lost. */
  offline: boolean;
  /** The session ended: sign in again (the shell offers it). */
  sessionEnded: boolean;
  /** Refused for too many attempts (TOO_MANY_REQUESTS): seconds until the next one may succeed. */
  retryAfter?: number;
}

export function problemOf(error: CombinedError | undefined | null): Problem | undefined {
  if (!error) return undefined;
  const fields: Record<string, string> = {};
  const messages: string[] = [];
  const network = error.networkError;
  if (network) {
    const sessionEnded = network.name === 'SessionExpired';
    return { message: sessionEnded ? network.message : 'The server cannot be reached. Nothing was lost: try again in a moment.', fields, offline: !sessionEnded, sessionEnded };
  }
  for (const e of error.graphQLErrors) {
    const field = e.extensions?.field;
    if (e.extensions?.code === 'BAD_USER_INPUT' && typeof field === 'string' && field && !(field in fields)) fields[field] = e.message;
    else messages.push(e.message);
  }
  const sessionEnded = error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
  const throttled = error.graphQLErrors.find((e) => e.extensions?.code === 'TOO_MANY_REQUESTS' && typeof e.extensions.retryAfter === 'number');
  return { message: messages.length ? messages.join(' ') : undefined, fields, offline: false, sessionEnded, ...(throttled ? { retryAfter: throttled.extensions.retryAfter as number } : {}) };
}

/** A wait in words: "30 seconds", "1 minute", "15 minutes" (rounded up: never sooner than the server said). */
export function formatWait(seconds: number): string {
  if (seconds < 60) {
    const s = Math.max(1, Math.ceil(seconds));
    return `${s} second${s === 1 ? '' : 's'}`;
  }
  const m = Math.ceil(seconds / 60);
  return `${m} minute${m === 1 ? '' : 's'}`;
}

/** A date and time as the browser's locale writes it; `—` for none. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
