//! Free-text screening: prohibited terms and plates in a justification.
//!
//! A justification is free text, so this module only ever finds reasons to deny; nothing
//! it does can authorise a search. The contract (brief, "Prohibited terms") is: match
//! case-insensitively on words after removing dots, each term word matching a word prefix,
//! so `I.C.E.`, `deportation` and `Immigration and Customs Enforcement` match while
//! `police`, `office` and `justice` do not. On top of that contract the text is folded so that
//! the usual ways of writing the same word still match:
//!
//! - NFKC compatibility forms (`ＩＣＥ`, `𝐈𝐂𝐄`, `ⓘⓒⓔ`), accents (`déportation`), full case
//!   folding (`İCE`, dotless `ı`);
//! - zero-width characters, soft hyphens, bidi controls and variation selectors are removed,
//!   so `de\u{200B}port` is `deport`;
//! - common Cyrillic and Greek look-alike letters become Latin (`іce` with a Cyrillic `і`);
//! - a digit inside a word that also has letters may stand for a letter (`1ce`, `d3port`,
//!   `dep0rt`, `a1ien`): both readings are tried;
//! - runs of single letters or digits are joined (`I C E`, `I-C-E`, `I. C. E.`);
//! - the text is also read with dots as separators (`fled.ICE`) and with hyphens and
//!   underscores removed (`de-portation`), and a term matching any reading matches.
//!
//! What a prefix rule cannot avoid, and what is accepted because free text can only deny:
//! `alien` matches the surname `Alien` and `ice` matches `iced` and `Iceland`. Words that
//! merely contain a term (`niece`, `police`, `Alice`, `reported`) do not match.
//!
//! The plate check ([`contains_plate`]) folds the text the same way, splits it into tokens of
//! letters and digits, and looks for a run of whole consecutive tokens whose concatenation
//! is the canonical plate: `7KQ X291`, `7kq-x291` and `7 K Q X 2 9 1` are caught, while a
//! two-letter plate is never found inside a longer word.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::plate::Plate;

/// A compiled list of prohibited terms, ready to screen justifications.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ProhibitedTerms {
    terms: Vec<Term>,
}

/// One term: its text as the policy wrote it and its folded words.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Term {
    text: String,
    words: Vec<String>,
}

/// A term that folds to no words at all (for example `"..."`); it holds the 0-based index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmptyTerm(pub usize);

impl ProhibitedTerms {
    /// Compiles terms as the policy lists them. A term with no letters or digits is refused.
    pub fn new<S: AsRef<str>>(terms: &[S]) -> Result<ProhibitedTerms, EmptyTerm> {
        let mut out = Vec::with_capacity(terms.len());
        for (index, t) in terms.iter().enumerate() {
            let words: Vec<String> = words_of(&fold(t.as_ref()), Reading::DotsRemoved)
                .into_iter()
                .map(|w| w.text)
                .collect();
            if words.is_empty() {
                return Err(EmptyTerm(index));
            }
            out.push(Term {
                text: t.as_ref().to_string(),
                words,
            });
        }
        Ok(ProhibitedTerms { terms: out })
    }

    /// The first term (in policy order) that `text` contains, as the policy wrote it.
    pub fn find(&self, text: &str) -> Option<&str> {
        if self.terms.is_empty() {
            return None;
        }
        let folded = fold(text);
        let readings = [
            Reading::DotsRemoved,
            Reading::DotsSeparate,
            Reading::JoinHyphens,
        ]
        .map(|r| with_variants(words_of(&folded, r)));
        self.terms
            .iter()
            .find(|term| {
                readings
                    .iter()
                    .any(|words| matches_at_some_word(term, words))
            })
            .map(|term| term.text.as_str())
    }

    /// True when no terms are configured.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// True when `text` spells the plate as a run of whole consecutive tokens.
pub fn contains_plate(text: &str, plate: &Plate) -> bool {
    let target: String = fold(plate.expose())
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    if target.is_empty() {
        return false;
    }
    let folded = fold(text);
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

/// How the folded text is split into words; a term matching any reading matches.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Reading {
    /// Dots are removed (`I.C.E.` is `ice`), everything else not a letter or digit separates.
    DotsRemoved,
    /// Dots separate too (`fled.ICE` is `fled`, `ice`).
    DotsSeparate,
    /// Dots, hyphens and underscores are removed (`de-port` is `deport`).
    JoinHyphens,
}

/// A word of the text and, when it mixes letters and digits, its readings with digits as
/// letters.
#[derive(Clone, Debug)]
struct Word {
    text: String,
    variants: Vec<String>,
}

/// Folds text for comparison: NFKD, marks and invisible characters removed, look-alike
/// letters made Latin, full case folding (upper then lower case), marks removed again.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfkd() {
        if is_combining_mark(c) || is_invisible(c) {
            continue;
        }
        let c = latin_lookalike(c).unwrap_or(c);
        for u in c.to_uppercase() {
            for l in u.to_lowercase() {
                if !is_combining_mark(l) && !is_invisible(l) {
                    out.push(l);
                }
            }
        }
    }
    out
}

/// Splits folded text into words under one reading and joins runs of single characters.
fn words_of(folded: &str, reading: Reading) -> Vec<Word> {
    let mut raw: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in folded.chars() {
        if c.is_alphanumeric() {
            current.push(c);
            continue;
        }
        let removed = match reading {
            Reading::DotsRemoved => is_dot(c),
            Reading::DotsSeparate => false,
            Reading::JoinHyphens => is_dot(c) || is_hyphen(c),
        };
        if !removed && !current.is_empty() {
            raw.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        raw.push(current);
    }
    let mut words = Vec::with_capacity(raw.len());
    let mut run = String::new();
    let mut run_len = 0usize;
    for w in raw {
        if w.chars().count() == 1 {
            run.push_str(&w);
            run_len += 1;
            continue;
        }
        if run_len > 0 {
            words.push(Word::plain(std::mem::take(&mut run)));
            run_len = 0;
        }
        words.push(Word::plain(w));
    }
    if run_len > 0 {
        words.push(Word::plain(run));
    }
    words
}

impl Word {
    fn plain(text: String) -> Word {
        Word {
            text,
            variants: Vec::new(),
        }
    }
}

/// Adds the digits-as-letters readings to every word that mixes letters and digits.
fn with_variants(mut words: Vec<Word>) -> Vec<Word> {
    for w in &mut words {
        let has_letter = w.text.chars().any(char::is_alphabetic);
        let has_digit = w.text.chars().any(|c| c.is_ascii_digit());
        if !(has_letter && has_digit) {
            continue;
        }
        let as_i = digits_as_letters(&w.text, 'i');
        let as_l = digits_as_letters(&w.text, 'l');
        if as_l != as_i {
            w.variants.push(as_l);
        }
        w.variants.push(as_i);
    }
    words
}

/// Reads ASCII digits as the letters they are commonly written for; `one` is `i` or `l`.
fn digits_as_letters(word: &str, one: char) -> String {
    word.chars()
        .map(|c| match c {
            '0' => 'o',
            '1' => one,
            '2' => 'z',
            '3' => 'e',
            '4' => 'a',
            '5' => 's',
            '6' => 'g',
            '7' => 't',
            '8' => 'b',
            '9' => 'g',
            other => other,
        })
        .collect()
}

/// True when the term's words prefix-match consecutive words somewhere in `words`.
fn matches_at_some_word(term: &Term, words: &[Word]) -> bool {
    let n = term.words.len();
    if n == 0 || words.len() < n {
        return false;
    }
    (0..=words.len() - n).any(|start| {
        term.words
            .iter()
            .zip(&words[start..start + n])
            .all(|(t, w)| {
                w.text.starts_with(t.as_str())
                    || w.variants.iter().any(|v| v.starts_with(t.as_str()))
            })
    })
}

/// Dot-like characters that the contract removes.
fn is_dot(c: char) -> bool {
    matches!(
        c,
        '.' | '\u{00B7}'
            | '\u{0387}'
            | '\u{2024}'
            | '\u{2027}'
            | '\u{2219}'
            | '\u{22C5}'
            | '\u{30FB}'
    )
}

/// Hyphens, dashes and underscores, removed in the [`Reading::JoinHyphens`] reading.
fn is_hyphen(c: char) -> bool {
    matches!(
        c,
        '-' | '_' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' | '\u{FF0D}'
    )
}

/// Characters that do not show, or show only as a hyphen at a line break.
fn is_invisible(c: char) -> bool {
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
            | '\u{1D173}'..='\u{1D17A}' // musical formatting
            | '\u{E0000}'..='\u{E007F}' // tags
            | '\u{E0100}'..='\u{E01EF}' // variation selectors supplement
    )
}

/// The Latin letter a Cyrillic, Greek or other look-alike letter is written for, keeping case.
fn latin_lookalike(c: char) -> Option<char> {
    Some(match c {
        // Cyrillic capitals.
        'А' => 'A',
        'В' => 'B',
        'Е' | 'Ё' => 'E',
        'Ѕ' => 'S',
        'І' | 'Ї' | 'Ӏ' => 'I',
        'Ј' => 'J',
        'К' => 'K',
        'М' => 'M',
        'Н' => 'H',
        'О' => 'O',
        'Р' => 'P',
        'С' => 'C',
        'Т' => 'T',
        'У' | 'Ү' => 'Y',
        'Х' => 'X',
        'Ԛ' => 'Q',
        'Ԝ' => 'W',
        // Cyrillic small letters.
        'а' => 'a',
        'в' => 'b',
        'е' | 'ё' => 'e',
        'ѕ' => 's',
        'і' | 'ї' => 'i',
        'ј' => 'j',
        'к' => 'k',
        'м' => 'm',
        'н' => 'h',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'т' => 't',
        'у' | 'ү' => 'y',
        'х' => 'x',
        'ԁ' => 'd',
        'һ' => 'h',
        'ӏ' => 'l',
        'ԛ' => 'q',
        'ԝ' => 'w',
        'ѵ' => 'v',
        // Greek capitals.
        'Α' => 'A',
        'Β' => 'B',
        'Ε' => 'E',
        'Ζ' => 'Z',
        'Η' => 'H',
        'Ι' => 'I',
        'Κ' => 'K',
        'Μ' => 'M',
        'Ν' => 'N',
        'Ο' => 'O',
        'Ρ' => 'P',
        'Τ' => 'T',
        'Υ' => 'Y',
        'Χ' => 'X',
        // Greek small letters.
        'α' => 'a',
        'ε' => 'e',
        'η' => 'n',
        'ι' => 'i',
        'κ' => 'k',
        'ν' => 'v',
        'ο' => 'o',
        'ρ' => 'p',
        'τ' => 't',
        'υ' => 'u',
        'χ' => 'x',
        'ϲ' => 'c',
        'ϳ' => 'j',
        // Armenian and Latin variants.
        'օ' => 'o',
        'ս' => 'u',
        'ո' => 'n',
        'հ' => 'h',
        'ı' => 'i',
        'ȷ' => 'j',
        'ɡ' => 'g',
        'ɑ' => 'a',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DEFAULT_TERMS: [&str; 10] = [
        "ice",
        "immigration",
        "immigrant",
        "deport",
        "detainer",
        "alien",
        "undocumented",
        "customs enforcement",
        "abortion",
        "reproductive",
    ];

    fn default_terms() -> ProhibitedTerms {
        ProhibitedTerms::new(&DEFAULT_TERMS).expect("default terms compile")
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
        assert!(cases.len() >= 30);
    }

    #[test]
    fn justifications_that_must_not_match() {
        let terms = default_terms();
        let cases = [
            "police",
            "office",
            "justice",
            "service",
            "device",
            "niece",
            "Alice",
            "Alicia",
            "price",
            "slice",
            "notice",
            "practice",
            "advice",
            "choice",
            "malice",
            "reported",
            "support",
            "airport",
            "passport",
            "deposit",
            "detained after the robbery",
            "aborted the pursuit",
            "reproduce the scene",
            "customs declaration",
            "law enforcement",
            "lien on the vehicle",
            "a lien holder",
            "ICU patient",
            "i.e. the suspect",
            "I saw a car",
            "Homicide 2026-001234, witness saw the sedan leave at 10pm",
            "",
            "...",
            "1st and 3rd street",
        ];
        for text in cases {
            assert_eq!(terms.find(text), None, "{text:?} must not match");
        }
        assert!(cases.len() >= 20);
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
            index in 0usize..DEFAULT_TERMS.len(),
            upper in proptest::collection::vec(any::<bool>(), 32),
            zw in 0usize..20,
            before in "[a-z ]{0,10}",
        ) {
            let term = DEFAULT_TERMS[index];
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
            let text = format!("{before} {spelled}tion");
            prop_assert!(default_terms().find(&text).is_some(), "{:?}", text);
        }
    }
}
