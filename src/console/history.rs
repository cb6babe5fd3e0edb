//! A workflow's trail as a colleague reads it on the alert page: each event in words with what
//! people said — notes, dispositions, the codes posted to the center and how that went,
//! escalations and who was told — in the console's time zone.

use chrono_tz::Tz;
use maud::{Markup, html};
use serde_json::Value;

use super::time::when;
use crate::app::views::EventView;

fn text<'a>(d: &'a Value, key: &str) -> Option<&'a str> {
    d.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// What an event says beyond its name.
fn said(e: &EventView) -> Option<String> {
    let d = &e.detail;
    let note = text(d, "note").map(|n| format!("“{n}”"));
    let line = match e.event.as_str() {
        "acknowledged" => {
            let via = text(d, "via").map(|v| format!("via {v}"));
            [via, note]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ")
        }
        "resolved" | "cleared" => {
            let how = text(d, "disposition").map(|x| x.replace('_', " "));
            [how, note]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ")
        }
        "alert_raised" => text(d, "rule").map_or("the model rates it high risk".into(), |r| {
            format!("{r} (standing rule)")
        }),
        "escalated" => format!("to tier {}", d["tier"]),
        "response_requested" => format!("asks to post {}", text(d, "code").unwrap_or("?")),
        "response_posted" => format!("{} posted", text(d, "code").unwrap_or("code")),
        "response_rejected" | "response_failed" => {
            format!(
                "not posted: {}",
                text(d, "error").unwrap_or("no reason given")
            )
        }
        "notification_sent" | "notification_failed" => format!(
            "{} by {}",
            text(d, "recipient").unwrap_or("someone"),
            text(d, "channel").unwrap_or("a channel")
        ),
        "cancelled" => text(d, "reason").unwrap_or_default().to_owned(),
        _ => return None,
    };
    Some(line).filter(|l| !l.is_empty())
}

pub fn history(events: &[EventView], tz: Tz) -> Markup {
    html! {
        ol class="history" {
            @for e in events {
                li data-event=(e.event) {
                    (when(e.at, tz)) " — " strong { (e.event.replace('_', " ")) } " · " (e.principal)
                    @if let Some(s) = said(e) { br; span class="said" { (s) } }
                }
            }
        }
    }
}
