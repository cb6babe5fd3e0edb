//! Times as the console shows them: in the configured zone (`console.timezone`, else the first
//! center's), with the UTC time on hover, so an officer in California reads local time at
//! night and can still match a log line.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use maud::{Markup, html};

use crate::web::state::AppState;

/// The zone the console shows times in (UTC when the configuration names none that reads:
/// start-up refuses a bad one, so this is only a guard).
pub fn zone(state: &AppState) -> Tz {
    state.app.settings().display_zone().unwrap_or(Tz::UTC)
}

/// A time in `tz` ("Mon 11-23 09:14 PST"), UTC on hover and in the `datetime` attribute.
pub fn when(t: DateTime<Utc>, tz: Tz) -> Markup {
    let local = t.with_timezone(&tz);
    html! {
        time datetime=(t.to_rfc3339()) title=(t.format("%Y-%m-%d %H:%M:%S UTC").to_string()) {
            (local.format("%a %m-%d %H:%M %Z").to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_reads_in_the_zone_with_utc_on_hover() {
        let t = DateTime::parse_from_rfc3339("2026-11-24T05:14:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let html = when(t, chrono_tz::America::Los_Angeles).into_string();
        assert!(html.contains(">Mon 11-23 21:14 PST</time>"), "{html}");
        assert!(html.contains("title=\"2026-11-24 05:14:00 UTC\""), "{html}");
    }
}
