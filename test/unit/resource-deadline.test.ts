/** A response body read ends when its request's timeout does, even if the body never does. */
import { describe, expect, it } from 'vitest';
import { bodyWithin } from '../../packages/resource/src/deadline.js';

describe('bodyWithin', () => {
  it('rejects with the signal when a body that never finishes outlives the timeout', async () => {
    const never = new Promise<never>(() => undefined);
    const controller = new AbortController();
    const read = bodyWithin(never, controller.signal);
    controller.abort(new DOMException('timed out', 'TimeoutError'));
    await expect(read).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('passes a body that arrives in time, and its failure, through unchanged', async () => {
    const controller = new AbortController();
    await expect(bodyWithin(Promise.resolve({ keys: [] }), controller.signal)).resolves.toEqual({ keys: [] });
    await expect(bodyWithin(Promise.reject(new SyntaxError('not JSON')), controller.signal)).rejects.toBeInstanceOf(SyntaxError);
    // A later timeout changes nothing for a read that has settled.
    controller.abort();
  });

  it('rejects at once when the timeout has already passed', async () => {
    const controller = new AbortController();
    controller.abort(new DOMException('timed out', 'TimeoutError'));
    await expect(bodyWithin(Promise.resolve('late'), controller.signal)).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});
