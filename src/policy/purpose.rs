//! The closed set of purposes a search may be made for.
//!
//! A purpose is one of six names, written in kebab-case in TOML, JSON and on the command
//! line. Two of them (`immigration`, `reproductive-health`) exist so that a request made for
//! them can be named and refused: the built-in policy prohibits both. A purpose outside the
//! set is not a parse error of the program but a denial (`purpose_unknown`), which is why a
//! [`CaseRequest`](super::CaseRequest) carries the purpose as raw text.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a search is made: a closed list, so that every purpose can be counted and reported.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// A criminal investigation tied to a case.
    Investigation,
    /// Looking for a missing person.
    MissingPerson,
    /// Recovering a stolen vehicle.
    StolenVehicle,
    /// An AMBER alert (child abduction).
    AmberAlert,
    /// Immigration enforcement (prohibited by the built-in policy).
    Immigration,
    /// Anything concerning reproductive health care (prohibited by the built-in policy).
    ReproductiveHealth,
}

impl Purpose {
    /// Every purpose, in the order the brief lists them.
    pub const ALL: [Purpose; 6] = [
        Purpose::Investigation,
        Purpose::MissingPerson,
        Purpose::StolenVehicle,
        Purpose::AmberAlert,
        Purpose::Immigration,
        Purpose::ReproductiveHealth,
    ];

    /// The kebab-case name used in TOML, JSON, the CLI and the audit log.
    pub const fn as_str(self) -> &'static str {
        match self {
            Purpose::Investigation => "investigation",
            Purpose::MissingPerson => "missing-person",
            Purpose::StolenVehicle => "stolen-vehicle",
            Purpose::AmberAlert => "amber-alert",
            Purpose::Immigration => "immigration",
            Purpose::ReproductiveHealth => "reproductive-health",
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A purpose name that is not one of [`Purpose::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown purpose: use one of investigation, missing-person, stolen-vehicle, amber-alert, immigration, reproductive-health"
)]
pub struct UnknownPurpose;

impl FromStr for Purpose {
    type Err = UnknownPurpose;

    /// Parses a purpose name. Surrounding white space and ASCII case are ignored and `_` is
    /// read as `-`, so `Missing_Person` is `missing-person`; nothing else is accepted.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted: String = s
            .trim()
            .chars()
            .map(|c| {
                if c == '_' {
                    '-'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        Purpose::ALL
            .into_iter()
            .find(|p| p.as_str() == wanted)
            .ok_or(UnknownPurpose)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_serde() {
        for p in Purpose::ALL {
            assert_eq!(p.as_str().parse::<Purpose>(), Ok(p));
            assert_eq!(p.to_string(), p.as_str());
            let json = serde_json::to_string(&p).expect("serialises");
            assert_eq!(json, format!("\"{}\"", p.as_str()));
            assert_eq!(serde_json::from_str::<Purpose>(&json).expect("parses"), p);
        }
    }

    #[test]
    fn parsing_is_lenient_only_about_case_spaces_and_underscores() {
        assert_eq!(" Missing_Person ".parse(), Ok(Purpose::MissingPerson));
        assert_eq!("IMMIGRATION".parse(), Ok(Purpose::Immigration));
        for bad in [
            "",
            "fishing",
            "immigration enforcement",
            "missing person",
            "missingperson",
        ] {
            assert_eq!(bad.parse::<Purpose>(), Err(UnknownPurpose), "{bad}");
        }
        assert!(serde_json::from_str::<Purpose>("\"Investigation\"").is_err());
    }
}
