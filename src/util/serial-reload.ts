/**
 * A reload that never overlaps itself and never misses a change: a call while a load runs
 * queues exactly one more load, which starts after it (a change may have been committed after
 * the running load read); further calls while that one waits share it.
 */
export function serialReload<A extends unknown[]>(load: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  return (...args: A) => {
    if (queued) return queued;
    const next = (running ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return load(...args);
      });
    queued = next;
    // Callers see failures through `next`; this chain only orders the loads.
    const chain: Promise<void> = next
      .catch(() => undefined)
      .finally(() => {
        if (running === chain) running = undefined;
      });
    running = chain;
    return next;
  };
}
