/**
 * Usernames that look alike (RC-12): the PRECIS mapping and checks of src/users/precis.ts
 * (RFC 8265 §3.3, RFC 8264 §4.2, RFC 5893 §2), the mixed-script and mixed-number checks of
 * src/users/scripts.ts (UTS #39 §5.1, §5.3), and the confusable skeleton of
 * src/users/confusables.ts (UTS #39 §4). The database side is in
 * test/e2e/usernames.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { skeleton, SKELETON_FROM, SKELETON_TO, skeletonPattern } from '../../src/users/confusables.js';
import { mapUsername, usernameProblem } from '../../src/users/precis.js';
import { normalizeUsername } from '../../src/users/user-service.js';

/** What usernames were stored as, and checked against, before RC-12. */
const oldNormalize = (s: string) => s.normalize('NFKC').toLowerCase().trim();
const OLD_ALLOWED = /^[\p{L}\p{N}._@+-]+$/u;

describe('RC-12 PRECIS mapping (RFC 8265 §3.3.2)', () => {
  it.each([
    ['ａｌｉｃｅ', 'alice', 'fullwidth letters: width mapping'],
    ['ALICE', 'alice', 'case mapping'],
    ['ALİCE', 'alice', 'dotted capital I is "i", not "i" + U+0307'],
    ['Alİce', 'alice', 'dotted capital I inside a name'],
    ['  Alice\t', 'alice', 'white space around the name'],
    ['ﬁle', 'file', 'compatibility ligature (NFKC, as stored before)'],
    ['ｱｲ', 'アイ', 'halfwidth katakana'],
    ['ΟΔΟΣ', 'οδος', 'Greek capitals, final sigma'],
    ['STRAẞE', 'straße', 'toLowerCase, not case folding: ß stays'],
    ['Ǆemal', 'džemal', 'NFKC splits the digraph, then lower case'],
    ['e\u0301', 'é', 'NFC'],
  ])('RC-12 %j maps to %j (%s)', (input, expected) => {
    expect(mapUsername(input)).toBe(expected);
    expect(normalizeUsername(input)).toBe(expected);
  });

  it('RC-12 maps every name the old rules could store to itself, and each typed form to the same stored name', () => {
    // Every code point: where the old normalization gave an allowed name, the new one gives the
    // same (login keeps finding the account), and that name maps to itself.
    for (let cp = 0; cp < 0x110000; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const typed = String.fromCodePoint(cp);
      const stored = oldNormalize(typed);
      if (!OLD_ALLOWED.test(stored)) continue;
      if (mapUsername(typed) !== stored || mapUsername(stored) !== stored) expect.fail(`U+${cp.toString(16)}: ${mapUsername(typed)} ≠ ${stored}`);
    }
    // Strings of tricky pieces: capitals, fullwidth, final sigma, Hangul jamo, ligatures, spaces.
    const piece = fc.constantFrom('a', 'Z', 'ｂ', 'Σ', 'σ', 'Ο', 'İ', 'ı', 'ß', 'ẞ', 'ᄀ', 'ᅡ', 'ﬀ', 'Ⅻ', '¹', 'ǅ', ' ', '\u00a0', '.', '_', '-', 'А', 'é', 'e\u0301', 'ᾼ', 'ﾊﾟ');
    fc.assert(
      fc.property(fc.string({ unit: piece, maxLength: 12 }), (typed) => {
        const stored = oldNormalize(typed);
        if (OLD_ALLOWED.test(stored)) expect(mapUsername(typed)).toBe(stored);
        expect(mapUsername(mapUsername(typed))).toBe(mapUsername(typed));
      }),
      { numRuns: 3000 },
    );
  });

  it('RC-12 maps very long input in linear time and never refuses it', () => {
    const started = performance.now();
    expect(mapUsername('Ａ'.repeat(1_000_000))).toBe('a'.repeat(1_000_000));
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('RC-12 choosing a username (IdentifierClass, RFC 8264 §4.2; Bidi Rule, RFC 5893 §2; UTS #39 §5)', () => {
  it.each([
    ['alice', 'ASCII letters'],
    ['bob.smith', 'dot'],
    ['x_y@z+w-v.u', 'every ASCII symbol kept: . _ @ + -'],
    ['user1-a3f9c0', 'digits'],
    ['αλέξης.2024', 'Greek with digits and a dot'],
    ['иван_петров', 'Cyrillic with an underscore'],
    ['nguyễn', 'Latin with precomposed accents'],
    ['straße', 'sharp s (RFC 5892 exception, PVALID)'],
    ['नमस्ते', 'Devanagari with vowel signs and virama (combining marks)'],
    ['สมชาย', 'Thai'],
    ['ラーメン', 'Katakana with the prolonged sound mark (Common, Script_Extensions Hira Kana)'],
    ['東京たろう', 'Han with Hiragana (Japanese: one writing system)'],
    ['김철수', 'Hangul syllables'],
    ['שלום', 'Hebrew'],
    ['محمد٣', 'Arabic ending in an Arabic-Indic digit'],
    ['דוד2', 'Hebrew ending in a European digit'],
  ])('RC-12 accepts %j (%s)', (name) => {
    expect(mapUsername(name)).toBe(name);
    expect(usernameProblem(name)).toBeUndefined();
  });

  it.each([
    ['аlice', /^must not mix scripts \(Cyrillic and Latin letters\)$/, 'Cyrillic а among Latin letters'],
    ['pаypal', /^must not mix scripts \(Latin and Cyrillic letters\)$/, 'Cyrillic а inside'],
    ['alicε', /must not mix scripts \(Latin and Greek/, 'Greek epsilon'],
    ['a١', /must not mix scripts \(Latin and Arabic/, 'Arabic-Indic digit among Latin letters'],
    ['alice\u30fc', /must not mix scripts/, 'a Katakana mark after Latin letters'],
    ['al ice', /^must not contain spaces$/, 'space'],
    ['al\u3000ice', /^must not contain spaces$/, 'ideographic space (NFKC: a space)'],
    ['ali\u0000ce', /control characters \(U\+0000\)/, 'NUL'],
    ['ali\u0085ce', /control or invisible characters \(U\+0085\)/, 'C1 control'],
    ['alice\u200d', /invisible characters \(U\+200D\)/, 'zero-width joiner'],
    ['ali\u00adce', /invisible characters \(U\+00AD\)/, 'soft hyphen'],
    ['\u3164', /invisible characters \(U\+1160\)/, 'Hangul filler (NFKC: U+1160)'],
    ['\u1100\u1100', /conjoining Hangul jamo/, 'jamo that compose no syllable'],
    ['alice😀', /^may contain letters, digits and \. _ @ \+ - only$/, 'emoji'],
    ['alice♥', /may contain letters, digits/, 'symbol'],
    ['alice!', /may contain letters, digits/, 'ASCII symbol outside . _ @ + -'],
    ['ali/ce', /may contain letters, digits/, 'slash'],
    ['alice·x', /may contain letters, digits/, 'middle dot (CONTEXTO, refused)'],
    ['ᛮ', /may contain letters, digits/, 'letter number (Nl)'],
    ['\ue000', /private-use/, 'private use'],
    ['\u0378', /unassigned/, 'unassigned'],
    ['محـمد', /must not contain U\+0640/, 'Arabic tatweel (RFC 5892 exception, DISALLOWED)'],
    ['i\u0307', /combining mark \(U\+0307\) after "i"/, 'i + combining dot typed directly'],
    ['ali\u0307ce', /combining mark/, 'combining dot inside a Latin name'],
    ['\u0301a', /^must not start with a combining mark$/, 'leading mark'],
    ['1\u0301', /combining mark/, 'mark on a digit'],
    ['क\u093c\u093c', /must not repeat a combining mark/, 'repeated nukta (UTS #39 §5.4)'],
    ['1שלום', /must start with a letter/, 'right-to-left name starting with a digit (Bidi rule 1)'],
    ['שלום.', /must end with a letter or a digit/, 'right-to-left name ending with a dot (Bidi rule 3)'],
    ['محمد٣3', /must not mix Arabic-Indic digits with other digits/, 'Bidi rule 4'],
    ['محمد٣۳', /must not mix Arabic-Indic digits with other digits/, 'Arabic-Indic and extended Arabic-Indic (RFC 5892 CONTEXTO)'],
    ['محمد۳3', /must not mix digits of different number systems/, 'extended Arabic-Indic and European digits (UTS #39 §5.3)'],
    ['राम१1', /must not mix digits of different number systems/, 'Devanagari and European digits (UTS #39 §5.3)'],
  ])('RC-12 refuses %j: %s', (typed, message) => {
    expect(usernameProblem(mapUsername(typed))).toMatch(message);
  });

  it('RC-12 refuses "ALİCE" nowhere: it is "alice" (the same account), never "i" + U+0307', () => {
    expect(mapUsername('ALİCE')).not.toContain('\u0307');
    expect(usernameProblem(mapUsername('ALİCE'))).toBeUndefined();
  });

  it('RC-12 checks a 150-character name quickly, whatever its script', () => {
    const names = ['a'.repeat(150), 'ж'.repeat(150), 'क्'.repeat(75), '東'.repeat(150), 'a'.repeat(149) + 'ж'];
    const started = performance.now();
    for (let i = 0; i < 100; i++) for (const name of names) usernameProblem(name);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

/** SQL LIKE (backslash escapes, `_` one character, `%` any) as a regular expression. */
function like(pattern: string): RegExp {
  let re = '';
  for (let i = 0, chars = [...pattern]; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\') re += `\\u{${chars[++i]!.codePointAt(0)!.toString(16)}}`;
    else if (c === '_') re += '.';
    else if (c === '%') re += '.*';
    else re += `\\u{${c.codePointAt(0)!.toString(16)}}`;
  }
  return new RegExp(`^${re}$`, 'su');
}

describe('RC-12 confusable skeleton (UTS #39 §4, a small table)', () => {
  it.each([
    ['асе', 'ace', 'all-Cyrillic look-alike of a Latin name'],
    ['ορο', 'opo', 'all-Greek look-alike'],
    ['рор', 'pop', 'Cyrillic'],
    ['ѕкуре', 'sкype', 'к is not in the table (it looks like "k" in few fonts)'],
    ['сё', 'cë', 'precomposed: ё is е + U+0308, so it reads as ë'],
    ['ԁаѕһ', 'dash', 'less common Cyrillic look-alikes'],
    ['alıce', 'alice', 'dotless i'],
    ['οδοσ', 'oδoσ', 'sigma'],
    ['οδος', 'oδoσ', 'final sigma is sigma'],
    ['bob.smith', 'bob.smith', 'ASCII is its own skeleton'],
  ])('RC-12 skeleton(%j) = %j (%s)', (name, expected) => {
    expect(skeleton(name)).toBe(expected);
  });

  it('RC-12 pairs that read the same have one skeleton; pairs that do not, two', () => {
    expect(skeleton('асе')).toBe(skeleton('ace'));
    expect(skeleton('αλέξης')).not.toBe(skeleton('alexis'));
    expect(skeleton('иван')).not.toBe(skeleton('ivan'));
    expect(skeleton('straße')).not.toBe(skeleton('strasse'));
  });

  it('RC-12 is a one-to-one character map, so SQL translate() computes the same skeleton', () => {
    const from = [...SKELETON_FROM];
    const to = [...SKELETON_TO];
    expect(from.length).toBe(to.length);
    expect(new Set(from).size).toBe(from.length);
    // No look-alike is ASCII, nor does a look-alike pass for another look-alike.
    for (const ch of from) expect(ch.codePointAt(0)).toBeGreaterThan(0x7f);
    for (const ch of to) expect(from).not.toContain(ch);
    // PostgreSQL's translate(), character by character.
    const translate = (s: string) => [...s].map((c) => (from.includes(c) ? to[from.indexOf(c)] : c)).join('');
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...from, ...to, 'b', 'f', '.', '_', '1', 'λ', 'ж'), maxLength: 10 }), (s) => translate(s) === skeleton(s)));
  });

  it('RC-12 every name with a given skeleton matches its LIKE pattern, which fixes the length', () => {
    const preimages = new Map<string, string[]>();
    const from = [...SKELETON_FROM];
    const to = [...SKELETON_TO];
    from.forEach((c, i) => preimages.set(to[i]!, [...(preimages.get(to[i]!) ?? [to[i]!]), c]));
    const letter = fc.constantFrom(...to, 'b', 'f', 'm', '.', '_', '%', '\\', '1', 'λ');
    fc.assert(
      fc.property(fc.array(letter, { minLength: 1, maxLength: 12 }), fc.infiniteStream(fc.nat()), (chars, picks) => {
        const skel = skeleton(chars.join(''));
        const twin = [...skel].map((c) => { const all = preimages.get(c) ?? [c]; return all[picks.next().value % all.length]; }).join('');
        expect(skeleton(twin)).toBe(skel);
        expect(twin).toMatch(like(skeletonPattern(skel)));
        expect(`${twin}x`).not.toMatch(like(skeletonPattern(skel)));
      }),
    );
    expect(skeletonPattern('bf.1')).toBe('bf.1');
    expect(skeletonPattern('b_b%')).toBe('b\\_b\\%');
    expect(skeletonPattern('ace')).toBe('___');
  });
});
