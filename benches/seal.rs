//! The cryptographic primitives every stored byte goes through: plate canonicalisation and
//! keyed hashing (`HashKey::plate_tag`), and AES-256-GCM sealing and opening (`SealKey`) at
//! a record's size (200 B), a small image (8 KiB) and a large one (64 KiB); and the rest of
//! ingest's per-read work (region, read id, record encoding, associated data, image digest).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use platevault::EpochWidth;
use platevault::Timestamp;
use platevault::crypto::seal::{Binding, HashKey, PlateTag, ReadId, SealKey};
use platevault::model::plate::{Plate, Region};
use platevault::model::record::{ImageInfo, RecordBody};

fn plates(c: &mut Criterion) {
    let key = HashKey::from_bytes([7; 32]);
    let plate = Plate::parse("7KQX291").expect("plate");
    let region = Region::parse("CO").expect("region");
    let mut g = c.benchmark_group("plate");
    g.throughput(Throughput::Elements(1));
    g.bench_function("canonicalise", |b| {
        b.iter(|| Plate::parse(black_box("7kq-x291")).expect("plate"))
    });
    g.bench_function("plate_tag", |b| {
        b.iter(|| key.plate_tag(black_box(&region), black_box(&plate)))
    });
    g.finish();
}

fn sealing(c: &mut Criterion) {
    let key = SealKey::from_bytes(&[9; 32]);
    let aad = [1u8; 53];
    let mut g = c.benchmark_group("seal");
    for size in [200usize, 8 << 10, 64 << 10] {
        let plain = vec![0xA5u8; size];
        let sealed = key.seal(&aad, &plain).expect("seal");
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::new("seal", size), &plain, |b, p| {
            b.iter(|| key.seal(black_box(&aad), black_box(p)).expect("seal"))
        });
        g.bench_with_input(BenchmarkId::new("open", size), &sealed, |b, s| {
            b.iter(|| key.open(black_box(&aad), black_box(s)).expect("open"))
        });
    }
    g.finish();
}

/// The rest of the per-read work of ingest, so that a profile can be read against it.
fn per_read(c: &mut Criterion) {
    let mut g = c.benchmark_group("per_read");
    g.throughput(Throughput::Elements(1));
    g.bench_function("region", |b| {
        b.iter(|| Region::parse(black_box("co")).expect("region"))
    });
    g.bench_function("read_id", |b| {
        b.iter(|| platevault::crypto::seal::random_read_id().expect("id"))
    });
    let body = RecordBody {
        captured_at: Timestamp::from_unix_secs(1_793_400_000),
        camera: "CAM-017".into(),
        coords: Some((39.7392, -104.9903)),
        confidence: Some(0.93),
        image: None,
    };
    g.bench_function("encode_record", |b| b.iter(|| black_box(&body).encode()));
    let epoch = EpochWidth::DAILY.epoch_of(body.captured_at);
    let binding = Binding::Record {
        epoch,
        read_id: ReadId([3; 16]),
        tag: PlateTag([4; 16]),
    };
    g.bench_function("record_aad", |b| b.iter(|| black_box(&binding).aad()));
    let image = vec![0x5Au8; 8 << 10];
    g.throughput(Throughput::Bytes(image.len() as u64));
    g.bench_function("image_sha256_8k", |b| {
        b.iter(|| ImageInfo::of(black_box(&image)))
    });
    g.finish();
}

criterion_group!(benches, plates, sealing, per_read);
criterion_main!(benches);
