//! The canonical TOML text of a policy, and the serde helpers that write spans and times.
//!
//! The text written here is what `platevault policy show` prints and what
//! [`Policy::hash`](super::Policy::hash) covers, so it is produced by hand rather than by a
//! serializer whose layout could change between versions: fields in a fixed order, one
//! list entry per line, spans in the largest of `d`, `h`, `min`, `s` that divides them
//! exactly (`30d`, never `1mo`), times in RFC 3339 UTC. Parsing the text gives back the same
//! policy.

use std::fmt::Write as _;

use serde::{Deserialize, Deserializer, Serializer};

use super::PolicySpec;
use crate::model::epoch::{Span, Timestamp};

/// Writes a span as `30d`, `72h` prints as `3d`, `90min`, `45s`.
pub(crate) fn span_text(span: Span) -> String {
    let secs = span.as_secs();
    if secs == 0 {
        return "0s".to_string();
    }
    for (unit, per) in [("d", 86_400), ("h", 3_600), ("min", 60)] {
        if secs.is_multiple_of(per) {
            return format!("{}{unit}", secs / per);
        }
    }
    format!("{secs}s")
}

/// Serde helpers for spans written as [`span_text`].
pub(crate) mod span_serde {
    use super::*;

    /// Writes a span as text.
    pub(crate) fn serialize<S: Serializer>(span: &Span, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&span_text(*span))
    }

    /// Reads a span such as `30d`.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Span, D::Error> {
        let text = String::deserialize(d)?;
        Span::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Serde helpers for times: RFC 3339 text, or a TOML offset date-time written unquoted.
pub(crate) mod time_serde {
    use super::*;

    /// Writes a time as RFC 3339 text in UTC.
    pub(crate) fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339())
    }

    /// Reads `"2026-01-01T00:00:00Z"` or the TOML date-time `2026-01-01T00:00:00Z`.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let text = match toml::Value::deserialize(d)? {
            toml::Value::String(s) => s,
            toml::Value::Datetime(dt) => dt.to_string(),
            _ => {
                return Err(serde::de::Error::custom(
                    "expected an RFC 3339 time with an offset, for example 2026-01-01T00:00:00Z",
                ));
            }
        };
        // `parse_stored`: the canonical text of any policy, even one built in code with a
        // time outside RFC 3339's years, parses back to the same policy.
        Timestamp::parse_stored(&text).map_err(serde::de::Error::custom)
    }
}

/// Quotes a string as a TOML basic string.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() && (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A list of strings, one per line.
fn list<I, S>(out: &mut String, key: &str, items: I)
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let items: Vec<String> = items.into_iter().map(|s| quote(s.as_ref())).collect();
    if items.is_empty() {
        let _ = writeln!(out, "{key} = []");
        return;
    }
    let _ = writeln!(out, "{key} = [");
    for item in items {
        let _ = writeln!(out, "    {item},");
    }
    let _ = writeln!(out, "]");
}

/// The canonical TOML text of a policy specification.
pub(crate) fn to_toml(p: &PolicySpec) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "version = {}", p.version);
    let _ = writeln!(out, "agency = {}", quote(&p.agency));
    let _ = writeln!(out, "retention = {}", quote(&span_text(p.retention)));
    let _ = writeln!(out, "epoch = {}", quote(&span_text(p.epoch)));
    let _ = writeln!(
        out,
        "max_search_window = {}",
        quote(&span_text(p.max_search_window))
    );
    let _ = writeln!(
        out,
        "case_number_pattern = {}",
        quote(&p.case_number_pattern)
    );
    list(&mut out, "allowed_offenses", &p.allowed_offenses);
    list(
        &mut out,
        "prohibited_purposes",
        p.prohibited_purposes.iter().map(|x| x.as_str()),
    );
    list(&mut out, "prohibited_terms", &p.prohibited_terms);
    let _ = writeln!(
        out,
        "searches_per_requester_per_hour = {}",
        p.searches_per_requester_per_hour
    );
    let _ = writeln!(out, "max_image_bytes = {}", p.max_image_bytes);
    let _ = writeln!(out, "hotlist_max_days = {}", p.hotlist_max_days);
    let _ = writeln!(out, "hold_max_days = {}", p.hold_max_days);
    list(&mut out, "reviewers", &p.reviewers);
    let _ = writeln!(
        out,
        "audit_payload_retention = {}",
        quote(&span_text(p.audit_payload_retention))
    );
    let _ = writeln!(
        out,
        "rotate_master_key_on_expiry = {}",
        p.rotate_master_key_on_expiry
    );
    // Written only when set, so that the text (and hash) of every earlier policy stays as it
    // was.
    if p.holds_shared_with_mou {
        let _ = writeln!(out, "holds_shared_with_mou = true");
    }
    for m in &p.mou {
        let _ = writeln!(out, "\n[[mou]]");
        let _ = writeln!(out, "agency = {}", quote(&m.agency));
        let _ = writeln!(out, "valid_from = {}", quote(&m.valid_from.to_rfc3339()));
        let _ = writeln!(out, "valid_to = {}", quote(&m.valid_to.to_rfc3339()));
        list(&mut out, "offenses", &m.offenses);
    }
    for t in &p.age_tier {
        let _ = writeln!(out, "\n[[age_tier]]");
        let _ = writeln!(out, "older_than = {}", quote(&span_text(t.older_than)));
        let _ = writeln!(out, "requires = {}", quote(t.requires.as_str()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spans_are_written_in_days_hours_minutes_or_seconds() {
        assert_eq!(span_text(Span::from_days(30)), "30d");
        assert_eq!(span_text(Span::from_days(365)), "365d");
        assert_eq!(span_text(Span::from_hours(72)), "3d");
        assert_eq!(span_text(Span::from_hours(5)), "5h");
        assert_eq!(span_text(Span::from_minutes(3)), "3min");
        assert_eq!(span_text(Span::from_secs(61)), "61s");
        assert_eq!(span_text(Span::from_secs(0)), "0s");
    }

    proptest! {
        #[test]
        fn any_string_survives_quoting(text in any::<String>()) {
            let doc = format!("x = {}\n", quote(&text));
            let table: toml::Table = toml::from_str(&doc).expect("quoted text parses");
            prop_assert_eq!(table.get("x").and_then(|v| v.as_str()), Some(text.as_str()));
        }
    }
}
