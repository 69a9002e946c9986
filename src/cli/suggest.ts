/**
 * The nearest names to a mistyped one ("userz" → "users"): the optimal string alignment
 * distance (insertions, deletions, substitutions, adjacent transpositions), as commander uses for
 * its own suggestions, with its limits (fewer than 3 edits, more than 40 % of the name kept).
 */

const MAX_DISTANCE = 3;
const MIN_SIMILARITY = 0.4;

export function similarNames(word: string, candidates: readonly string[]): string[] {
  let best = MAX_DISTANCE;
  let similar: string[] = [];
  for (const candidate of new Set(candidates)) {
    if (candidate.length <= 1) continue; // no one-character guesses
    const distance = editDistance(word, candidate);
    const length = Math.max(word.length, candidate.length);
    if ((length - distance) / length <= MIN_SIMILARITY) continue;
    if (distance < best) {
      best = distance;
      similar = [candidate];
    } else if (distance === best) {
      similar.push(candidate);
    }
  }
  return similar.sort((a, b) => a.localeCompare(b));
}

/** " (did you mean 'users'?)", " (did you mean one of 'a', 'b'?)", or "" when nothing is near. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  // Options are compared without their dashes, which every one of them shares.
  const dashes = /^--/.test(word) ? '--' : '';
  const bare = (s: string) => s.slice(dashes.length);
  const pool = candidates.filter((c) => c.startsWith(dashes)).map(bare);
  const similar = similarNames(bare(word), pool).map((s) => `'${dashes}${s}'`);
  if (similar.length === 0) return '';
  return ` (did you mean ${similar.length > 1 ? `one of ${similar.join(', ')}` : similar[0]}?)`;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > MAX_DISTANCE) return Math.max(a.length, b.length);
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let j = 1; j <= b.length; j++) {
    for (let i = 1; i <= a.length; i++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
