/**
 * A message for the page the console goes to next ("Created ada.lovelace."): the router keeps no
 * state with a navigation, so the message waits here, by path, until that page shows it. Not in
 * the URL: a reload must not say it again.
 */
const waiting = new Map<string, string>();

export function leaveNotice(path: string, message: string): void {
  waiting.set(path, message);
}

/** The message waiting for `path`, left in place (a render may run twice); `dropNotice` ends it. */
export function peekNotice(path: string): string | undefined {
  return waiting.get(path);
}

export function dropNotice(path: string): void {
  waiting.delete(path);
}
