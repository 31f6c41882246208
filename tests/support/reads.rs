//! Reads to ingest: `NewRead`s for the library, JSON Lines for `platevault ingest`, and
//! synthetic images.

use platevault::{NewRead, Timestamp};

use super::Rng;

/// A read of `plate` in region CO at `at` (Denver, confidence 0.9, no image).
pub fn read(plate: &str, at: Timestamp, camera: &str) -> NewRead {
    read_in_region(plate, "CO", at, camera)
}

/// A read of `plate` in `region` at `at` (Denver, confidence 0.9, no image).
pub fn read_in_region(plate: &str, region: &str, at: Timestamp, camera: &str) -> NewRead {
    NewRead {
        plate: plate.into(),
        region: region.into(),
        captured_at: Some(at),
        camera: camera.into(),
        lat: Some(39.7392),
        lon: Some(-104.9903),
        confidence: Some(0.9),
        image: None,
    }
}

/// A recognisable synthetic image of `len` bytes from a xorshift stream (goes to a blob
/// file above 2 KiB).
pub fn image(seed: u32, len: usize) -> Vec<u8> {
    let mut state = u64::from(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.push(state as u8);
    }
    out.truncate(len);
    out
}

/// A synthetic image of `len` bytes from the seeded [`Rng`] (other bytes than [`image`]);
/// it begins like a JPEG and above 2 KiB goes to a blob file.
pub fn rng_image(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(len + 8);
    out.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
    while out.len() < len {
        out.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    out.truncate(len);
    out
}

/// One JSON Lines read as `ingest` takes it (Denver, confidence 0.9).
pub fn read_line(plate: &str, region: &str, at: &str, camera: &str) -> String {
    serde_json::json!({
        "plate": plate, "region": region, "captured_at": at, "camera": camera,
        "lat": 39.7392, "lon": -104.9903, "confidence": 0.9,
    })
    .to_string()
}

/// Reads of `(plate, at, camera)` in region CO as JSON Lines (rounded coordinates 39.74,
/// -104.99), newline-terminated.
pub fn jsonl(reads: &[(&str, Timestamp, &str)]) -> String {
    reads
        .iter()
        .map(|(plate, at, camera)| {
            serde_json::json!({
                "plate": plate,
                "region": "CO",
                "captured_at": at.to_rfc3339(),
                "camera": camera,
                "lat": 39.74,
                "lon": -104.99,
                "confidence": 0.9,
            })
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}
