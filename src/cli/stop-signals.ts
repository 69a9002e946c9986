/**
 * The signals that ask us to stop. A Ctrl-C in a terminal signals the whole foreground process
 * group, `npm` and us together, and npm forwards its copy to us as well: one key press can
 * arrive twice. So a repeated signal may hurry a shutdown, but never skips releasing the
 * embedded PostgreSQL, which would otherwise outlive us.
 */
import { constants } from 'node:os';

/** SIGHUP too: closing the terminal window is a way to stop `npm start`. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Calls `handler` for each stop signal, with how many have arrived so far (1 for the first).
 * Returns a function that stops listening.
 */
export function onStopSignals(handler: (signal: NodeJS.Signals, count: number) => void): () => void {
  let count = 0;
  const listener = (signal: NodeJS.Signals) => handler(signal, ++count);
  for (const signal of STOP_SIGNALS) process.on(signal, listener);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, listener);
  };
}

/** The conventional exit status of a command interrupted by `signal` (130 for SIGINT…). */
export function interruptedExitCode(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}
