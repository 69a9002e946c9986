/**
 * A response body read that ends when the request's timeout does. fetch's signal is meant to
 * abort the body too, but a body that stalls after its headers must never leave a caller (or a
 * shared in-flight JWKS load every later request waits on) pending for good: the read is raced
 * against the signal here as well.
 */
export function bodyWithin<T>(read: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    read.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    read.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
