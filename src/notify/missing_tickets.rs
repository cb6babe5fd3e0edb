//! What the operators are told when a center's daily summary lists tickets that never arrived
//! (contract §9: missing tickets reach operators like alerts reach officers): which center,
//! station and day, the missing tickets, and where to look — rendered once into a
//! channel-neutral [`Message`].

use serde_json::json;

use super::message::{Link, Message, PagerAction, Severity};
use crate::db::reconciliations::ReconciliationView;

/// The message about `r`'s missing tickets; `public_url` is where the console is.
pub fn message(r: &ReconciliationView, public_url: &str) -> Message {
    let tickets: Vec<String> = r
        .missing
        .iter()
        .map(|m| format!("{}-{:03}", m.ticket_number, m.revision))
        .collect();
    let subject = format!(
        "[MISSING TICKETS] {} ticket(s) from {} (station {}, {}) never arrived",
        tickets.len(),
        r.center,
        r.station,
        r.date
    );
    let headline = format!(
        "The daily summary of center {} for station {} on {} lists {} ticket(s) Aegis never \
         received, so nobody has assessed those digs. Ask the center to send them again.",
        r.center,
        r.station,
        r.date,
        tickets.len()
    );
    let count = format!(
        "{} listed, TOTAL {}{}",
        r.listed,
        r.total,
        if r.count_mismatch {
            " (the count disagrees with the list)"
        } else {
            ""
        }
    );
    let link = format!("{public_url}/admin/missing");
    let text = format!(
        "{headline}\n\n{}\n\n{count}.\n\n{link}\n",
        tickets
            .iter()
            .map(|t| format!("  {t}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let details = json!({
        "center": r.center, "station": r.station, "date": r.date,
        "missing": r.missing, "listed": r.listed, "total": r.total,
        "count_mismatch": r.count_mismatch,
    });
    let mut payload = serde_json::Map::new();
    payload.insert("reconciliation".into(), details.clone());
    Message {
        event: "tickets.missing",
        subject,
        headline,
        facts: vec![
            ("Center".into(), r.center.clone()),
            ("Station".into(), r.station.clone()),
            ("Day".into(), r.date.clone()),
            ("Missing".into(), tickets.join(", ")),
            ("Count".into(), count),
        ],
        reasons: Vec::new(),
        text,
        html: None,
        details,
        payload,
        // One incident per summary.
        dedup_key: format!("missing:{}", r.id),
        action: PagerAction::Trigger {
            severity: Severity::Critical,
        },
        link: Some(Link {
            href: link,
            label: "See the missing tickets",
        }),
    }
}
