//! The JSON Lines form of a read, as `ingest` takes it and `simulate --out` writes it.
//!
//! One JSON object a line: `plate`, `region`, `captured_at` (RFC 3339), `camera`, and
//! optionally `lat`, `lon`, `confidence`, and the image either inline (`image_b64`) or from
//! a file (`image_path`, relative to `base`). Unknown fields are refused, so that a
//! misspelt field is reported rather than silently lost. Reasons never quote a value of the
//! line, of any type: any of them could be a plate.

use std::path::Path;

use base64::Engine;
use serde::Deserialize;

use crate::model::epoch::Timestamp;
use crate::model::record::NewRead;
use crate::model::refusal::{JsonField, JsonType, json_line_reason};

/// One input line. Unknown fields are refused so that a misspelt field is not silently lost.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Line {
    plate: String,
    region: String,
    captured_at: String,
    camera: String,
    #[serde(default)]
    lat: Option<f64>,
    #[serde(default)]
    lon: Option<f64>,
    #[serde(default)]
    confidence: Option<f32>,
    #[serde(default)]
    image_b64: Option<String>,
    #[serde(default)]
    image_path: Option<String>,
}

/// The fields of a line, their JSON types, and which must be present.
const FIELDS: [JsonField; 9] = [
    field("plate", JsonType::String, true),
    field("region", JsonType::String, true),
    field("captured_at", JsonType::String, true),
    field("camera", JsonType::String, true),
    field("lat", JsonType::Number, false),
    field("lon", JsonType::Number, false),
    field("confidence", JsonType::Number, false),
    field("image_b64", JsonType::String, false),
    field("image_path", JsonType::String, false),
];

const fn field(name: &'static str, ty: JsonType, required: bool) -> JsonField {
    JsonField { name, ty, required }
}

/// Parses one line into a read, or says why it cannot be one. The reason never quotes a
/// value of the line, of any type (see [`crate::model::refusal`]): it names the field, what it
/// expects and what kind of value it got.
pub fn parse_line(text: &str, base: &Path) -> Result<NewRead, String> {
    let line: Line = serde_json::from_str(text).map_err(|e| json_line_reason(&e, text, &FIELDS))?;
    let captured_at =
        Timestamp::parse_rfc3339(&line.captured_at).map_err(|e| format!("captured_at: {e}"))?;
    let image = match (line.image_b64, line.image_path) {
        (Some(_), Some(_)) => return Err("give image_b64 or image_path, not both".into()),
        (Some(b64), None) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                // The decoder's message quotes the offending byte: not shown.
                .map_err(|_| "image_b64: not valid base64".to_string())?,
        ),
        (None, Some(path)) => {
            // The path is input text (images are often named after their plate): the
            // refusal gives the operating system's reason, never the path.
            let p = base.join(&path);
            Some(
                std::fs::read(&p)
                    .map_err(|e| format!("image_path: cannot read the file ({})", io_reason(&e)))?,
            )
        }
        (None, None) => None,
    };
    Ok(NewRead {
        plate: line.plate,
        region: line.region,
        captured_at: Some(captured_at),
        camera: line.camera,
        lat: line.lat,
        lon: line.lon,
        confidence: line.confidence,
        image,
    })
}

/// An I/O error's kind in words (an `io::Error` from a read carries no path, but its
/// message is the system's; the kind is enough).
fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "no such file".into(),
        ErrorKind::PermissionDenied => "permission denied".into(),
        ErrorKind::IsADirectory => "it is a folder".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_field_is_named_only_when_it_cannot_be_a_plate() {
        let base = Path::new("/nonexistent");
        let line = |extra: &str| {
            format!(
                r#"{{"plate":"XYZ987","region":"CO","captured_at":"2026-11-29T08:00:00Z","camera":"C1",{extra}:1}}"#
            )
        };
        let color = parse_line(&line(r#""color""#), base).expect_err("unknown field");
        assert!(color.contains("`color`"), "{color}");
        let plate_like = parse_line(&line(r#""AB123""#), base).expect_err("unknown field");
        assert!(!plate_like.contains("AB123"), "{plate_like}");
        assert!(plate_like.starts_with("an unknown field"), "{plate_like}");
    }
}
