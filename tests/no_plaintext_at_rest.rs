//! Privacy at rest: after ingesting reads with known plates, places, cameras, times and
//! recognisable image bytes, no file under the store directory (SST, blob, WAL, MANIFEST,
//! info logs, header) contains any of them in plaintext. Scans the raw bytes.

mod support;

use platevault::verify::scan::{Needle, scan_dir};
use platevault::{MasterKey, NewRead, Policy, Vault, VaultOptions};
use support::t;

const PLATES: [&str; 4] = ["7KQX291", "QZW4471", "LPR2026X", "MXV88213"];
const CAMERAS: [&str; 2] = ["CAMERA-NORTH-17", "CAMERA-SOUTHGATE-4"];
const LAT: f64 = 39.739_236_7;
const LON: f64 = -104.990_251_3;

fn image(i: usize) -> Vec<u8> {
    // 8 KiB, with a recognisable marker in several places.
    let mut img = vec![0u8; 8192];
    for (j, b) in img.iter_mut().enumerate() {
        *b = (j * 31 + i) as u8;
    }
    let marker = format!("JPEG-MARKER-{i:05}-SECRET-IMAGE-BYTES");
    for at in [0, 4000, 8192 - marker.len()] {
        img[at..at + marker.len()].copy_from_slice(marker.as_bytes());
    }
    img
}

fn reads() -> Vec<NewRead> {
    let mut out = Vec::new();
    for i in 0..400 {
        let plate = PLATES[i % PLATES.len()];
        out.push(NewRead {
            plate: if i % 2 == 0 {
                plate.to_string()
            } else {
                plate.to_lowercase()
            },
            region: "US-CO".into(),
            captured_at: Some(
                t("2026-11-02T07:31:17.123456Z").plus(platevault::Span::from_secs((i as u64) * 97)),
            ),
            camera: CAMERAS[i % 2].into(),
            lat: Some(LAT),
            lon: Some(LON),
            confidence: Some(0.875),
            image: (i % 4 == 0).then(|| image(i)),
        });
    }
    out
}

fn needles() -> Vec<Needle> {
    let mut n = Vec::new();
    let mut add = |kind: &str, bytes: Vec<u8>| {
        n.push(Needle {
            kind: kind.into(),
            bytes,
        })
    };
    for p in PLATES {
        add("plate", p.as_bytes().to_vec());
        add("plate (lower case)", p.to_lowercase().into_bytes());
        add("region and plate", format!("US-CO{p}").into_bytes());
        add(
            "plate (UTF-16)",
            p.encode_utf16().flat_map(|u| u.to_le_bytes()).collect(),
        );
    }
    for c in CAMERAS {
        add("camera", c.as_bytes().to_vec());
    }
    for v in [LAT, LON] {
        add("coordinate (text)", format!("{v}").into_bytes());
        add("coordinate (f64 LE)", v.to_le_bytes().to_vec());
        add("coordinate (f64 BE)", v.to_be_bytes().to_vec());
    }
    let first = t("2026-11-02T07:31:17.123456Z");
    add(
        "capture time (µs LE)",
        first.as_micros().to_le_bytes().to_vec(),
    );
    add(
        "capture time (µs BE)",
        first.as_micros().to_be_bytes().to_vec(),
    );
    for i in (0..400).step_by(4) {
        add(
            "image bytes",
            format!("JPEG-MARKER-{i:05}-SECRET").into_bytes(),
        );
    }
    n
}

#[test]
fn no_plaintext_reaches_any_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store");
    let key = MasterKey::generate().expect("key");
    let vault = Vault::create(
        &store,
        &key,
        &Policy::default_policy(),
        &VaultOptions::new().simulated_clock(t("2026-11-03T00:00:00Z")),
    )
    .expect("create");
    let report = vault.ingest(reads()).expect("ingest");
    assert_eq!(report.stored.len(), 400, "{:?}", report.rejected);

    // First while the reads sit in the write-ahead log and memtables...
    drop(vault);
    let found = scan_dir(&store, &needles()).expect("scan");
    assert!(found.is_empty(), "plaintext in the WAL stage: {found:?}");

    // ...then once they are in SST and blob files.
    let vault = Vault::open(&store, &key, &VaultOptions::new()).expect("open");
    vault.ingest(reads()).expect("ingest again");
    vault.flush().expect("flush");
    drop(vault);
    let files = platevault::verify::scan::files_under(&store).expect("list");
    assert!(
        files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "sst"))
    );
    assert!(
        files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "blob")),
        "images go to blob files"
    );
    let found = scan_dir(&store, &needles()).expect("scan");
    assert!(found.is_empty(), "plaintext in SST/blob stage: {found:?}");
}

#[test]
fn the_scanner_would_see_plaintext_if_it_were_there() {
    // Guard against a scan that cannot fail: put a needle in a file and find it.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("leak.log"),
        format!("read {} at {LAT}", PLATES[0]),
    )
    .expect("write");
    let found = scan_dir(dir.path(), &needles()).expect("scan");
    let kinds: Vec<&str> = found.iter().map(|f| f.kind.as_str()).collect();
    assert!(
        kinds.contains(&"plate") && kinds.contains(&"coordinate (text)"),
        "{kinds:?}"
    );
}
