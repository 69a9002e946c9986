/** Focus management of the account page's lists (WCAG 2.4.3 focus order). */
import { useEffect, useRef } from 'react';

/**
 * A section heading that takes the focus once its list changed after an action: the button that
 * had it is gone with its row, and the focus must not fall back to the top of the page. Waits
 * for the list (the refetch), since the confirmation dialog gives the focus back as it closes.
 */
export function useFocusAfterChange(list: unknown) {
  const ref = useRef<HTMLHeadingElement>(null);
  const pending = useRef(false);
  useEffect(() => {
    if (!pending.current) return;
    pending.current = false;
    ref.current?.focus();
  }, [list]);
  return {
    ref,
    focusNext: () => {
      pending.current = true;
    },
  };
}
