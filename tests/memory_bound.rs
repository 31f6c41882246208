//! Memory stays bounded however many epochs are live: one block cache and one write buffer
//! manager are shared by every column family, so hundreds of live one-minute epochs cost no
//! more of the store's accounted memory than one. (The figures, peak RSS at two million reads
//! and 31 daily epochs, belong to the benchmarks; this test checks the mechanism.)

use platevault::{MasterKey, NewRead, Policy, Span, StoreTuning, Timestamp, Vault, VaultOptions};

#[test]
fn hundreds_of_live_epochs_stay_within_one_shared_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 12-hour retention in one-minute epochs: up to 721 live epochs.
    let policy = Policy::from_toml(
        "agency = \"CITY-PD\"\nretention = \"12h\"\nepoch = \"1min\"\nmax_search_window = \"12h\"\n",
    )
    .expect("policy");
    let tuning = StoreTuning {
        block_cache_bytes: 24 << 20,
        write_buffer_total_bytes: 12 << 20,
        epoch_write_buffer_bytes: 4 << 20,
        ..StoreTuning::default()
    };
    let end = Timestamp::parse_rfc3339("2026-11-01T12:00:00Z").expect("time");
    let start = end.minus(Span::from_hours(6));
    let vault = Vault::create(
        &dir.path().join("store"),
        &MasterKey::generate().expect("key"),
        &policy,
        &VaultOptions::new()
            .simulated_clock(end)
            .tuning(tuning)
            .durability(platevault::Durability::Buffered),
    )
    .expect("create");

    let mut peak = 0usize;
    for minute in 0..300u64 {
        let at = start.plus(Span::from_minutes(minute));
        let reads: Vec<NewRead> = (0..40)
            .map(|i| NewRead {
                plate: format!("M{minute:04}X{i:02}"),
                region: "CO".into(),
                captured_at: Some(at.plus(Span::from_secs(i))),
                camera: format!("CAM-{i}"),
                lat: Some(39.7),
                lon: Some(-104.9),
                image: Some(vec![minute as u8; 512]),
                ..NewRead::default()
            })
            .collect();
        assert_eq!(vault.ingest(reads).expect("ingest").stored.len(), 40);
        peak = peak.max(vault.memory_usage());
    }
    assert_eq!(
        vault.live_epochs().len(),
        300,
        "every minute is a live epoch"
    );
    // The cache (which the memtables are charged to) may run a little over its capacity
    // while a flush is pending, never by a multiple of the number of epochs.
    let budget = tuning.block_cache_bytes + tuning.block_cache_bytes / 4;
    assert!(
        peak <= budget,
        "accounted memory {peak} bytes exceeded the shared budget of {} bytes with 300 live epochs",
        tuning.block_cache_bytes
    );
    assert!(peak > 0, "the accounting sees the memtables");
}
