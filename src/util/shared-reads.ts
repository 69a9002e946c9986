/**
 * Reads that concurrent callers share: while one read of a key runs, asking again joins it, so a
 * burst of misses of one key is one query. `forget` is for a change: a read already running may
 * have missed it, so its answer goes to its callers but is not kept, and the next read starts
 * afresh.
 */
export class SharedReads<K, V> {
  private readonly running = new Map<K, Promise<V>>();

  /** `load`'s answer, shared; `keep` is called with it unless a change overtook the read. */
  read(key: K, load: () => Promise<V>, keep: (value: V) => void): Promise<V> {
    const pending = this.running.get(key);
    if (pending) return pending;
    const done = () => {
      const current = this.running.get(key) === read;
      if (current) this.running.delete(key);
      return current;
    };
    const read: Promise<V> = load().then(
      (value) => {
        if (done()) keep(value);
        return value;
      },
      (e: unknown) => {
        done();
        throw e;
      },
    );
    this.running.set(key, read);
    return read;
  }

  forget(key: K): void {
    this.running.delete(key);
  }

  forgetAll(): void {
    this.running.clear();
  }
}
