//! The JSON Lines form of a read, as `ingest` takes it and `simulate --out` writes it.
//!
//! One JSON object a line: `plate`, `region`, `captured_at` (RFC 3339), `camera`, and
//! optionally `lat`, `lon`, `confidence`, and the image either inline (`image_b64`) or from
//! a file (`image_path`, relative to `base`). Unknown fields are refused, so that a
//! misspelt field is reported rather than silently lost. Reasons never quote a value that
//! could be a plate.

use std::path::Path;

use base64::Engine;
use serde::Deserialize;

use crate::epoch::Timestamp;
use crate::record::NewRead;

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

/// Parses one line into a read, or says why it cannot be one.
pub fn parse_line(text: &str, base: &Path) -> Result<NewRead, String> {
    let line: Line = serde_json::from_str(text).map_err(|e| json_reason(&e))?;
    let captured_at =
        Timestamp::parse_rfc3339(&line.captured_at).map_err(|e| format!("captured_at: {e}"))?;
    let image = match (line.image_b64, line.image_path) {
        (Some(_), Some(_)) => return Err("give image_b64 or image_path, not both".into()),
        (Some(b64), None) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| format!("image_b64: not valid base64 ({e})"))?,
        ),
        (None, Some(path)) => {
            let p = base.join(&path);
            Some(std::fs::read(&p).map_err(|e| format!("image_path: cannot read {path}: {e}"))?)
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

/// A serde_json message without its "at line 1 column N" suffix (each line is one document).
/// serde_json quotes an offending string value in "invalid type" messages; those values can
/// be plates, so such messages are replaced by the field-free category.
fn json_reason(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        // serde quotes the unknown name, which is input text: name it only when it looks like
        // a field name (lowercase letters and underscores), never when it could be a plate.
        let name = rest.split('`').next().unwrap_or_default();
        let field_like = !name.is_empty()
            && name.len() <= 32
            && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        let which = if field_like {
            format!("unknown field `{name}`")
        } else {
            "an unknown field".to_string()
        };
        return format!(
            "{which}: the fields are plate, region, captured_at, camera, lat, lon, confidence, \
             image_b64 and image_path"
        );
    }
    if msg.starts_with("invalid type: string") {
        return "a field has the wrong type (a string where a number was expected)".into();
    }
    if e.is_syntax() || e.is_eof() {
        return format!("not a JSON object: {msg}");
    }
    msg
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
