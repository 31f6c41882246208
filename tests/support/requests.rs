//! Case requests (search, hold, hotlist, alerts, removal all take one): the case numbers,
//! the library's `CaseRequest` builders, searches that must be allowed, and the CLI flags of
//! a request.

use platevault::{CaseRequest, SearchOutcome, SearchRequest, Vault};

/// A case number that matches the default policy's pattern.
pub const CASE: &str = "2026-001234";
/// Another valid case number.
pub const OTHER_CASE: &str = "2026-009999";

/// An allowed request under the default policy for `plate` in CO: ROBBERY, investigation,
/// CITY-PD, with a justification ("armed robbery, suspect vehicle").
pub fn request(plate: &str, case: &str, requester: &str) -> CaseRequest {
    CaseRequest {
        case_number: case.into(),
        justification: Some("armed robbery, suspect vehicle".into()),
        ..unjustified_request(plate, requester)
    }
}

/// The request of [`request`] for case [`CASE`] but with no justification at all
/// (`justification: None`).
pub fn unjustified_request(plate: &str, requester: &str) -> CaseRequest {
    CaseRequest {
        plate: plate.into(),
        region: "CO".into(),
        case_number: CASE.into(),
        offense: "ROBBERY".into(),
        purpose: "investigation".into(),
        requester: requester.into(),
        agency: "CITY-PD".into(),
        justification: None,
        warrant: None,
        from: None,
        to: None,
    }
}

/// Runs a search that the policy must allow and returns what it found (panics otherwise).
pub fn search(v: &Vault, plate: &str, case: &str, requester: &str) -> SearchOutcome {
    search_req(v, request(plate, case, requester))
}

/// Runs a search request that the policy must allow (panics otherwise).
pub fn search_req(v: &Vault, case: CaseRequest) -> SearchOutcome {
    let out = v
        .search(&SearchRequest {
            case,
            with_images: false,
        })
        .expect("search");
    assert!(
        out.is_allowed(),
        "the search should be allowed: {:?}",
        out.decision
    );
    out
}

/// [`search`] that reports a failure or a denial as an error instead of panicking (for the
/// reliability harnesses, which collect failures).
pub fn try_search(
    v: &Vault,
    plate: &str,
    case: &str,
    requester: &str,
) -> Result<SearchOutcome, String> {
    let out = v
        .search(&SearchRequest {
            case: request(plate, case, requester),
            with_images: false,
        })
        .map_err(|e| format!("search for {plate} failed: {e}"))?;
    if !out.is_allowed() {
        return Err(format!("search for {plate} was denied: {:?}", out.decision));
    }
    Ok(out)
}

/// The CLI flags of a request the default policy allows (for `search`, `hold add`,
/// `hotlist add`): case [`CASE`], requester DET-7, no justification.
pub fn case_flags(plate: &str, region: &str) -> Vec<String> {
    [
        "--plate",
        plate,
        "--region",
        region,
        "--case",
        CASE,
        "--offense",
        "ROBBERY",
        "--purpose",
        "investigation",
        "--requester",
        "DET-7",
        "--agency",
        "CITY-PD",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Replaces the value after `flag` in `flags`.
pub fn with_flag(mut flags: Vec<String>, flag: &str, value: &str) -> Vec<String> {
    let i = flags
        .iter()
        .position(|f| f == flag)
        .unwrap_or_else(|| panic!("no {flag}"));
    flags[i + 1] = value.to_string();
    flags
}
