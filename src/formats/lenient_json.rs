//! JSON as centers write it, read leniently by the Open Ticket, GeoJSON and OneCall readers:
//! a comma before a closing `}` or `]` (legal in JavaScript, not in JSON) forgiven; keys found
//! without case and under several names; numbers and booleans that arrive as strings; one
//! string where a list is expected. Everything else must be JSON.

use serde_json::{Map, Value};

/// `text` with every comma that directly precedes (whitespace aside) a closing bracket or brace
/// removed, outside strings. Returns the text unchanged (borrowed) when there is none.
pub fn without_trailing_commas(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut drop = Vec::new();
    let (mut in_string, mut escaped) = (false, false);
    let mut pending_comma: Option<usize> = None;
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                pending_comma = None;
            }
            b',' => pending_comma = Some(i),
            b'}' | b']' => {
                if let Some(c) = pending_comma.take() {
                    drop.push(c);
                }
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => pending_comma = None,
        }
    }
    if drop.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for c in drop {
        out.push_str(&text[last..c]);
        last = c + 1;
    }
    out.push_str(&text[last..]);
    std::borrow::Cow::Owned(out)
}

/// The value under the first of `names` present in `obj`, keys compared without case; JSON
/// `null` counts as absent.
pub fn field<'a>(obj: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| {
        obj.get(*n)
            .or_else(|| {
                obj.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(n))
                    .map(|(_, v)| v)
            })
            .filter(|v| !v.is_null())
    })
}

pub fn section<'a>(obj: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Map<String, Value>> {
    field(obj, names).and_then(Value::as_object)
}

/// A text value, trimmed; numbers written as numbers become their text; empty is absent.
pub fn text_of(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

pub fn text(obj: &Map<String, Value>, names: &[&str]) -> Option<String> {
    field(obj, names).and_then(text_of)
}

/// A number, or a string holding one.
pub fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|x| x.is_finite())
}

/// A boolean, or a string or number saying one.
pub fn flag_of(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => flag_word(s),
        _ => None,
    }
}

/// Strings of a value that may be one string or an array of them.
pub fn texts_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(text_of).collect(),
        Some(v) => text_of(v).into_iter().collect(),
        None => Vec::new(),
    }
}

/// A yes or no as centers write it in text (`Y`, `yes`, `true`, `1`…); `None` for anything else.
pub fn flag_word(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "y" | "yes" | "1" => Some(true),
        "false" | "f" | "n" | "no" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_commas_go_and_nothing_else_changes() {
        assert_eq!(
            without_trailing_commas("{\"a\": [1, 2,], \"b\": {\"c\": 1 ,\n},}"),
            "{\"a\": [1, 2], \"b\": {\"c\": 1 \n}}"
        );
        let inside = r#"{"a": "x,}", "b": "q\",]"}"#;
        assert_eq!(without_trailing_commas(inside), inside);
        assert!(matches!(
            without_trailing_commas("[1, 2]"),
            std::borrow::Cow::Borrowed(_)
        ));
        // A stray comma elsewhere stays, so the document is still refused.
        assert!(
            serde_json::from_str::<serde_json::Value>(&without_trailing_commas("[1,,2]")).is_err()
        );
    }
}
