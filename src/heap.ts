/**
 * How far V8 lets the old generation grow between full collections. By default the limit is the
 * live heap times a factor of up to 4 when collections are cheap, and on a machine with plenty of
 * memory that is what a busy service gets: at a few thousand token requests a second its live
 * heap of about 60 MB swells to about 230 MB of garbage before each full collection, and the
 * process to more than 300 MB resident. A factor of 2 keeps it near 210 MB for the same CPU per
 * request (measured in `npm run bench`, README "Performance"); a hard `--max-old-space-size`
 * cap costs about 13% more CPU at the same size, and risks running out of heap.
 *
 * V8 reads the factor at every collection, so setting it at start works. An operator's own
 * `--heap-growing-percent` (on the command line or in NODE_OPTIONS) wins.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 100;

export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  if ([...execArgv, nodeOptions].some((a) => /--heap[-_]growing[-_]percent/.test(a))) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
