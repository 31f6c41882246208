//! Reads: what a camera reports ([`NewRead`]), what a search returns ([`ReadView`]), and the
//! byte encoding of the metadata that is sealed for each read ([`RecordBody`]).
//!
//! The encoding is deliberate and versioned (all integers little-endian):
//!
//! ```text
//! version u8 = 1 | flags u8 (bit 0 lat/lon, bit 1 confidence, bit 2 image)
//! captured_at i64 (microseconds since 1970-01-01 UTC)
//! camera_len u16 | camera UTF-8 bytes
//! [lat f64 | lon f64]            if bit 0
//! [confidence f32]               if bit 1
//! [image_len u32 | sha256 32B]   if bit 2
//! ```
//!
//! The plate and region are not in it: they exist only as the tag the record is filed under.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::model::epoch::Timestamp;

/// A read's identity: 128 random bits, carrying nothing derived from time or plate.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReadId(pub [u8; 16]);

impl ReadId {
    /// Lowercase hex (32 characters), the form shown to users.
    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }

    /// Parses the hex form.
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut id = [0u8; 16];
        hex::decode_to_slice(text, &mut id).ok()?;
        Some(ReadId(id))
    }
}

impl std::fmt::Debug for ReadId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReadId({})", self.to_hex())
    }
}

impl std::fmt::Display for ReadId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

const RECORD_V1: u8 = 1;
const FLAG_COORDS: u8 = 1;
const FLAG_CONFIDENCE: u8 = 2;
const FLAG_IMAGE: u8 = 4;
/// Longest camera id, in bytes.
pub const MAX_CAMERA_BYTES: usize = 256;

/// One plate read as a camera reports it, before validation.
#[derive(Clone, Default, PartialEq)]
pub struct NewRead {
    /// The plate as read (any spelling; canonicalised at ingest).
    pub plate: String,
    /// The issuing region (`CO`, `US-CO`).
    pub region: String,
    /// When the camera saw it (UTC).
    pub captured_at: Option<Timestamp>,
    /// The camera's id (required).
    pub camera: String,
    /// Latitude in degrees, if known (with longitude).
    pub lat: Option<f64>,
    /// Longitude in degrees, if known (with latitude).
    pub lon: Option<f64>,
    /// Recognition confidence in [0, 1], if known.
    pub confidence: Option<f32>,
    /// The image bytes (opaque, usually JPEG), if any.
    pub image: Option<Vec<u8>>,
}

impl fmt::Debug for NewRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewRead")
            .field("plate", &"<redacted>")
            .field("region", &self.region)
            .field("captured_at", &self.captured_at)
            .field("camera", &self.camera)
            .field("coordinates", &self.lat.map(|_| "<redacted>"))
            .field("image_bytes", &self.image.as_ref().map(Vec::len))
            .finish()
    }
}

/// Size and digest of a read's image; the image itself is sealed separately.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ImageInfo {
    /// Length in bytes.
    pub len: u32,
    /// SHA-256 of the image bytes.
    pub sha256: [u8; 32],
}

impl ImageInfo {
    /// Describes an image.
    pub fn of(bytes: &[u8]) -> Self {
        ImageInfo {
            len: bytes.len() as u32,
            sha256: Sha256::digest(bytes).into(),
        }
    }
}

/// The sealed part of a read: everything except plate and region.
#[derive(Clone, PartialEq, Debug)]
pub struct RecordBody {
    /// Capture time.
    pub captured_at: Timestamp,
    /// Camera id.
    pub camera: String,
    /// Latitude and longitude, if known.
    pub coords: Option<(f64, f64)>,
    /// Recognition confidence, if known.
    pub confidence: Option<f32>,
    /// The image's size and digest, if there is an image.
    pub image: Option<ImageInfo>,
}

/// A record's bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a stored record is malformed: {0}")]
pub struct DecodeError(pub &'static str);

impl RecordBody {
    /// Encodes in the documented format.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.camera.len());
        let mut flags = 0u8;
        if self.coords.is_some() {
            flags |= FLAG_COORDS;
        }
        if self.confidence.is_some() {
            flags |= FLAG_CONFIDENCE;
        }
        if self.image.is_some() {
            flags |= FLAG_IMAGE;
        }
        out.push(RECORD_V1);
        out.push(flags);
        out.extend_from_slice(&self.captured_at.as_micros().to_le_bytes());
        let cam = self.camera.as_bytes();
        let cam = &cam[..cam.len().min(MAX_CAMERA_BYTES)];
        out.extend_from_slice(&(cam.len() as u16).to_le_bytes());
        out.extend_from_slice(cam);
        if let Some((lat, lon)) = self.coords {
            out.extend_from_slice(&lat.to_le_bytes());
            out.extend_from_slice(&lon.to_le_bytes());
        }
        if let Some(c) = self.confidence {
            out.extend_from_slice(&c.to_le_bytes());
        }
        if let Some(img) = self.image {
            out.extend_from_slice(&img.len.to_le_bytes());
            out.extend_from_slice(&img.sha256);
        }
        out
    }

    /// Decodes the documented format, strictly (no trailing bytes, valid UTF-8).
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader(bytes);
        if r.u8()? != RECORD_V1 {
            return Err(DecodeError("unknown record version"));
        }
        let flags = r.u8()?;
        if flags & !(FLAG_COORDS | FLAG_CONFIDENCE | FLAG_IMAGE) != 0 {
            return Err(DecodeError("unknown record flags"));
        }
        let captured_at = Timestamp::from_micros(i64::from_le_bytes(r.array()?));
        let cam_len = u16::from_le_bytes(r.array()?) as usize;
        if cam_len > MAX_CAMERA_BYTES {
            return Err(DecodeError("camera id too long"));
        }
        let camera = std::str::from_utf8(r.take(cam_len)?)
            .map_err(|_| DecodeError("camera id is not UTF-8"))?
            .to_string();
        let coords = if flags & FLAG_COORDS != 0 {
            let lat = f64::from_le_bytes(r.array()?);
            let lon = f64::from_le_bytes(r.array()?);
            Some((lat, lon))
        } else {
            None
        };
        let confidence = if flags & FLAG_CONFIDENCE != 0 {
            Some(f32::from_le_bytes(r.array()?))
        } else {
            None
        };
        let image = if flags & FLAG_IMAGE != 0 {
            let len = u32::from_le_bytes(r.array()?);
            let sha256 = r.array()?;
            Some(ImageInfo { len, sha256 })
        } else {
            None
        };
        if !r.0.is_empty() {
            return Err(DecodeError("trailing bytes"));
        }
        Ok(RecordBody {
            captured_at,
            camera,
            coords,
            confidence,
            image,
        })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.0.len() < n {
            return Err(DecodeError("truncated"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
}

/// A read as a search returns it: opened, authenticated, plate-free.
#[derive(Clone, PartialEq, Debug)]
pub struct ReadView {
    /// The read's random id.
    pub read_id: ReadId,
    /// Its metadata.
    pub body: RecordBody,
    /// The image bytes, when the caller asked for images.
    pub image: Option<Vec<u8>>,
    /// True when the read came from a legal hold's copy rather than its epoch.
    pub from_hold: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn body() -> RecordBody {
        RecordBody {
            captured_at: Timestamp::from_micros(1_790_000_000_123_456),
            camera: "CAM-17".into(),
            coords: Some((39.7392, -104.9903)),
            confidence: Some(0.93),
            image: Some(ImageInfo::of(b"\xff\xd8jpeg")),
        }
    }

    #[test]
    fn encoding_round_trips() {
        let b = body();
        assert_eq!(RecordBody::decode(&b.encode()).expect("decodes"), b);
        let bare = RecordBody {
            coords: None,
            confidence: None,
            image: None,
            ..body()
        };
        assert_eq!(RecordBody::decode(&bare.encode()).expect("decodes"), bare);
    }

    #[test]
    fn malformed_bytes_are_refused() {
        let enc = body().encode();
        for cut in 0..enc.len() {
            assert!(RecordBody::decode(&enc[..cut]).is_err(), "cut at {cut}");
        }
        let mut extra = enc.clone();
        extra.push(0);
        assert!(RecordBody::decode(&extra).is_err());
        let mut flags = enc.clone();
        flags[1] |= 0x80;
        assert!(RecordBody::decode(&flags).is_err());
    }

    proptest! {
        #[test]
        fn any_body_round_trips(micros in any::<i64>(), cam in "\\PC{0,40}", lat in -90.0f64..90.0, lon in -180.0f64..180.0,
                                conf in proptest::option::of(0.0f32..1.0), img in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64))) {
            let b = RecordBody {
                captured_at: Timestamp::from_micros(micros),
                camera: cam,
                coords: Some((lat, lon)),
                confidence: conf,
                image: img.as_deref().map(ImageInfo::of),
            };
            prop_assert_eq!(RecordBody::decode(&b.encode()).expect("decodes"), b);
        }

        #[test]
        fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
            let _ = RecordBody::decode(&bytes);
        }
    }
}
