//! Reading the free text that real tickets use for numbers: depths such as `<12 inches` or
//! `48 to 84 inches`, durations such as `1 day or less`.

/// Every decimal number in `s`, in order.
fn numbers(s: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in s.chars().chain(std::iter::once(' ')) {
        if ch.is_ascii_digit() || (ch == '.' && !cur.is_empty() && !cur.contains('.')) {
            cur.push(ch);
        } else if !cur.is_empty() {
            if let Ok(v) = cur.trim_end_matches('.').parse::<f64>() {
                out.push(v);
            }
            cur.clear();
        }
    }
    out
}

/// The deepest depth a text names, in inches. `None` when it names no number.
pub fn depth_inches(s: &str) -> Option<f64> {
    let max = numbers(s)
        .into_iter()
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))?;
    let l = s.to_ascii_lowercase();
    let factor = if l.contains("inch") || l.contains("in.") || l.contains('"') {
        1.0
    } else if l.contains("ft") || l.contains("feet") || l.contains("foot") || l.contains('\'') {
        12.0
    } else if l.contains("cm") {
        1.0 / 2.54
    } else if l.contains("meter") || l.contains("metre") || l.trim_end().ends_with('m') {
        39.37
    } else {
        1.0
    };
    Some(max * factor)
}

/// The longest duration a text names, in days. `None` when it names no number.
pub fn duration_days(s: &str) -> Option<f64> {
    let max = numbers(s)
        .into_iter()
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))?;
    let l = s.to_ascii_lowercase();
    let factor = if l.contains("hour") || l.contains("hr") {
        1.0 / 24.0
    } else if l.contains("week") || l.contains("wk") {
        7.0
    } else if l.contains("month") {
        30.0
    } else if l.contains("year") || l.contains("yr") {
        365.0
    } else {
        1.0
    };
    Some(max * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depths_as_centers_write_them() {
        assert_eq!(depth_inches("<12 inches"), Some(12.0));
        assert_eq!(depth_inches("48 to 84 inches"), Some(84.0));
        assert_eq!(depth_inches("3 feet"), Some(36.0));
        assert_eq!(depth_inches("6-8 ft"), Some(96.0));
        assert_eq!(depth_inches("36"), Some(36.0));
        assert_eq!(depth_inches("2.5 ft"), Some(30.0));
        assert_eq!(depth_inches("unknown"), None);
        assert_eq!(depth_inches(""), None);
    }

    #[test]
    fn durations_as_centers_write_them() {
        assert_eq!(duration_days("1 day or less"), Some(1.0));
        assert_eq!(duration_days("2 weeks"), Some(14.0));
        assert_eq!(duration_days("3 months"), Some(90.0));
        assert_eq!(duration_days("12 hours"), Some(0.5));
        assert_eq!(duration_days("ongoing"), None);
    }
}
