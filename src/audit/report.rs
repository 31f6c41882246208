//! The transparency report: what the audit log says, counted, for the public.
//!
//! Built from the entries alone (so a reviewer can rebuild it from a copy of the log) and
//! written as JSON and Markdown: searches per month, per offense, per agency (home and
//! outside), per purpose; denials by reason; outside-agency requests; results returned;
//! expiries, holds and hotlists; reviewer checks, policy changes and key rotations.
//! A "request" is one decision entry: a search, a hold request, a hotlist entry request.

use std::collections::BTreeMap;

use serde::Serialize;

use super::entry::{Entry, EntryKind, Verdict};

/// Allowed and denied counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Requests allowed.
    pub allowed: u64,
    /// Requests denied.
    pub denied: u64,
}

impl Tally {
    fn add(&mut self, v: Option<Verdict>) {
        match v {
            Some(Verdict::Allowed) => self.allowed += 1,
            Some(Verdict::Denied) => self.denied += 1,
            None => {}
        }
    }

    /// Allowed plus denied.
    pub fn total(&self) -> u64 {
        self.allowed + self.denied
    }
}

/// One agency's requests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AgencyTally {
    /// True for the store's own agency.
    pub home: bool,
    /// Its searches.
    pub searches: Tally,
    /// Its hold and hotlist requests.
    pub other_requests: Tally,
}

/// One month's figures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MonthTally {
    /// Searches.
    pub searches: Tally,
    /// Reads returned by allowed searches.
    pub results_returned: u64,
    /// Epochs destroyed.
    pub epochs_expired: u64,
    /// Reads destroyed by expiry.
    pub reads_destroyed: u64,
}

/// Hold figures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HoldTally {
    /// Hold requests.
    pub requests: Tally,
    /// Reads placed on hold.
    pub reads_held: u64,
    /// Holds released by a person.
    pub released: u64,
    /// Holds released because they reached their end date.
    pub expired: u64,
}

/// Hotlist figures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HotlistTally {
    /// Entry requests.
    pub requests: Tally,
    /// Entry requests by offense.
    pub by_offense: BTreeMap<String, Tally>,
    /// Entry requests by agency.
    pub by_agency: BTreeMap<String, Tally>,
    /// Entries removed early.
    pub removed: u64,
    /// Entries that reached their expiry.
    pub expired: u64,
    /// Alerts raised at ingest.
    pub alerts: u64,
}

/// The whole report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TransparencyReport {
    /// The home agency (from the policy).
    pub agency: String,
    /// Entries in the log.
    pub log_size: u64,
    /// Time of the first entry.
    pub first_entry: Option<String>,
    /// Time of the last entry.
    pub last_entry: Option<String>,
    /// Every search.
    pub searches: Tally,
    /// Searches by month (`YYYY-MM`).
    pub by_month: BTreeMap<String, MonthTally>,
    /// Searches by offense code.
    pub by_offense: BTreeMap<String, Tally>,
    /// Requests by agency.
    pub by_agency: BTreeMap<String, AgencyTally>,
    /// Searches by purpose.
    pub by_purpose: BTreeMap<String, Tally>,
    /// Denied requests (all kinds) by reason code.
    pub denials_by_reason: BTreeMap<String, u64>,
    /// Requests (all kinds) from agencies other than the home agency.
    pub outside_agency_requests: Tally,
    /// Reads returned by allowed searches.
    pub results_returned: u64,
    /// Epochs destroyed by expiry.
    pub epochs_expired: u64,
    /// Reads destroyed by expiry.
    pub reads_destroyed: u64,
    /// Legal holds.
    pub holds: HoldTally,
    /// Hotlists.
    pub hotlist: HotlistTally,
    /// Reviewer checks (`audit searched`).
    pub reviewer_checks: Tally,
    /// Justification reviews (`audit justifications`).
    pub justification_reviews: Tally,
    /// Policy changes.
    pub policy_changes: u64,
    /// Master-key rotations.
    pub key_rotations: u64,
    /// Months whose audit payloads (free text) were crypto-shredded.
    pub payload_months_shredded: u64,
}

fn month_of(e: &Entry) -> String {
    e.time
        .to_rfc3339()
        .get(..7)
        .unwrap_or("????-??")
        .to_string()
}

impl TransparencyReport {
    /// Counts the entries of a log; `home_agency` is the store's own agency.
    pub fn build<'a>(home_agency: &str, entries: impl IntoIterator<Item = &'a Entry>) -> Self {
        let mut r = TransparencyReport {
            agency: home_agency.to_string(),
            ..Default::default()
        };
        let home = crate::policy::canonical_id(home_agency);
        for e in entries {
            r.log_size += 1;
            let time = e.time.to_rfc3339();
            if r.first_entry.is_none() {
                r.first_entry = Some(time.clone());
            }
            r.last_entry = Some(time);
            let agency = e.agency.clone().unwrap_or_default();
            // A request naming no agency is not the home agency's (the policy denies it).
            let outside = agency != home;
            if e.kind.is_request() && !e.kind.is_review() {
                if e.decision == Some(Verdict::Denied)
                    && let Some(reason) = &e.reason
                {
                    *r.denials_by_reason.entry(reason.clone()).or_default() += 1;
                }
                if outside {
                    r.outside_agency_requests.add(e.decision);
                }
                let a = r.by_agency.entry(agency.clone()).or_default();
                a.home = !outside;
                if e.kind == EntryKind::Search {
                    a.searches.add(e.decision);
                } else {
                    a.other_requests.add(e.decision);
                }
            }
            match e.kind {
                EntryKind::Search => {
                    r.searches.add(e.decision);
                    r.by_month
                        .entry(month_of(e))
                        .or_default()
                        .searches
                        .add(e.decision);
                    if let Some(o) = &e.offense {
                        r.by_offense.entry(o.clone()).or_default().add(e.decision);
                    }
                    if let Some(p) = &e.purpose {
                        r.by_purpose.entry(p.clone()).or_default().add(e.decision);
                    }
                }
                EntryKind::SearchResult => {
                    let n = e.results.unwrap_or(0);
                    r.results_returned += n;
                    r.by_month.entry(month_of(e)).or_default().results_returned += n;
                }
                EntryKind::HoldAdd => r.holds.requests.add(e.decision),
                EntryKind::HoldPlaced => r.holds.reads_held += e.results.unwrap_or(0),
                EntryKind::HoldRelease => r.holds.released += 1,
                EntryKind::HoldExpired => r.holds.expired += 1,
                EntryKind::HotlistAdd => {
                    r.hotlist.requests.add(e.decision);
                    if let Some(o) = &e.offense {
                        r.hotlist
                            .by_offense
                            .entry(o.clone())
                            .or_default()
                            .add(e.decision);
                    }
                    r.hotlist
                        .by_agency
                        .entry(agency.clone())
                        .or_default()
                        .add(e.decision);
                }
                EntryKind::HotlistRemove => r.hotlist.removed += 1,
                EntryKind::HotlistExpired => r.hotlist.expired += 1,
                EntryKind::HotlistAlert => r.hotlist.alerts += 1,
                EntryKind::DeletionCertificate => {
                    let n = e.results.unwrap_or(0);
                    r.epochs_expired += 1;
                    r.reads_destroyed += n;
                    let m = r.by_month.entry(month_of(e)).or_default();
                    m.epochs_expired += 1;
                    m.reads_destroyed += n;
                }
                EntryKind::ReviewerCheck => r.reviewer_checks.add(e.decision),
                EntryKind::JustificationReview => r.justification_reviews.add(e.decision),
                EntryKind::PolicyChange => r.policy_changes += 1,
                EntryKind::KeyRotation => r.key_rotations += 1,
                EntryKind::PayloadShred => r.payload_months_shredded += 1,
                _ => {}
            }
        }
        r
    }

    /// The report as Markdown, for publication.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let line = |s: &mut String, text: String| {
            s.push_str(&text);
            s.push('\n');
        };
        line(
            &mut s,
            format!("# Plate-reader transparency report: {}", self.agency),
        );
        line(&mut s, String::new());
        line(
            &mut s,
            format!(
                "Built from the audit log ({} entries, {} to {}). Every search is in it, allowed or denied, before any data is read.",
                self.log_size,
                self.first_entry.as_deref().unwrap_or("-"),
                self.last_entry.as_deref().unwrap_or("-")
            ),
        );
        line(&mut s, String::new());
        line(&mut s, "## Summary".into());
        line(&mut s, String::new());
        line(&mut s, "| figure | count |".into());
        line(&mut s, "| --- | ---: |".into());
        for (k, v) in [
            ("searches", self.searches.total()),
            ("searches allowed", self.searches.allowed),
            ("searches denied", self.searches.denied),
            ("reads returned", self.results_returned),
            (
                "requests from outside agencies",
                self.outside_agency_requests.total(),
            ),
            (
                "outside-agency requests denied",
                self.outside_agency_requests.denied,
            ),
            ("epochs destroyed by expiry", self.epochs_expired),
            ("reads destroyed by expiry", self.reads_destroyed),
            ("hold requests", self.holds.requests.total()),
            ("reads placed on hold", self.holds.reads_held),
            ("holds released", self.holds.released + self.holds.expired),
            ("hotlist entry requests", self.hotlist.requests.total()),
            ("hotlist alerts", self.hotlist.alerts),
            ("reviewer checks", self.reviewer_checks.total()),
            ("justification reviews", self.justification_reviews.total()),
            ("policy changes", self.policy_changes),
            ("master-key rotations", self.key_rotations),
            (
                "months of audit free text shredded",
                self.payload_months_shredded,
            ),
        ] {
            line(&mut s, format!("| {k} | {v} |"));
        }
        let table = |s: &mut String, title: &str, head: &str, rows: Vec<(String, Tally)>| {
            s.push_str(&format!(
                "\n## {title}\n\n| {head} | allowed | denied |\n| --- | ---: | ---: |\n"
            ));
            if rows.is_empty() {
                s.push_str("| (none) | 0 | 0 |\n");
            }
            for (k, t) in rows {
                s.push_str(&format!("| {k} | {} | {} |\n", t.allowed, t.denied));
            }
        };
        table(
            &mut s,
            "Searches by month",
            "month",
            self.by_month
                .iter()
                .map(|(k, m)| (k.clone(), m.searches))
                .collect(),
        );
        table(
            &mut s,
            "Searches by offense",
            "offense",
            self.by_offense
                .iter()
                .map(|(k, t)| (k.clone(), *t))
                .collect(),
        );
        table(
            &mut s,
            "Searches by purpose",
            "purpose",
            self.by_purpose
                .iter()
                .map(|(k, t)| (k.clone(), *t))
                .collect(),
        );
        table(
            &mut s,
            "Searches by agency",
            "agency",
            self.by_agency
                .iter()
                .map(|(k, a)| {
                    let label = if a.home {
                        format!("{k} (home)")
                    } else {
                        format!("{k} (outside)")
                    };
                    (label, a.searches)
                })
                .collect(),
        );
        s.push_str("\n## Denials by reason\n\n| reason | count |\n| --- | ---: |\n");
        if self.denials_by_reason.is_empty() {
            s.push_str("| (none) | 0 |\n");
        }
        for (k, v) in &self.denials_by_reason {
            s.push_str(&format!("| {k} | {v} |\n"));
        }
        s.push_str("\n## Expiry by month\n\n| month | epochs destroyed | reads destroyed | reads returned by searches |\n| --- | ---: | ---: | ---: |\n");
        for (k, m) in &self.by_month {
            s.push_str(&format!(
                "| {k} | {} | {} | {} |\n",
                m.epochs_expired, m.reads_destroyed, m.results_returned
            ));
        }
        table(
            &mut s,
            "Hotlist entry requests by offense",
            "offense",
            self.hotlist
                .by_offense
                .iter()
                .map(|(k, t)| (k.clone(), *t))
                .collect(),
        );
        s.push_str(&format!(
            "\nHotlist entries removed early: {}; expired: {}; alerts: {}.\n",
            self.hotlist.removed, self.hotlist.expired, self.hotlist.alerts
        ));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::epoch::Timestamp;

    fn entry(kind: EntryKind, agency: &str, verdict: Option<Verdict>, reason: &str) -> Entry {
        let mut e = Entry::new(kind);
        e.time = Timestamp::from_unix_secs(1_795_000_000);
        e.agency = Some(agency.into());
        e.decision = verdict;
        e.reason = Some(reason.into());
        e.offense = Some("ROBBERY".into());
        e.purpose = Some("investigation".into());
        e
    }

    #[test]
    fn counts_follow_the_entries() {
        let mut result = Entry::new(EntryKind::SearchResult);
        result.results = Some(3);
        result.time = Timestamp::from_unix_secs(1_795_000_001);
        let entries = [
            entry(
                EntryKind::Search,
                "CITY-PD",
                Some(Verdict::Allowed),
                "allowed",
            ),
            result,
            entry(EntryKind::Search, "ICE", Some(Verdict::Denied), "no_mou"),
            entry(
                EntryKind::Search,
                "CITY-PD",
                Some(Verdict::Denied),
                "purpose_prohibited",
            ),
            entry(
                EntryKind::HoldAdd,
                "CITY-PD",
                Some(Verdict::Allowed),
                "allowed",
            ),
        ];
        let r = TransparencyReport::build("CITY-PD", entries.iter());
        assert_eq!(
            r.searches,
            Tally {
                allowed: 1,
                denied: 2
            }
        );
        assert_eq!(r.results_returned, 3);
        assert_eq!(
            r.outside_agency_requests,
            Tally {
                allowed: 0,
                denied: 1
            }
        );
        assert_eq!(r.denials_by_reason.get("no_mou"), Some(&1));
        assert_eq!(r.holds.requests.allowed, 1);
        assert!(!r.by_agency["ICE"].home && r.by_agency["CITY-PD"].home);
        let md = r.to_markdown();
        assert!(md.contains("| searches denied | 2 |"), "{md}");
        assert!(md.contains("ICE (outside)"));
    }
}
