/** What an action did, said where screen readers hear it. */
import { useEffect, useState } from 'react';
import { dropNotice, peekNotice } from './notice';

/**
 * A live region (the ARIA role status), present before the message arrives so that screen
 * readers announce it; empty when there is nothing to say.
 */
export function UsersStatus({ message }: { message: string | undefined }) {
  return <div role="status">{message ? <p className="notice success">{message}</p> : null}</div>;
}

/** The message a page shows once after the console navigated to it (users/notice.ts), then forgets. */
export function useArrivalNotice(path: string): string | undefined {
  const [notice] = useState(() => peekNotice(path));
  useEffect(() => dropNotice(path), [path]);
  return notice;
}
