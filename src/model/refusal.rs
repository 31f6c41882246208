//! Refusal texts that never echo an input value.
//!
//! A refusal (an ingest line's reason, a hotlist import line's reason, a policy file's
//! syntax error, a command-line error) is shown on terminals, kept in logs and returned in
//! the JSON documents scripts store. Any input value can be a plate, whatever its type: a
//! plate given as a JSON number (`7291234`), a plate in the wrong field, a plate typed
//! where a time was expected. So no refusal quotes an input value of any type: it says
//! which field, what was expected and what kind of value came (a number, a string), and
//! where (a column), never what.
//!
//! Parsers quote values in their own messages: serde's ``invalid type: integer `7291234`,
//! expected a string``, ``invalid value: string "7KQX291"``, ``unknown variant `X` ``, and
//! TOML's errors print the offending source line. Their messages are rebuilt here from the
//! kind of problem. An unknown field's name is input text too: it is named only when it
//! looks like a field name (lowercase letters and underscores), never when it could be a
//! plate.

/// The JSON type a field expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonType {
    /// A JSON string.
    String,
    /// A JSON number.
    Number,
}

impl JsonType {
    fn describe(self) -> &'static str {
        match self {
            JsonType::String => "a string",
            JsonType::Number => "a number",
        }
    }

    fn matches(self, v: &serde_json::Value) -> bool {
        match self {
            JsonType::String => v.is_string(),
            JsonType::Number => v.is_number(),
        }
    }
}

/// One field of a JSON object line.
#[derive(Clone, Copy, Debug)]
pub struct JsonField {
    /// The field's name.
    pub name: &'static str,
    /// The type it expects.
    pub ty: JsonType,
    /// Whether it must be present (an optional field may also be `null`).
    pub required: bool,
}

/// Why a line that should hold one JSON object with `fields` did not deserialize, from the
/// deserializer's error `e` and the line `text`, without any value of the line.
pub fn json_line_reason(e: &serde_json::Error, text: &str, fields: &[JsonField]) -> String {
    if e.is_syntax() || e.is_eof() || e.is_io() {
        return syntax_reason(e);
    }
    // A data error: find the field from the line's shape (serde_json does not name it).
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(syntax) => return syntax_reason(&syntax),
    };
    let Some(obj) = value.as_object() else {
        return format!("not a JSON object: the line is {}", kind_of(&value));
    };
    let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
    if let Some(key) = obj.keys().find(|k| !names.contains(&k.as_str())) {
        return unknown_field(key, &names);
    }
    for f in fields {
        match obj.get(f.name) {
            None if f.required => return format!("missing field `{}`", f.name),
            None | Some(serde_json::Value::Null) if !f.required => {}
            Some(v) if !f.ty.matches(v) => {
                return format!(
                    "field `{}`: expected {}, got {}",
                    f.name,
                    f.ty.describe(),
                    kind_of(v)
                );
            }
            _ => {}
        }
    }
    // Every field has the right type (a duplicate field, a number out of range, ...).
    serde_reason(&e.to_string(), &names)
}

/// A JSON syntax error: its (fixed) message and the column where it happened.
fn syntax_reason(e: &serde_json::Error) -> String {
    let msg = redact(strip_position(&e.to_string()), &[]);
    if e.column() > 0 {
        format!("not a JSON object: {msg} at column {}", e.column())
    } else {
        format!("not a JSON object: {msg}")
    }
}

/// The kind of a JSON value, never the value: `a number`, `a string`, `null`, ...
pub fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// A serde message (from any format) rebuilt without the values it quotes. `fields` lists
/// the field names the message may name besides field-like unknown ones (for the hint that
/// lists the fields; may be empty).
pub fn serde_reason(message: &str, fields: &[&str]) -> String {
    let msg = strip_position(message);
    for (prefix, what) in [
        ("invalid type: ", "invalid type"),
        ("invalid value: ", "invalid value"),
    ] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            // `<unexpected>, expected <expectation>`: the expectation comes from the code (a
            // type's description), the unexpected part quotes the value. The value may hold
            // ", expected " itself, so the expectation is what follows the last one.
            return match rest.rfind(", expected ") {
                Some(i) => format!(
                    "{what}: expected {}, got {}",
                    &rest[i + ", expected ".len()..],
                    category(&rest[..i])
                ),
                None => format!("{what}: got {}", category(rest)),
            };
        }
    }
    if let Some(rest) = msg.strip_prefix("invalid length ") {
        return match rest.rfind(", expected ") {
            Some(i) => format!(
                "invalid length: expected {}",
                &rest[i + ", expected ".len()..]
            ),
            None => "invalid length".into(),
        };
    }
    if let Some(rest) = msg.strip_prefix("unknown variant `") {
        return match rest.rfind(", expected ") {
            Some(i) => format!(
                "unknown variant: expected {}",
                &rest[i + ", expected ".len()..]
            ),
            None => "unknown variant".into(),
        };
    }
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        // The name ends at the last backtick before ", expected" (or the end).
        let end = rest
            .rfind(", expected ")
            .or_else(|| rest.rfind(", there are no fields"))
            .unwrap_or(rest.len());
        let name = rest[..end].strip_suffix('`').unwrap_or(&rest[..end]);
        return unknown_field(name, fields);
    }
    if msg.starts_with("missing field `") || msg.starts_with("duplicate field `") {
        // serde names a field of the type being read: the schema's word, not the input's.
        return msg.to_string();
    }
    redact(msg, fields)
}

/// The refusal for an unknown field: named only when it looks like a field name.
pub fn unknown_field(name: &str, fields: &[&str]) -> String {
    let which = if field_like(name) || fields.contains(&name) {
        format!("unknown field `{name}`")
    } else {
        "an unknown field".to_string()
    };
    if fields.is_empty() {
        which
    } else {
        format!("{which}: the fields are {}", list(fields))
    }
}

/// True for text shaped like a field name (1 to 32 lowercase ASCII letters and underscores):
/// no digit, no capital, so never a plate as plates are written.
pub fn field_like(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// `a, b and c`.
fn list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The kind of value serde's "unexpected" part names, without the value.
fn category(unexpected: &str) -> &'static str {
    let head = unexpected
        .split(['`', '"'])
        .next()
        .unwrap_or_default()
        .trim();
    match head {
        "boolean" => "a boolean",
        "integer" | "floating point" => "a number",
        "character" | "string" => "a string",
        "byte array" => "bytes",
        "null" | "unit value" | "Option value" => "null",
        "sequence" => "an array",
        "map" => "a table or object",
        "enum" | "unit variant" | "newtype variant" | "tuple variant" | "struct variant" => {
            "an enum variant"
        }
        "newtype struct" => "a value",
        _ => "another kind of value",
    }
}

/// Removes serde_json's ` at line L column C` suffix.
fn strip_position(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(i)
            if msg[i + 9..]
                .bytes()
                .all(|b| b.is_ascii_digit() || b" column".contains(&b)) =>
        {
            &msg[..i]
        }
        _ => msg,
    }
}

/// A message of unknown shape with every quoted segment that could be input withheld: a
/// segment in backticks, double or single quotes stays only when it holds no letter or
/// digit (a token such as `=` or `"`) or is field-like or one of `fields`.
pub fn redact(msg: &str, fields: &[&str]) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(start) = rest.find(['`', '"', '\'']) {
        let quote = rest[start..].chars().next().unwrap_or('`');
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find(quote) {
            Some(len) => {
                let inner = &after[..len];
                let keep = !inner.chars().any(char::is_alphanumeric)
                    || field_like(inner)
                    || fields.contains(&inner);
                out.push(quote);
                out.push_str(if keep { inner } else { "..." });
                out.push(quote);
                rest = &after[len + 1..];
            }
            None => {
                // An unpaired quote: whatever follows it may be input.
                out.push_str(if after.chars().any(char::is_alphanumeric) {
                    " (the rest is not shown)"
                } else {
                    &rest[start..]
                });
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A TOML parse error as `line L, column C: <message>`, without the source line TOML's own
/// rendering prints, and without any value its message quotes.
pub fn toml_reason(e: &toml::de::Error, source: &str) -> String {
    let msg = serde_reason(e.message().trim_end(), &[]);
    match e.span() {
        Some(span) => {
            let (line, column) = line_column(source, span.start);
            format!("line {line}, column {column}: {msg}")
        }
        None => msg,
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count()
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: [JsonField; 3] = [
        JsonField {
            name: "plate",
            ty: JsonType::String,
            required: true,
        },
        JsonField {
            name: "lat",
            ty: JsonType::Number,
            required: false,
        },
        JsonField {
            name: "image_b64",
            ty: JsonType::String,
            required: false,
        },
    ];

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Line {
        plate: String,
        #[serde(default)]
        lat: Option<f64>,
        #[serde(default)]
        image_b64: Option<String>,
    }

    fn reason(text: &str) -> String {
        let e = serde_json::from_str::<Line>(text).expect_err("refused");
        json_line_reason(&e, text, &F)
    }

    #[test]
    fn json_refusals_name_the_field_and_kind_never_the_value() {
        let r = reason(r#"{"plate":7291234}"#);
        assert_eq!(r, "field `plate`: expected a string, got a number");
        let r = reason(r#"{"plate":"X","lat":"7KQX291"}"#);
        assert_eq!(r, "field `lat`: expected a number, got a string");
        let r = reason(r#"{"plate":["7KQX291"]}"#);
        assert_eq!(r, "field `plate`: expected a string, got an array");
        let r = reason(r#"{"plate":true}"#);
        assert_eq!(r, "field `plate`: expected a string, got a boolean");
        let r = reason(r#"{"plate":null}"#);
        assert_eq!(r, "field `plate`: expected a string, got null");
        assert_eq!(reason(r#"{"lat":1}"#), "missing field `plate`");
        let r = reason(r#"{"plate":"A","7KQX291":1}"#);
        assert_eq!(
            r,
            "an unknown field: the fields are plate, lat and image_b64"
        );
        assert!(reason(r#"{"plate":"A","colour":1}"#).starts_with("unknown field `colour`"));
        assert_eq!(reason("7291234"), "not a JSON object: the line is a number");
        assert_eq!(
            reason("[7291234]"),
            "not a JSON object: the line is an array"
        );
        let r = reason(r#"{"plate":"7KQX291""#);
        assert!(r.starts_with("not a JSON object: EOF"), "{r}");
        assert!(!r.contains("7KQX291"), "{r}");
    }

    #[test]
    fn serde_messages_lose_their_values() {
        let cases = [
            (
                "invalid type: integer `7291234`, expected a string at line 1 column 18",
                "invalid type: expected a string, got a number",
            ),
            (
                "invalid value: string \"7KQ, expected x\", expected a span",
                "invalid value: expected a span, got a string",
            ),
            (
                "invalid type: floating point `1.5`, expected u32",
                "invalid type: expected u32, got a number",
            ),
            (
                "unknown variant `7KQX291`, expected one of `investigation`, `amber-alert`",
                "unknown variant: expected one of `investigation`, `amber-alert`",
            ),
            (
                "invalid length 7291234, expected 2",
                "invalid length: expected 2",
            ),
            (
                "unknown field `AB123`, expected one of `a`",
                "an unknown field",
            ),
            (
                "unknown field `retension`, expected one of `a`",
                "unknown field `retension`",
            ),
            ("missing field `agency`", "missing field `agency`"),
            ("duplicate key `7KQX291`", "duplicate key `...`"),
            ("expected `=`, `\"`", "expected `=`, `\"`"),
            (
                "something 'ABC123' odd \"x",
                "something '...' odd  (the rest is not shown)",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(serde_reason(input, &[]), want, "{input}");
        }
    }

    #[test]
    fn toml_errors_give_a_position_but_no_source_line() {
        let source = "agency = \"CITY-PD\"\nretention = 7291234\n";
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct P {
            agency: String,
            retention: String,
        }
        let e = toml::from_str::<P>(source).expect_err("wrong type");
        let r = toml_reason(&e, source);
        assert!(r.starts_with("line 2, column 13: invalid type"), "{r}");
        assert!(!r.contains("7291234"), "{r}");
        let bad = "agency = 7KQX291\n";
        let e = toml::from_str::<P>(bad).expect_err("syntax");
        let r = toml_reason(&e, bad);
        assert!(r.starts_with("line 1, column 10"), "{r}");
        assert!(!r.contains("7KQX291"), "{r}");
        assert_eq!(line_column("ab\ncé\nx", 7), (3, 1));
    }
}
