/** The service's heap growth limit (src/heap.ts) gives way to an operator's own. */
import { describe, expect, it } from 'vitest';
import { limitHeapGrowth } from '../../src/heap.js';

describe('limitHeapGrowth', () => {
  it('sets the factor unless the command line or NODE_OPTIONS already does', () => {
    expect(limitHeapGrowth(['--heap-growing-percent=50'], '')).toBe(false);
    expect(limitHeapGrowth([], '--max-old-space-size=512 --heap_growing_percent=30')).toBe(false);
    expect(limitHeapGrowth(['--enable-source-maps'], '--max-old-space-size=512')).toBe(true);
  });
});
