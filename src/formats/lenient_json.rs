//! JSON as some senders write it: a comma before a closing `}` or `]` (legal in JavaScript,
//! not in JSON). Only that is forgiven; everything else must be JSON.

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
