//! Free-text screening: prohibited terms and plates in a justification.
//!
//! A justification is free text, so this module only ever finds reasons to deny; nothing
//! it does can authorise a search. The contract (brief, "Prohibited terms") is: match
//! case-insensitively on words after removing dots, each term matching a word prefix, so
//! `I.C.E.`, `deportation` and `Immigration and Customs Enforcement` match while `police`,
//! `office` and `justice` do not. The screen reads the text the way a person would, so that
//! the ways of writing a term that a person still reads as the term are caught too:
//!
//! 1. **Normalisation.** NFKC (`ＩＣＥ`, `𝐈𝐂𝐄`, `ⓘⓒⓔ`, ligatures); default-ignorable
//!    characters (zero-width spaces and joiners, soft hyphens, bidi controls, variation
//!    selectors, tags), combining marks and apostrophes are dropped without splitting a
//!    word (`de\u{200B}port`, `I'CE`); an ampersand is the word `and`.
//! 2. **Look-alike letters, from any script.** Every letter is read through the Unicode
//!    confusables data (UTS #39 skeletons, from the `unicode-security` crate), both as
//!    written and case-folded, so Cyrillic `ІСЕ`, Greek `ΗSΙ` and Cherokee `Ꭵ` read as the
//!    Latin letters they imitate. The confusables data leaves most Latin small capitals
//!    (`ᴇ`, `ʀ`, `ᴍ`) and a few Cyrillic and Greek letters as prototypes of their own, so a
//!    Latin, Greek or Cyrillic letter is also read through its transliteration (the
//!    `deunicode` crate), and so is a non-ASCII Latin prototype: `ɪᴄᴇ` is `ice`, Cyrillic
//!    `в` (prototype `ʙ`) is `b`, and, as a side effect, a transliterated `депорт` is
//!    `deport`. A letter may have several readings (Greek `Ι` is `i` or `l`, Cyrillic `р` is
//!    `p` or `r`); a term matches when some reading spells it.
//!    Readings are compared in skeleton space (`m` is `rn` on both sides), so `irnrnigrant`
//!    is `immigrant` as well. ASCII letters are taken as typed: a lower-case `l` is not `I`.
//! 3. **Digits for letters.** In a word that also has letters, or standing alone, a digit
//!    may stand for the letter it is written for (`1ce`, `d3port`, `a1ien`, `1.C.E.`); long
//!    numbers (`2026`, `287`) are only numbers.
//! 4. **Words.** Letters and digits form words; everything else separates them.
//! 5. **Matching.** A term's words are run together into its letters (`la migra` is
//!    `lamigra`) and matched from the start of a word, reading on across word breaks:
//!    - within one word, the term is a prefix of it (the contract: `deportation`, `iced`,
//!      `lamigra`);
//!    - across words that break exactly where the term's own words break, each of the
//!      term's words but the last is a whole word and the last a prefix (`Customs
//!      Enforcement officers`, `la migración`);
//!    - across words that break *inside* the term (`I CE`, `imm igration`, `de port`,
//!      `I_C_E`, `i.c.e`, `a l i e n`), the pieces must spell the whole term and end the
//!      last piece exactly there or with a common ending (`de portation`, `imm igrants`):
//!      `I certify` (`I ce` + `rtify`) and `Ali entered` stay allowed.
//!    - A term written in capitals (`HSI`, `ERO`, `CBP`) is an acronym: it matches only a
//!      whole word, or its plural written in capitals (`HSI`, `H.S.I.`, `CBP's`, `EROs`),
//!      never the start of a longer word (`hsing`, `erosion`, and `Eros`, `cbps`).
//!
//! So words that merely contain a term stay allowed (`police office`, `notice`, `justice`,
//! `Alice`, `service`, `Venice`): a term is only ever matched from the start of a word. What
//! the rules cannot tell apart, and what is accepted because free text can only deny: the
//! prefix rule of the contract matches `iced`, `Iceland` and the surname `Alien`; and
//! ordinary words that happen to spell a term when run together are read as a split term:
//! `a lien`, `Ali en route`, `de Port` (a name). Such a justification is denied with the
//! term named, and rewording it (`lienholder`) passes.
//!
//! The plate check ([`contains_plate`]) folds the text the same way (one reading per
//! letter), splits it into tokens of letters and digits, and looks for a run of whole
//! consecutive tokens whose concatenation is the canonical plate: `7KQ X291`, `7kq-x291` and
//! `7 K Q X 2 9 1` are caught, while a two-letter plate is never found inside a longer word.

use std::borrow::Cow;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_script::{Script, UnicodeScript};

use crate::model::plate::Plate;

/// Endings a split term may carry (`de portation`, `imm igrants`, `ab ortionist`). Only for
/// terms spelled in pieces; a term inside one word matches whatever follows it.
const SPLIT_SUFFIXES: [&str; 25] = [
    "s", "es", "d", "ed", "ing", "ings", "er", "ers", "ee", "ees", "ion", "ions", "ation",
    "ations", "able", "al", "ist", "ists", "ism", "ate", "ated", "ates", "ating", "y", "ies",
];

/// A compiled list of prohibited terms, ready to screen justifications.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ProhibitedTerms {
    terms: Vec<Term>,
}

/// One term: its text as the policy wrote it, and what the screen looks for.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Term {
    /// As the policy wrote it.
    text: String,
    /// Its letters in skeleton space, its words run together.
    letters: String,
    /// Byte offsets in `letters` where one of the term's words ends and another begins.
    word_ends: Vec<usize>,
    /// Written in capitals: matches a whole word only (or its plural).
    acronym: bool,
}

/// A term that folds to no words at all (for example `"..."`); it holds the 0-based index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmptyTerm(pub usize);

impl ProhibitedTerms {
    /// Compiles terms as the policy lists them. A term with no letters or digits is refused.
    pub fn new<S: AsRef<str>>(terms: &[S]) -> Result<ProhibitedTerms, EmptyTerm> {
        let mut out = Vec::with_capacity(terms.len());
        for (index, t) in terms.iter().enumerate() {
            out.push(Term::compile(t.as_ref()).ok_or(EmptyTerm(index))?);
        }
        Ok(ProhibitedTerms { terms: out })
    }

    /// The first term (in policy order) that `text` contains, as the policy wrote it.
    pub fn find(&self, text: &str) -> Option<&str> {
        if self.terms.is_empty() {
            return None;
        }
        let words = words_of(text);
        self.terms
            .iter()
            .find(|term| (0..words.len()).any(|start| term.matches_at(&words, start)))
            .map(|term| term.text.as_str())
    }

    /// True when no terms are configured.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

impl Term {
    /// Folds a term as the text is folded (first reading of each letter); None when it has
    /// no letters or digits.
    fn compile(text: &str) -> Option<Term> {
        let acronym = text.chars().any(char::is_uppercase) && !text.chars().any(char::is_lowercase);
        let mut letters = String::new();
        let mut word_ends = Vec::new();
        for word in text.split(char::is_whitespace) {
            let before = letters.len();
            for w in words_of(word) {
                for readings in &w.chars {
                    letters.push_str(readings.first().map_or("", |r| r.as_ref()));
                }
            }
            if letters.len() > before {
                word_ends.push(letters.len());
            }
        }
        // The last word's end is the term's end, not a break between two of its words.
        word_ends.pop();
        if letters.is_empty() {
            return None;
        }
        Some(Term {
            text: text.to_string(),
            letters,
            word_ends,
            acronym,
        })
    }

    /// True when the term is spelled from the start of `words[start]` on (module docs, 5).
    fn matches_at(&self, words: &[Word], start: usize) -> bool {
        let letters = self.letters.as_str();
        // Most words do not start with the term's first letter: answer those at once.
        let opens = words[start].chars.first().is_some_and(|readings| {
            readings
                .iter()
                .any(|r| letters.starts_with(r.as_ref()) || r.starts_with(letters))
        });
        if !opens {
            return false;
        }
        // (bytes of `letters` spelled so far, whether a word break fell inside a term word)
        let mut states: Vec<(usize, bool)> = vec![(0, false)];
        for (k, word) in words[start..].iter().enumerate() {
            if k > 0 {
                for s in &mut states {
                    if !self.word_ends.contains(&s.0) {
                        s.1 = true;
                    }
                }
                states.sort_unstable();
                states.dedup();
            }
            for (ci, readings) in word.chars.iter().enumerate() {
                let mut next = Vec::new();
                for &(spelled, split) in &states {
                    let rest = &letters[spelled..];
                    for r in readings {
                        let remainder = if let Some(after) = rest.strip_prefix(r.as_ref()) {
                            if !after.is_empty() {
                                next.push((spelled + r.len(), split));
                                continue;
                            }
                            word.remainder(ci + 1, "")
                        } else if let Some(extra) = r.as_ref().strip_prefix(rest) {
                            // The term ends inside this letter's reading (`m` is `rn`).
                            word.remainder(ci + 1, extra)
                        } else {
                            continue;
                        };
                        let in_capitals = || {
                            words[start..start + k]
                                .iter()
                                .all(|w| !w.has_lower(w.chars.len()))
                                && !word.has_lower(ci + 1)
                        };
                        if self.accepts(split, &remainder, in_capitals) {
                            return true;
                        }
                    }
                }
                next.sort_unstable();
                next.dedup();
                if next.is_empty() {
                    return false;
                }
                states = next;
            }
        }
        false
    }

    /// Whether a spelled term counts, given what follows it in its last word;
    /// `in_capitals` tells whether the text wrote the term without lower-case letters.
    fn accepts(&self, split: bool, remainder: &str, in_capitals: impl FnOnce() -> bool) -> bool {
        if self.acronym {
            // An acronym's plural keeps the acronym in capitals (`EROs`, `CBP's`): `Eros`
            // and `cbps` are other words.
            remainder.is_empty() || (remainder == "s" && in_capitals())
        } else if split {
            remainder.is_empty() || SPLIT_SUFFIXES.iter().any(|s| skeleton_str(s) == remainder)
        } else {
            true
        }
    }
}

/// True when `text` spells the plate as a run of whole consecutive tokens.
pub fn contains_plate(text: &str, plate: &Plate) -> bool {
    let target: String = plate_fold(plate.expose())
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    if target.is_empty() {
        return false;
    }
    let folded = plate_fold(text);
    let tokens: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    for start in 0..tokens.len() {
        let mut joined = String::with_capacity(target.len());
        for token in &tokens[start..] {
            joined.push_str(token);
            if joined.len() >= target.len() {
                if joined == target {
                    return true;
                }
                break;
            }
            if !target.starts_with(joined.as_str()) {
                break;
            }
        }
    }
    false
}

/// One way a letter or digit may be read, in skeleton space (static for ASCII).
type Reading = Cow<'static, str>;

/// A word of the text: for each of its letters and digits, every way it may be read (never
/// empty, the first being the plain reading).
struct Word {
    chars: Vec<Vec<Reading>>,
    /// Which characters were written in lower case.
    lower: Vec<bool>,
}

impl Word {
    /// True when one of the first `n` characters was written in lower case.
    fn has_lower(&self, n: usize) -> bool {
        self.lower.iter().take(n).any(|l| *l)
    }

    /// `extra` and then the plain reading of the word from its character `from` on.
    fn remainder(&self, from: usize, extra: &str) -> String {
        let mut out = extra.to_string();
        for readings in self.chars.iter().skip(from) {
            out.push_str(readings.first().map_or("", |r| r.as_ref()));
        }
        out
    }
}

/// Splits text into words (module docs, 1 to 4). Each character is normalised on its own
/// (NFKC), and one that NFKC turns into another single character is also read as written:
/// NFKC makes the lunate sigma `ϲ`, which looks like `c`, a final sigma `ς`, which does not.
fn words_of(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut current: Vec<(char, Option<char>)> = Vec::new();
    let mut add = |c: char, as_written: Option<char>, words: &mut Vec<Word>| {
        if is_ignorable(c) || is_combining_mark(c) || is_apostrophe(c) {
            return;
        }
        if c.is_alphanumeric() {
            current.push((c, as_written));
            return;
        }
        push_word(&mut current, words);
        if c == '&' {
            words.push(Word {
                chars: ["a", "n", "d"].map(|l| vec![Cow::Borrowed(l)]).to_vec(),
                lower: vec![true; 3],
            });
        }
    };
    for raw in text.chars() {
        if raw.is_ascii() {
            add(raw, None, &mut words);
            continue;
        }
        let normal: Vec<char> = std::iter::once(raw).nfkc().collect();
        let as_written = match normal.as_slice() {
            [one] if *one != raw => Some(raw),
            _ => None,
        };
        for c in normal {
            add(c, as_written, &mut words);
        }
    }
    add(' ', None, &mut words);
    words
}

/// Ends the current word, if any.
fn push_word(current: &mut Vec<(char, Option<char>)>, words: &mut Vec<Word>) {
    if current.is_empty() {
        return;
    }
    let digits_as_letters = current.len() == 1 || current.iter().any(|(c, _)| c.is_alphabetic());
    words.push(Word {
        chars: current
            .iter()
            .map(|&(c, as_written)| {
                let mut r = readings(c, digits_as_letters);
                if let Some(w) = as_written.filter(|w| !w.is_ascii()) {
                    let lower: String = w.to_lowercase().collect();
                    for source in [lower.as_str(), w.encode_utf8(&mut [0; 4])] {
                        if let Some(v) = visual_reading(source) {
                            push_unique(&mut r, Cow::Owned(v));
                        }
                    }
                }
                r
            })
            .collect(),
        lower: current.iter().map(|(c, _)| c.is_lowercase()).collect(),
    });
    current.clear();
}

/// Every way a letter or digit may be read, in skeleton space; the first is the plain one.
fn readings(c: char, digits_as_letters: bool) -> Vec<Reading> {
    const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    if c.is_ascii() {
        if c.is_ascii_digit() {
            let mut out = vec![Cow::Borrowed(DIGITS[usize::from(c as u8 - b'0')])];
            if digits_as_letters {
                for &l in digit_letters(c) {
                    push_unique(&mut out, Cow::Borrowed(ascii_skeleton(l)));
                }
            }
            return out;
        }
        return vec![Cow::Borrowed(ascii_skeleton(c.to_ascii_lowercase()))];
    }
    let mut out: Vec<Reading> = Vec::with_capacity(3);
    let lower: String = c.to_lowercase().collect();
    let mut looks_like_l = false;
    for source in [lower.as_str(), c.encode_utf8(&mut [0; 4])] {
        if let Some(r) = visual_reading(source) {
            looks_like_l |= r == "l";
            push_unique(&mut out, Cow::Owned(r));
        }
    }
    if matches!(c.script(), Script::Latin | Script::Greek | Script::Cyrillic)
        && let Some(r) = deunicode::deunicode_char(c).and_then(ascii_reading)
    {
        push_unique(&mut out, Cow::Owned(r));
    }
    if looks_like_l {
        // Whatever looks like `l` also looks like a capital `I`.
        push_unique(&mut out, Cow::Borrowed("i"));
    }
    if out.is_empty() {
        out.push(Cow::Owned(lower));
    }
    out
}

/// The UTS #39 skeleton of `source` as lower-case Latin letters and digits, when it has
/// such a reading: confusables give the prototype, a Latin prototype that is not ASCII (a
/// small capital) is transliterated, marks are dropped.
fn visual_reading(source: &str) -> Option<String> {
    let mut out = String::new();
    for p in unicode_security::skeleton(source) {
        if is_combining_mark(p) {
            continue;
        }
        if p.is_ascii_alphanumeric() {
            out.push_str(&skeleton_str(&p.to_ascii_lowercase().to_string()));
        } else if !p.is_ascii() && p.script() == Script::Latin {
            out.push_str(&ascii_reading(deunicode::deunicode_char(p)?)?);
        } else {
            return None;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// A transliteration that is one ASCII word, lower-cased, in skeleton space.
fn ascii_reading(t: &str) -> Option<String> {
    let t = t.trim();
    if t.is_empty() || !t.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some(skeleton_str(&t.to_ascii_lowercase()))
}

/// ASCII text in skeleton space: each lower-case letter by its UTS #39 prototype (`m` is
/// `rn`), anything else as it is.
fn skeleton_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_lowercase() {
            out.push_str(ascii_skeleton(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// The UTS #39 prototype of a lower-case ASCII letter, lower-cased (`m` is `rn`; the others
/// are their own).
fn ascii_skeleton(c: char) -> &'static str {
    static TABLE: OnceLock<Vec<String>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        ('a'..='z')
            .map(|l| {
                unicode_security::skeleton(l.encode_utf8(&mut [0; 4]))
                    .map(|p| p.to_ascii_lowercase())
                    .collect()
            })
            .collect()
    });
    match c {
        'a'..='z' => table
            .get(usize::from(c as u8 - b'a'))
            .map_or("", String::as_str),
        _ => "",
    }
}

/// The letters a digit is commonly written for.
fn digit_letters(d: char) -> &'static [char] {
    match d {
        '0' => &['o'],
        '1' => &['i', 'l'],
        '2' => &['z'],
        '3' => &['e'],
        '4' => &['a'],
        '5' => &['s'],
        '6' | '9' => &['g'],
        '7' => &['t'],
        '8' => &['b'],
        _ => &[],
    }
}

fn push_unique(out: &mut Vec<Reading>, reading: Reading) {
    if !reading.is_empty() && !out.contains(&reading) {
        out.push(reading);
    }
}

/// Folds text for the plate check: NFKC, invisible characters and marks dropped, each
/// letter by its one look-alike Latin letter or digit when it has one (Greek `Α` is `a`),
/// lower-cased.
fn plate_fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfkc() {
        if is_ignorable(c) || is_combining_mark(c) {
            continue;
        }
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        let lower: String = c.to_lowercase().collect();
        let single = |source: &str| {
            let mut it = unicode_security::skeleton(source).filter(|p| !is_combining_mark(*p));
            match (it.next(), it.next()) {
                (Some(p), None) if p.is_ascii_alphanumeric() => Some(p.to_ascii_lowercase()),
                _ => None,
            }
        };
        match single(c.encode_utf8(&mut [0; 4])).or_else(|| single(&lower)) {
            Some(p) => out.push(p),
            None => out.push_str(&lower),
        }
    }
    out
}

/// Apostrophes, dropped inside and around words (`ICE's` is `ices`, `O'Brien` one word).
fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{02BC}' | '\u{02BB}' | '\u{FF07}'
    )
}

/// Characters that do not show, or show only as a hyphen at a line break: dropped without
/// splitting a word. Also used by [`crate::policy::canonical_id`].
pub(crate) fn is_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' // soft hyphen
            | '\u{034F}' // combining grapheme joiner
            | '\u{061C}' // Arabic letter mark
            | '\u{115F}' | '\u{1160}' // Hangul fillers
            | '\u{17B4}' | '\u{17B5}' // Khmer inherent vowels
            | '\u{180B}'..='\u{180F}' // Mongolian variation selectors and vowel separator
            | '\u{200B}'..='\u{200F}' // zero-width space, joiners, direction marks
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{206F}' // bidi isolates, deprecated format characters
            | '\u{3164}' // Hangul filler
            | '\u{FE00}'..='\u{FE0F}' // variation selectors
            | '\u{FEFF}' // zero-width no-break space
            | '\u{FFA0}' // half-width Hangul filler
            | '\u{1BCA0}'..='\u{1BCA3}' // shorthand format controls
            | '\u{1D173}'..='\u{1D17A}' // musical formatting
            | '\u{E0000}'..='\u{E0FFF}' // tags, variation selectors supplement, reserved
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::DEFAULT_PROHIBITED_TERMS;
    use proptest::prelude::*;

    fn default_terms() -> ProhibitedTerms {
        ProhibitedTerms::new(&DEFAULT_PROHIBITED_TERMS).expect("default terms compile")
    }

    #[test]
    fn justifications_that_must_match() {
        let terms = default_terms();
        let cases: &[(&str, &str)] = &[
            ("ICE", "ice"),
            ("ice", "ice"),
            ("I.C.E.", "ice"),
            ("I.C.E", "ice"),
            ("request from I.C.E. field office", "ice"),
            ("ice-related", "ice"),
            ("ICE's request", "ice"),
            ("I C E", "ice"),
            ("I-C-E", "ice"),
            ("i. c. e.", "ice"),
            ("suspect fled.ICE wants him", "ice"),
            ("deportation", "deport"),
            ("Deported last year", "deport"),
            ("de-portation hearing", "deport"),
            ("de\u{200B}port", "deport"),
            ("de\u{00AD}portation", "deport"),
            ("d3port", "deport"),
            ("dep0rt", "deport"),
            ("1ce", "ice"),
            ("a1ien", "alien"),
            ("\u{0456}ce", "ice"),                  // Cyrillic small i
            ("\u{0406}\u{0421}\u{0415}", "ice"),    // Cyrillic capitals I, ES, IE
            ("\u{03B1}lien", "alien"),              // Greek alpha
            ("ＩＣＥ", "ice"),                      // full width
            ("\u{1D408}\u{1D402}\u{1D404}", "ice"), // mathematical bold
            ("\u{24D8}\u{24D2}\u{24D4}", "ice"),    // circled letters
            ("\u{0130}CE", "ice"),                  // Turkish dotted capital I
            ("\u{0131}ce", "ice"),                  // Turkish dotless i
            ("déportation", "deport"),
            ("Immigration and Customs Enforcement", "immigration"),
            ("referred by customs enforcement", "customs enforcement"),
            ("Customs-Enforcement request", "customs enforcement"),
            ("immigrant status", "immigrant"),
            ("IMMIGRANTS", "immigrant"),
            ("illegal alien", "alien"),
            ("Mr. Alien, witness", "alien"),
            ("detainer request", "detainer"),
            ("undocumented", "undocumented"),
            ("abortion clinic visit", "abortion"),
            ("reproductive health clinic", "reproductive"),
            ("black ice on the road", "ice"),
            ("ICE\u{FE0F}", "ice"),
            // Split by spaces or punctuation, in any grouping.
            ("I CE", "ice"),
            ("IC E", "ice"),
            ("I_C_E", "ice"),
            ("i.c.e", "ice"),
            ("i-c-e", "ice"),
            ("I / C / E agents", "ice"),
            ("imm igration", "immigration"),
            ("im mig ration status", "immigration"),
            ("immigr ants", "immigrant"),
            ("de port", "deport"),
            ("de portation", "deport"),
            ("d e p o r t", "deport"),
            ("al ien", "alien"),
            ("a lien s", "alien"),
            ("un documented", "undocumented"),
            ("abor tion", "abortion"),
            ("repro ductive", "reproductive"),
            ("det ainer", "detainer"),
            ("customs enfor cement", "customs enforcement"),
            ("customsenforcement", "customs enforcement"),
            // Look-alikes from other scripts and Latin small capitals.
            ("\u{026A}\u{1D04}\u{1D07}", "ice"), // ɪᴄᴇ
            (
                "\u{0299}\u{1D0F}\u{0280}\u{1D05}\u{1D07}\u{0280} \u{1D18}\u{1D00}\u{1D1B}\u{0280}\u{1D0F}\u{029F}",
                "border patrol",
            ),
            ("\u{1D05}\u{1D07}\u{1D18}\u{1D0F}\u{0280}\u{1D1B}", "deport"), // ᴅᴇᴘᴏʀᴛ
            ("\u{0397}S\u{0399}", "HSI"), // Greek capitals Eta, Iota
            ("\u{13A5}ce", "ice"),        // Cherokee
            ("d\u{0435}p\u{043E}rt", "deport"), // Cyrillic e, o
            ("\u{0430}li\u{0435}n", "alien"), // Cyrillic a, e
            ("\u{FF44}\u{FF45}\u{FF50}\u{FF4F}\u{FF52}\u{FF54}", "deport"), // full width
            ("i\u{200D}c\u{200C}e", "ice"), // zero-width joiners
            ("imm\u{00AD}igra\u{00AD}tion", "immigration"),
            ("irnrnigrant", "immigrant"), // rn for m
            ("\u{0406} \u{0421} \u{0415}", "ice"),
            ("\u{0434}\u{0435}\u{043F}\u{043E}\u{0440}\u{0442}", "deport"), // депорт
            (
                "\u{0438}\u{043C}\u{043C}\u{0438}\u{0433}\u{0440}\u{0430}\u{043D}\u{0442}",
                "immigrant",
            ),
            ("I'CE", "ice"),
            // The agencies' own names and acronyms.
            ("HSI", "HSI"),
            ("hsi agents", "HSI"),
            ("H.S.I.", "HSI"),
            ("ERO", "ERO"),
            ("E.R.O. Denver", "ERO"),
            ("CBP", "CBP"),
            ("CBP's request", "CBP"),
            ("C-B-P", "CBP"),
            ("USBP", "USBP"),
            ("la migra", "la migra"),
            ("La Migra", "la migra"),
            ("lamigra", "la migra"),
            ("la migración", "la migra"),
            (
                "Homeland Security Investigations",
                "homeland security investigation",
            ),
            (
                "enforcement and removal operation",
                "enforcement and removal operation",
            ),
            (
                "Enforcement & Removal Operations",
                "enforcement and removal operation",
            ),
            ("U.S. Border Patrol", "border patrol"),
            ("Customs and Border Protection", "customs and border"),
            ("Customs & Border Protection", "customs and border"),
        ];
        for (text, expected) in cases {
            assert!(
                terms.find(text).is_some(),
                "{text:?} must match the default terms"
            );
            let single = ProhibitedTerms::new(&[*expected]).expect("compiles");
            assert_eq!(
                single.find(text),
                Some(*expected),
                "{text:?} must match {expected}"
            );
        }
        assert!(cases.len() >= 90);
    }

    #[test]
    fn justifications_that_must_not_match() {
        let terms = default_terms();
        let cases = [
            "police",
            "office",
            "police office",
            "justice",
            "justice department request",
            "service",
            "service call",
            "device",
            "device theft",
            "niece",
            "Alice",
            "Alice's car",
            "Alicia",
            "price",
            "price sticker",
            "slice",
            "nice",
            "Venice",
            "notice",
            "police notice",
            "practice",
            "advice",
            "choice",
            "malice",
            "reported",
            "support",
            "airport",
            "passport",
            "deposit",
            "department",
            "detained after the robbery",
            "aborted the pursuit",
            "reproduce the scene",
            "customs declaration",
            "law enforcement",
            "lien on the vehicle",
            "lienholder called it in",
            "ICU patient",
            "i.e. the suspect",
            "I saw a car",
            "I certify that the vehicle was stolen",
            "I ceased pursuit at the county line",
            "Ali entered the store at 10pm",
            "Homicide 2026-001234, witness saw the sedan leave at 10pm",
            "robbery suspect vehicle seen near office",
            "hsing street",
            "Hsieh, the victim",
            "erosion of the embankment",
            "Eros Avenue",
            "hero of the day",
            "transported to the ER, O'Brien said",
            "ER O'Neil",
            "cbps",
            "a migraine",
            "large migraine",
            "the border of the parking lot",
            "patrol car 12",
            "homeland",
            "removal of the vehicle",
            "enforcement and removal of abandoned vehicles",
            "customs paperwork",
            "icy road",
            "seized 287 g of cocaine",
            "Amber alert, child seen in a blue sedan",
            "",
            "...",
            "1st and 3rd street",
        ];
        for text in cases {
            assert_eq!(terms.find(text), None, "{text:?} must not match");
        }
        assert!(cases.len() >= 60);
    }

    #[test]
    fn ordinary_words_that_spell_a_term_when_joined_are_read_as_a_split_term() {
        // Documented in the module: the price of catching `I CE` and `de port`.
        let terms = default_terms();
        for (text, term) in [("a lien holder", "alien"), ("Ali en route", "alien")] {
            assert_eq!(terms.find(text), Some(term), "{text:?}");
        }
    }

    #[test]
    fn the_contract_prefix_rule_still_holds_and_acronyms_are_whole_words() {
        let terms = default_terms();
        for text in ["iceberg", "iced coffee", "Iceland", "deportee", "aliens"] {
            assert!(terms.find(text).is_some(), "{text:?}");
        }
        let t = ProhibitedTerms::new(&["HSI", "ice"]).expect("ok");
        assert_eq!(t.find("HSIs"), Some("HSI"));
        assert_eq!(t.find("hsin"), None);
        assert_eq!(t.find("H SIN"), None);
        // The same letters in lower case are a prefix term.
        let t = ProhibitedTerms::new(&["hsi"]).expect("ok");
        assert_eq!(t.find("hsin"), Some("hsi"));
    }

    #[test]
    fn terms_are_folded_like_the_text_and_empty_terms_are_refused() {
        let t = ProhibitedTerms::new(&["I.C.E.", "Customs  Enforcement", "287(g)"]).expect("ok");
        assert_eq!(t.find("ice agents"), Some("I.C.E."));
        assert_eq!(t.find("customs enforcement"), Some("Customs  Enforcement"));
        assert_eq!(t.find("a 287(g) agreement"), Some("287(g)"));
        assert_eq!(t.find("a 287 g agreement"), Some("287(g)"));
        assert_eq!(ProhibitedTerms::new(&["ok", " - "]), Err(EmptyTerm(1)));
        assert!(
            ProhibitedTerms::new::<&str>(&[])
                .expect("empty list")
                .find("ice")
                .is_none()
        );
        // Terms written with look-alikes or small capitals fold like the text.
        let t = ProhibitedTerms::new(&["\u{1D05}\u{1D07}\u{1D18}\u{1D0F}\u{0280}\u{1D1B}"])
            .expect("ok");
        assert!(t.find("deportation").is_some());
    }

    #[test]
    fn plates_are_found_only_as_whole_tokens() {
        let plate = Plate::parse("7KQX291").expect("plate");
        for text in [
            "saw 7KQX291 twice",
            "saw 7KQ X291",
            "7kq-x291 near the bank",
            "plate 7.K.Q.X.2.9.1",
            "7 K Q X 2 9 1",
            "(7KQ\u{200B}X291)",
            "７ＫＱＸ２９１",
            "7\u{041A}Q X291", // Cyrillic capital KA
        ] {
            assert!(contains_plate(text, &plate), "{text:?}");
        }
        for text in ["saw 7KQX2910", "x7KQX291", "7KQ X29", "nothing here"] {
            assert!(!contains_plate(text, &plate), "{text:?}");
        }
        let short = Plate::parse("AB").expect("plate");
        assert!(!contains_plate("absent about crab", &short));
        assert!(contains_plate("plate a-b seen", &short));
        let greek = Plate::parse("ΑΒΕ1234").expect("plate");
        assert!(contains_plate("abe 1234", &greek));
    }

    /// A separator a person would read through: spaces, punctuation, invisible characters.
    fn separator() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            " ", "  ", ".", ". ", "-", "_", "/", ",", "|", "*", "+", "~", "\u{00A0}", "\u{2009}",
            "\u{3000}", "\u{2010}", "\u{2014}", ":", ";", "(", ")", "\u{00B7}", "\t", "\n",
            "\u{200B}", "\u{00AD}", "\u{2060}", "\u{FEFF}", "'",
        ])
    }

    proptest! {
        #[test]
        fn matching_never_panics(text in any::<String>(), term in "\\PC{1,12}") {
            let _ = default_terms().find(&text);
            if let Ok(t) = ProhibitedTerms::new(&[term.as_str()]) {
                let _ = t.find(&text);
            }
            if let Ok(p) = Plate::parse("7KQX291") {
                let _ = contains_plate(&text, &p);
            }
        }

        #[test]
        fn a_term_matches_however_it_is_cased_and_padded(
            index in 0usize..DEFAULT_PROHIBITED_TERMS.len(),
            upper in proptest::collection::vec(any::<bool>(), 40),
            zw in 0usize..40,
            before in "[a-z ]{0,10}",
        ) {
            let term = DEFAULT_PROHIBITED_TERMS[index];
            let mut spelled: String = term
                .chars()
                .zip(upper.iter().cycle())
                .map(|(c, u)| if *u { c.to_ascii_uppercase() } else { c })
                .collect();
            let at = spelled
                .char_indices()
                .map(|(i, _)| i)
                .nth(zw % term.chars().count().max(1))
                .unwrap_or(0);
            if at > 0 {
                spelled.insert(at, '\u{200B}');
            }
            let ending = if term.chars().any(char::is_lowercase) { "tion" } else { "" };
            let text = format!("{before} {spelled}{ending}");
            prop_assert!(default_terms().find(&text).is_some(), "{:?}", text);
        }

        #[test]
        fn a_term_split_anywhere_by_anything_is_caught(
            index in 0usize..DEFAULT_PROHIBITED_TERMS.len(),
            cuts in proptest::collection::vec((any::<bool>(), separator()), 40),
            upper in proptest::collection::vec(any::<bool>(), 40),
            before in "([a-z]{1,8} ){0,3}",
            after in prop::sample::select(vec!["", " agents", " request", "s", ". Case closed"]),
        ) {
            let term = DEFAULT_PROHIBITED_TERMS[index];
            let mut text = before.clone();
            for (i, c) in term.chars().enumerate() {
                let (cut, sep) = cuts[i % cuts.len()];
                if i > 0 && (cut || c == ' ') {
                    text.push_str(if c == ' ' && !cut { " " } else { sep });
                }
                if c != ' ' {
                    text.push(if upper[i % upper.len()] { c.to_ascii_uppercase() } else { c });
                }
            }
            text.push_str(after);
            prop_assert!(default_terms().find(&text).is_some(), "{:?} must match {}", text, term);
        }
    }
}
