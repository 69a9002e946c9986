/**
 * Which writing systems a username's characters come from, for the mixed-script and
 * mixed-number checks of Unicode Technical Standard #39 (Unicode Security Mechanisms) §5.1 and
 * §5.3, with the Script_Extensions property of the JavaScript engine's Unicode version.
 */

/**
 * The ISO 15924 codes of the Unicode scripts (Unicode 17). A code the engine does not know is
 * skipped; a letter of a script missing here (a newer Unicode) counts as one unknown script, so
 * at worst such a letter is refused beside letters of a listed script.
 */
const SCRIPT_CODES = `Latn Cyrl Grek Armn Geor Hebr Arab Syrc Thaa Nkoo Deva Beng Guru Gujr Orya Taml Telu Knda Mlym Sinh
  Thai Laoo Tibt Mymr Khmr Hang Hani Hira Kana Bopo Ethi Cher Cans Mong Yiii Copt Glag Tfng Adlm Rohg Samr Mand Ahom Aghb
  Armi Avst Bali Bamu Bass Batk Berf Bhks Brah Brai Bugi Buhd Cakm Cari Cham Chrs Cpmn Cprt Diak Dogr Dsrt Dupl Egyp Elba
  Elym Gara Gong Gonm Goth Gran Gukh Hano Hatr Hluw Hmng Hmnp Hung Ital Java Kali Kawi Khar Khoj Kits Krai Kthi Lana Lepc
  Limb Lina Linb Lisu Lyci Lydi Mahj Maka Mani Marc Medf Mend Merc Mero Modi Mroo Mtei Mult Nagm Nand Narb Nbat Newa Nshu
  Ogam Olck Onao Orkh Osge Osma Ougr Palm Pauc Perm Phag Phli Phlp Phnx Plrd Prti Rjng Runr Sarb Saur Sgnw Shaw Shrd Sidd
  Sidt Sind Sogd Sogo Sora Soyo Sund Sunu Sylo Tagb Takr Tale Talu Tang Tavt Tayo Tglg Tirh Tnsa Todr Tols Toto Tutg Ugar
  Vaii Vith Wara Wcho Xpeo Xsux Yezi Zanb`.split(/\s+/);

/** Names for messages; other scripts are named by their code. */
const SCRIPT_NAMES: Record<string, string> = {
  Latn: 'Latin', Cyrl: 'Cyrillic', Grek: 'Greek', Armn: 'Armenian', Geor: 'Georgian', Hebr: 'Hebrew', Arab: 'Arabic',
  Deva: 'Devanagari', Thai: 'Thai', Hang: 'Hangul', Hani: 'Han', Hira: 'Hiragana', Kana: 'Katakana', Cher: 'Cherokee',
};
export const scriptName = (code: string): string => SCRIPT_NAMES[code] ?? code;

function propertyTests(property: 'sc' | 'scx'): [string, RegExp][] {
  return SCRIPT_CODES.flatMap((code): [string, RegExp][] => {
    try {
      return [[code, new RegExp(`^\\p{${property}=${code}}$`, 'u')]];
    } catch {
      return [];
    }
  });
}

const SCX = propertyTests('scx');
/** Common and Inherited: digits, punctuation, combining marks shared by scripts. */
const SHARED = /^[\p{scx=Zyyy}\p{scx=Zinh}]$/u;
const ASCII_LETTER = /^[a-z]$/;
const ASCII_SHARED = /^[0-9._@+-]$/;

/**
 * The Script_Extensions of a code point, augmented as UTS #39 §5.1 says (Han with the scripts
 * that write Japanese, Korean and Bopomofo beside it), or undefined for Common and Inherited.
 */
const cache = new Map<string, readonly string[] | undefined>();
export function scriptsOf(ch: string): readonly string[] | undefined {
  if (ASCII_LETTER.test(ch)) return ['Latn'];
  if (ASCII_SHARED.test(ch) || SHARED.test(ch)) return undefined;
  let found = cache.get(ch);
  if (found) return found;
  const set = new Set(SCX.filter(([, re]) => re.test(ch)).map(([code]) => code));
  if (set.size === 0) set.add('Zzzz');
  if (set.has('Hani')) ['Hanb', 'Jpan', 'Kore'].forEach((s) => set.add(s));
  if (set.has('Hira') || set.has('Kana')) set.add('Jpan');
  if (set.has('Hang')) set.add('Kore');
  if (set.has('Bopo')) set.add('Hanb');
  found = [...set];
  // Bounded: the characters of a few usernames, not an attacker-sized table.
  if (cache.size >= 4096) cache.clear();
  cache.set(ch, found);
  return found;
}

/**
 * UTS #39 §5.1: the resolved script set is the intersection of every character's augmented
 * script extensions (Common and Inherited take part as "all scripts"); empty means mixed. Returns
 * the two scripts that clash, or undefined when the string is single-script.
 */
export function mixedScripts(text: string): [string, string] | undefined {
  let resolved: readonly string[] | undefined;
  for (const ch of text) {
    const scripts = scriptsOf(ch);
    if (!scripts) continue;
    if (!resolved) {
      resolved = scripts;
      continue;
    }
    const both = resolved.filter((s) => scripts.includes(s));
    if (both.length === 0) return [resolved[0]!, scripts[0]!];
    resolved = both;
  }
  return undefined;
}

const DIGIT = /^\p{Nd}$/u;

/**
 * The zero of a decimal digit's number system. Digits are encoded in contiguous runs of ten from
 * zero (The Unicode Standard §4.6), so walking back to the start of the run finds it.
 */
function zeroOf(cp: number): number {
  let start = cp;
  while (start > 0 && DIGIT.test(String.fromCodePoint(start - 1))) start--;
  return start + Math.floor((cp - start) / 10) * 10;
}

/** UTS #39 §5.3 (mixed numbers): true when the decimal digits come from more than one system. */
export function mixedDigits(text: string): boolean {
  let zero: number | undefined;
  for (const ch of text) {
    if (!DIGIT.test(ch)) continue;
    const z = zeroOf(ch.codePointAt(0)!);
    if (zero !== undefined && z !== zero) return true;
    zero = z;
  }
  return false;
}
