/**
 * Usernames under the PRECIS framework: the UsernameCaseMapped profile of RFC 8265 §3.3 over
 * the IdentifierClass of RFC 8264 §4.2, plus the confusability checks of UTS #39 §5 that the
 * RFCs leave to applications (RFC 8264 §12.5, RFC 8265 §6.1).
 *
 * `mapUsername` is the mapping part (RFC 8265 §3.3.2 steps 1–4). It never refuses: logins
 * map what was typed with it and look the result up, so a name stored by earlier, laxer rules
 * still signs in. `usernameProblem` is the enforcement part, applied when a name is chosen.
 *
 * What this approximates rather than implements exactly:
 * - The derived property values of RFC 8264 §8 are computed per code point from the JavaScript
 *   engine's Unicode data (general categories, Default_Ignorable_Code_Point,
 *   Noncharacter_Code_Point, NFKC), not read from the IANA PRECIS table; so they follow the
 *   engine's Unicode version. Unassigned code points are refused.
 * - CONTEXTJ and CONTEXTO code points (RFC 5892 Appendix A: zero-width joiners, middle dot,
 *   keraia, geresh, katakana middle dot) are refused rather than checked in context; the one
 *   CONTEXTO rule that concerns letters and digits (Arabic-Indic digits of one kind only) holds
 *   through the single-number-system check.
 * - The Bidi Rule (RFC 5893 §2) needs Bidi_Class, which JavaScript does not expose: right-to-left
 *   letters are those of the right-to-left scripts listed below, Arabic-Indic digits are AN.
 */
import { mixedDigits, mixedScripts, scriptName } from './scripts.js';

/**
 * RFC 8265 §3.3.2 steps 1–4, in order:
 * 1. Width mapping: NFKC, a superset of mapping fullwidth and halfwidth forms to their
 *    decompositions. It also maps the other compatibility characters (ligatures, superscripts,
 *    mathematical letters), which IdentifierClass would refuse (HasCompat, RFC 8264 §9.17);
 *    usernames have always been stored NFKC-mapped, so the same typed input keeps reaching the
 *    same account.
 * 2. Additional mapping: U+0130 LATIN CAPITAL LETTER I WITH DOT ABOVE becomes "i", as in Turkish,
 *    Azerbaijani and the Turkic entry of CaseFolding.txt. Unicode's toLowercase makes it "i"
 *    followed by U+0307 COMBINING DOT ABOVE, which reads as "i" but would be another name:
 *    "ALİCE" is "alice".
 * 3. Case mapping: Unicode toLowercase (`toLowerCase()`, final sigma included), as RFC 8265
 *    §3.3.2 says: not case folding, so "ß" stays "ß" and "straße" is not "strasse".
 * 4. Normalization: NFC.
 * Then white space around the name is dropped (a pasted name); white space inside stays, and
 * enforcement refuses it.
 */
export function mapUsername(input: string): string {
  return input.normalize('NFKC').replaceAll('\u0130', 'i').toLowerCase().normalize('NFC').trim();
}

/** The ASCII characters this service allows: a narrower choice than ASCII7 (RFC 8264 §9.11). */
const ASCII_ALLOWED = /^[a-z0-9._@+-]$/;
/** LetterDigits (RFC 8264 §9.1): PVALID in IdentifierClass. */
const LETTER_DIGITS = /^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u;
/** Exceptions (RFC 5892 §2.6) that are PVALID (some are symbols or punctuation). */
const EXCEPTIONS_PVALID = new Set([0x00df, 0x03c2, 0x06fd, 0x06fe, 0x0f0b, 0x3007]);
/** Exceptions that are DISALLOWED although LetterDigits (tatweel, repetition and tone marks). */
const EXCEPTIONS_DISALLOWED = new Set([0x0640, 0x07fa, 0x302e, 0x302f, 0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x303b]);
/** OldHangulJamo (RFC 8264 §9.9): conjoining jamo, whose syllables NFC composes. */
const OLD_HANGUL_JAMO = /^[\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff]$/u;
/** PrecisIgnorableProperties (§9.13), Controls (§9.12), and format characters (in no valid category). */
const INVISIBLE = /^[\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}\p{Cc}\p{Cf}]$/u;
/** Unassigned (§9.10), lone surrogates and private use: DISALLOWED. */
const UNASSIGNED = /^[\p{Cn}\p{Cs}\p{Co}]$/u;
const SPACE = /^[\p{Zs}\p{Zl}\p{Zp}]$/u;

const hex = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
const ALLOWED_TEXT = 'may contain letters, digits and . _ @ + - only';

/** Why one code point is not allowed (RFC 8264 §8's order of derived properties), if it is not. */
function codePointProblem(ch: string): string | undefined {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x80) return ASCII_ALLOWED.test(ch) ? undefined : cp === 0x20 ? 'must not contain spaces' : cp < 0x20 || cp === 0x7f ? `must not contain control characters (${hex(ch)})` : ALLOWED_TEXT;
  if (EXCEPTIONS_PVALID.has(cp)) return undefined;
  if (EXCEPTIONS_DISALLOWED.has(cp)) return `must not contain ${hex(ch)}`;
  if (UNASSIGNED.test(ch)) return `must not contain unassigned or private-use code points (${hex(ch)})`;
  if (SPACE.test(ch)) return 'must not contain spaces';
  if (INVISIBLE.test(ch)) return `must not contain control or invisible characters (${hex(ch)})`;
  if (OLD_HANGUL_JAMO.test(ch)) return `must not contain conjoining Hangul jamo (${hex(ch)}): use Hangul syllables`;
  if (ch.normalize('NFKC') !== ch) return `must not contain compatibility characters (${hex(ch)})`;
  if (LETTER_DIGITS.test(ch)) return undefined;
  return ALLOWED_TEXT;
}

const MARK = /^\p{M}$/u;
const NONSPACING_MARK = /^\p{Mn}$/u;
/**
 * Scripts whose accented letters Unicode encodes precomposed: after NFC, a combining mark still
 * standing on one of their letters (or on a digit or a symbol) has no precomposed form, and
 * would let "i" + U+0307 pass for "i" or stack a second accent on a letter.
 */
const PRECOMPOSED_SCRIPTS = /^[\p{sc=Latn}\p{sc=Grek}\p{sc=Cyrl}\p{sc=Armn}\p{sc=Zyyy}\p{sc=Zinh}]$/u;

/**
 * Combining marks: none at the start; none on a letter of a script with precomposed letters; and
 * UTS #39 §5.4's optional checks, no nonspacing mark twice in a row and no more than four in a row.
 */
function markProblem(name: string): string | undefined {
  let base: string | undefined;
  let run: string[] = [];
  for (const ch of name) {
    if (!MARK.test(ch)) {
      base = ch;
      run = [];
      continue;
    }
    if (base === undefined) return 'must not start with a combining mark';
    if (PRECOMPOSED_SCRIPTS.test(base)) return `must not contain a combining mark (${hex(ch)}) after "${base}": use a letter without it`;
    if (NONSPACING_MARK.test(ch)) {
      if (run.at(-1) === ch) return `must not repeat a combining mark (${hex(ch)})`;
      run.push(ch);
      if (run.length > 4) return 'must not stack more than four combining marks';
    }
  }
  return undefined;
}

/** Right-to-left scripts (Bidi_Class R or AL letters), for the Bidi Rule. */
const RTL_SCRIPTS = ['Hebr', 'Arab', 'Syrc', 'Thaa', 'Nkoo', 'Samr', 'Mand', 'Adlm', 'Rohg', 'Yezi', 'Mend', 'Gara', 'Armi', 'Avst', 'Chrs', 'Cprt', 'Elym', 'Hatr', 'Hung', 'Khar', 'Lydi', 'Mani', 'Merc', 'Mero', 'Narb', 'Nbat', 'Orkh', 'Ougr', 'Palm', 'Phli', 'Phlp', 'Phnx', 'Prti', 'Sarb', 'Sogd', 'Sogo'];
const RTL = new RegExp(`^[${RTL_SCRIPTS.flatMap((s) => { try { new RegExp(`\\p{sc=${s}}`, 'u'); return [`\\p{sc=${s}}`]; } catch { return []; } }).join('')}]$`, 'u');
/** Arabic-Indic and Hanifi Rohingya digits (and Arabic separators): Bidi_Class AN. */
const ARABIC_NUMBER = /^[\u0660-\u0669\u066b\u066c\u{10d30}-\u{10d39}]$/u;

type Bidi = 'L' | 'R' | 'AN' | 'EN' | 'ES' | 'CS' | 'ON' | 'NSM';
function bidiClass(ch: string): Bidi {
  if (/^[0-9\u06f0-\u06f9]$/.test(ch)) return 'EN';
  if (ch === '+' || ch === '-') return 'ES';
  if (ch === '.') return 'CS';
  if (ch === '_' || ch === '@') return 'ON';
  if (/^[\p{Mn}\p{Me}]$/u.test(ch)) return 'NSM';
  if (ARABIC_NUMBER.test(ch)) return 'AN';
  return RTL.test(ch) ? 'R' : 'L';
}

/**
 * The Directionality Rule of RFC 8265 §3.3.2 step 5: the Bidi Rule of RFC 5893 §2, for names
 * that contain right-to-left characters (R, AL or AN).
 */
function bidiProblem(name: string): string | undefined {
  const classes = [...name].map(bidiClass);
  if (!classes.some((c) => c === 'R' || c === 'AN')) return undefined;
  // Rule 1: starts with a letter. Rules 2 and 5: an RTL name holds no L, an LTR one no R or AN.
  if (classes[0] !== 'R' && classes[0] !== 'L') return 'must start with a letter when it contains right-to-left characters';
  if (classes.includes('L')) return 'must not mix left-to-right and right-to-left letters';
  // Rule 3: ends with R, AL, EN or AN, then nonspacing marks only.
  const last = classes.findLast((c) => c !== 'NSM');
  if (last !== 'R' && last !== 'EN' && last !== 'AN') return 'must end with a letter or a digit when it contains right-to-left characters';
  // Rule 4: not both European (EN) and Arabic-Indic (AN) digits.
  if (classes.includes('EN') && classes.includes('AN')) return 'must not mix Arabic-Indic digits with other digits';
  return undefined;
}

/**
 * Why a mapped username (the output of `mapUsername`) may not be chosen, or undefined. Checks, in
 * order: IdentifierClass with this service's ASCII choice (RFC 8264 §4.2, §8), combining marks,
 * one script (UTS #39 §5.1), the Bidi Rule (RFC 5893 §2), one number system (UTS #39 §5.3).
 * Lengths are the caller's to check first (every check here is linear in the length).
 */
export function usernameProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  for (const ch of name) {
    const problem = codePointProblem(ch);
    if (problem) return problem;
  }
  const marks = markProblem(name);
  if (marks) return marks;
  const clash = mixedScripts(name);
  if (clash) return `must not mix scripts (${scriptName(clash[0])} and ${scriptName(clash[1])} letters)`;
  const bidi = bidiProblem(name);
  if (bidi) return bidi;
  if (mixedDigits(name)) return 'must not mix digits of different number systems';
  return undefined;
}
