//! Plates and regions: the canonical form every other module relies on.
//!
//! A plate read by a camera arrives in many spellings (`ab-123`, `AB 123`, `Ａｂ１２３`).
//! This module turns each into one canonical form so that the keyed hash of a plate is the
//! same however it was written: NFKC normalisation, separators (spaces, hyphens, dashes and
//! dots) removed, Unicode letters and digits kept and uppercased (a combining mark may follow
//! one), repeated until the text no longer changes, so that a canonical form parses to
//! itself; 1 to 10 characters. Any other character is an error, and the wildcard characters (`*`, `?`, `%`, `_`) have an
//! error of their own: there is no partial-plate search in platevault.
//!
//! A [`Plate`] is sensitive: its `Debug` output is redacted and no error message carries
//! plate text. A [`Region`] (`CO`, `US-CO`, `DE`) is not secret, but it is part of the hash.

use std::fmt;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Most characters a canonical plate may have.
pub const MAX_PLATE_CHARS: usize = 10;

/// Why a plate was refused. Messages never quote the plate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlateError {
    /// Nothing left after removing separators.
    #[error("plate is empty: give the letters and digits of the plate")]
    Empty,
    /// More than [`MAX_PLATE_CHARS`] letters and digits.
    #[error("plate has {chars} letters and digits; at most {MAX_PLATE_CHARS} are allowed")]
    TooLong {
        /// How many characters the canonical form had.
        chars: usize,
    },
    /// A wildcard or pattern character: partial-plate searches do not exist.
    #[error(
        "plate contains a wildcard or pattern character at position {position}: only exact plates are accepted"
    )]
    Wildcard {
        /// 1-based position of the character in the NFKC-normalised input.
        position: usize,
    },
    /// A character that is neither a letter, a digit nor a separator.
    #[error(
        "plate contains a character that is not a letter, digit, space, hyphen or dot at position {position}"
    )]
    InvalidCharacter {
        /// 1-based position of the character in the NFKC-normalised input.
        position: usize,
    },
    /// Canonicalisation did not settle (text that keeps changing under NFKC and uppercasing).
    #[error("plate does not settle into one canonical form: write it in plain letters and digits")]
    Unstable,
}

/// Why a region was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegionError {
    /// No region given.
    #[error("region is missing: give the issuing region, for example CO or US-CO")]
    Missing,
    /// Wrong length or characters.
    #[error("region must be 2 to 6 letters, digits or hyphens (for example CO or US-CO)")]
    Malformed,
}

/// A plate in canonical form. Its text is zeroized on drop and never printed by `Debug`.
#[derive(Clone, PartialEq, Eq, Hash, Zeroize, ZeroizeOnDrop)]
pub struct Plate(String);

impl Plate {
    /// Canonicalises and validates a plate as written by a camera or a person.
    pub fn parse(raw: &str) -> Result<Plate, PlateError> {
        // Uppercasing and removing separators can leave text that is not in NFKC
        // (`ǰ` uppercases to `J` and a combining caron; marks on both sides of a removed
        // hyphen meet and reorder). Canonicalise again until nothing changes, so that the
        // canonical form of every accepted plate parses to itself. NFKC and uppercasing
        // settle within two rounds; four is a safe bound.
        let mut plate = canonicalise_once(raw)?;
        if plate.0.is_ascii() {
            // ASCII letters and digits, uppercased: already NFKC and a fixed point.
            return Ok(plate);
        }
        for _ in 0..4 {
            let again = canonicalise_once(&plate.0)?;
            if again == plate {
                return Ok(plate);
            }
            plate = again;
        }
        Err(PlateError::Unstable)
    }

    /// The canonical text. Handle with care: it is the one secret the store never keeps.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Number of characters in the canonical form.
    pub fn char_count(&self) -> usize {
        self.0.chars().count()
    }
}

/// One round of canonicalisation: NFKC, separators removed, letters and digits uppercased
/// (a combining mark is kept after a letter or digit), 1 to [`MAX_PLATE_CHARS`] characters.
fn canonicalise_once(raw: &str) -> Result<Plate, PlateError> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = 0usize;
    for (index, c) in raw.nfkc().enumerate() {
        let position = index + 1;
        if is_separator(c) {
            continue;
        }
        if is_wildcard(c) {
            out.zeroize();
            return Err(PlateError::Wildcard { position });
        }
        let mark_after_character = chars > 0 && is_combining_mark(c);
        if !c.is_alphanumeric() && !mark_after_character {
            out.zeroize();
            return Err(PlateError::InvalidCharacter { position });
        }
        for u in c.to_uppercase() {
            out.push(u);
            chars += 1;
        }
    }
    if chars == 0 {
        return Err(PlateError::Empty);
    }
    if chars > MAX_PLATE_CHARS {
        out.zeroize();
        return Err(PlateError::TooLong { chars });
    }
    Ok(Plate(out))
}

impl fmt::Debug for Plate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Plate(<redacted>)")
    }
}

/// An issuing region (`CO`, `US-CO`, `DE`): uppercased, 2 to 6 letters, digits or hyphens.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(String);

impl Region {
    /// Validates a region as given (uppercased; `CO` and `US-CO` stay different regions).
    pub fn parse(raw: &str) -> Result<Region, RegionError> {
        if raw.is_empty() {
            return Err(RegionError::Missing);
        }
        let upper = raw.to_ascii_uppercase();
        let ok = (2..=6).contains(&upper.len())
            && upper
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Region(upper))
        } else {
            Err(RegionError::Malformed)
        }
    }

    /// The region text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Region({})", self.0)
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// True for the separators that canonicalisation removes: white space, hyphens, dashes, dots.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '.'
                | '\u{00B7}' // middle dot
                | '\u{2010}'
                ..='\u{2015}' // hyphen, non-breaking hyphen, figure dash, en, em, bar
                | '\u{2212}' // minus sign
                | '\u{30FB}' // katakana middle dot
        )
}

/// True for characters that would make a pattern in some query language.
fn is_wildcard(c: char) -> bool {
    matches!(
        c,
        '*' | '?' | '%' | '_' | '[' | ']' | '^' | '$' | '|' | '+' | '(' | ')' | '{' | '}' | '\\'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn canon(s: &str) -> String {
        Plate::parse(s).expect("valid plate").expose().to_string()
    }

    #[test]
    fn separators_case_and_width_are_normalised() {
        assert_eq!(canon("ab-123"), "AB123");
        assert_eq!(canon("AB 123"), "AB123");
        assert_eq!(canon(" a.b 1-2.3 "), "AB123");
        assert_eq!(canon("Ａｂ１２３"), "AB123"); // full-width forms, NFKC
        assert_eq!(canon("ab\u{2013}123"), "AB123"); // en dash
        assert_eq!(canon("münchen1"), "MÜNCHEN1");
        assert_eq!(canon("Ⅻ7"), "XII7"); // roman numeral compatibility form
    }

    #[test]
    fn wildcards_are_refused_with_their_own_error() {
        for raw in ["AB*", "A?C", "AB%", "A_C", "A[BC]", "^AB", "AB.*"] {
            assert!(
                matches!(Plate::parse(raw), Err(PlateError::Wildcard { .. })),
                "{raw} must be refused as a wildcard"
            );
        }
    }

    #[test]
    fn other_characters_length_and_emptiness_are_refused() {
        assert_eq!(
            Plate::parse("AB#12"),
            Err(PlateError::InvalidCharacter { position: 3 })
        );
        assert_eq!(Plate::parse(" - . "), Err(PlateError::Empty));
        assert_eq!(Plate::parse(""), Err(PlateError::Empty));
        assert_eq!(
            Plate::parse("ABCDEFGHIJK"),
            Err(PlateError::TooLong { chars: 11 })
        );
        assert!(Plate::parse("ABCDEFGHIJ").is_ok());
        // A character that uppercases to two counts twice.
        assert_eq!(
            Plate::parse("ßßßßßß"),
            Err(PlateError::TooLong { chars: 12 })
        );
    }

    #[test]
    fn debug_and_errors_never_show_the_plate() {
        let p = Plate::parse("7KQX291").expect("valid");
        assert!(!format!("{p:?}").contains("7KQX291"));
        let e = Plate::parse("7KQX291*").expect_err("wildcard");
        assert!(!e.to_string().contains("7KQX"));
    }

    #[test]
    fn regions_are_uppercased_and_checked() {
        assert_eq!(Region::parse("co").expect("ok").as_str(), "CO");
        assert_eq!(Region::parse("us-co").expect("ok").as_str(), "US-CO");
        assert_ne!(Region::parse("CO").ok(), Region::parse("US-CO").ok());
        assert_eq!(Region::parse(""), Err(RegionError::Missing));
        for bad in ["C", "US-COLO", "C O", "CÖ", "US_CO"] {
            assert_eq!(Region::parse(bad), Err(RegionError::Malformed), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn canonical_form_is_a_fixed_point(raw in "[a-zA-Z0-9 .\\-]{0,16}") {
            if let Ok(p) = Plate::parse(&raw) {
                let again = Plate::parse(p.expose()).expect("canonical form parses");
                prop_assert_eq!(again.expose(), p.expose());
                prop_assert!((1..=MAX_PLATE_CHARS).contains(&p.char_count()));
                prop_assert!(p.expose().chars().all(|c| c.is_alphanumeric() && !c.is_lowercase()));
            }
        }

        #[test]
        fn separators_never_change_the_plate(core in "[A-Z0-9]{1,10}", seps in proptest::collection::vec(prop_oneof![Just(" "), Just("-"), Just(".")], 0..4), at in 0usize..10) {
            let mut spelled = core.clone();
            let pos = at.min(spelled.len());
            spelled.insert_str(pos, &seps.concat());
            let lower = spelled.to_lowercase();
            let upper = Plate::parse(&spelled).expect("valid");
            let lower = Plate::parse(&lower).expect("valid");
            prop_assert_eq!(upper.expose(), core.as_str());
            prop_assert_eq!(lower.expose(), core.as_str());
        }

        #[test]
        fn any_input_is_accepted_or_refused_without_panicking(raw in "\\PC{0,24}") {
            let _ = Plate::parse(&raw);
        }
    }
}
