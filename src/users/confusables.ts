/**
 * Usernames that read the same: a confusable "skeleton" in the spirit of UTS #39 §4, so that a
 * new name whose skeleton equals an existing name's is refused ("асе" in Cyrillic beside "ace").
 *
 * The approximation: instead of the whole confusables.txt (thousands of entries, some mapping one
 * character to several, "m" to "rn"), a small table of the lowercase Cyrillic, Greek, Armenian
 * and Latin letters that look like another letter, each mapped to one character. Being a
 * one-to-one character map over NFC text, the same skeleton is computed in SQL with
 * `translate()`, so no column, index or migration is needed. Left out: look-alikes inside ASCII
 * ("rn"/"m", "0"/"o", "1"/"l"), which existing usernames may already differ by only; letters that
 * look alike only in some fonts or in italics (Cyrillic т, п, и); uppercase, which usernames never
 * hold after case mapping.
 */

/** Look-alike → the letter it passes for (UTS #39 confusables.txt, lowercase, one character each). */
const LOOKALIKES: Record<string, string> = {
  // Cyrillic
  'а': 'a', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x', 'і': 'i', 'ѕ': 's', 'ј': 'j',
  'ԁ': 'd', 'һ': 'h', 'ӏ': 'l', 'ԛ': 'q', 'ԝ': 'w', 'ү': 'y',
  // Greek (final sigma is sigma: case folding makes them one letter)
  'ο': 'o', 'α': 'a', 'ν': 'v', 'κ': 'k', 'τ': 't', 'ι': 'i', 'ρ': 'p', 'υ': 'u', 'γ': 'y', 'ϳ': 'j', 'ϲ': 'c', 'ς': 'σ',
  // Armenian
  'օ': 'o', 'ո': 'n', 'ս': 'u', 'հ': 'h', 'զ': 'q', 'ց': 'g',
  // Latin letters that pass for other Latin letters
  'ı': 'i', 'ɩ': 'i', 'ɑ': 'a', 'ɡ': 'g', 'ǀ': 'l',
};

/**
 * The table, extended to precomposed letters ("ё" is "е" + U+0308, so it passes for "ë"): each
 * letter of the Latin, Greek, Cyrillic and Armenian blocks whose canonical decomposition starts
 * with a look-alike maps to the precomposed letter of the same decomposition, when there is one.
 */
function buildMap(): Map<string, string> {
  const map = new Map(Object.entries(LOOKALIKES));
  const blocks: [number, number][] = [[0x00c0, 0x024f], [0x0370, 0x058f], [0x1e00, 0x1fff]];
  for (const [from, to] of blocks) {
    for (let cp = from; cp <= to; cp++) {
      const ch = String.fromCodePoint(cp);
      const [first, ...rest] = ch.normalize('NFD');
      const target = first === undefined || rest.length === 0 ? undefined : map.get(first);
      if (target === undefined || map.has(ch)) continue;
      const composed = (target + rest.join('')).normalize('NFC');
      if ([...composed].length === 1) map.set(ch, composed);
    }
  }
  return map;
}

const MAP = buildMap();

/** `translate()`'s arguments: the look-alikes and, at the same positions, what they pass for. */
export const SKELETON_FROM = [...MAP.keys()].join('');
export const SKELETON_TO = [...MAP.values()].join('');

/** Characters that some look-alike passes for: at such a position, another character may match. */
const TARGETS = new Set(MAP.values());

/** The skeleton of a mapped (NFC) username: each look-alike replaced by what it passes for. */
export function skeleton(name: string): string {
  let out = '';
  for (const ch of name) out += MAP.get(ch) ?? ch;
  return out;
}

/**
 * A LIKE pattern that every username with this skeleton matches (and few others): a character
 * that no look-alike passes for must be there as it is; any other position is `_`. Cheap to test
 * on every row before computing skeletons, and it fixes the length, as `translate()` keeps it.
 */
export function skeletonPattern(skel: string): string {
  let out = '';
  for (const ch of skel) out += TARGETS.has(ch) ? '_' : ch.replace(/[\\%_]/g, (c) => `\\${c}`);
  return out;
}
