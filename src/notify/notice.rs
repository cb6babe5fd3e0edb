//! What a notification about an alert says: the facts an officer needs to decide without
//! opening anything else (where, who digs, how, when, why it is risky) and the link, rendered
//! once into a channel-neutral [`Message`] (plain text, HTML, JSON).

use aegis_workflows::explain;
use aegis_workflows::geometry::Polygon;
use aegis_workflows::notification::Change;
use aegis_workflows::priority::ConsequenceWeights;
use aegis_workflows::ticket::Ticket;
use maud::{DOCTYPE, Markup, html};
use serde_json::{Value, json};

use super::message::{Link, Message, PagerAction, Severity};
use crate::db::read::deliveries::NoticeFacts;

/// One notification's content.
#[derive(Debug, Clone)]
pub struct Notice {
    pub change: Change,
    pub facts: NoticeFacts,
    /// Present on changes that ask someone to act (raised, escalated).
    pub ack_url: Option<String>,
    /// How much damaging each facility class weighs: which facility is named first.
    pub weights: ConsequenceWeights,
}

/// A labelled fact.
pub type Fact = (&'static str, String);

fn join_some(parts: &[Option<&str>], sep: &str) -> Option<String> {
    let v: Vec<&str> = parts
        .iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    (!v.is_empty()).then(|| v.join(sep))
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "not stated",
    }
}

impl Notice {
    fn ticket(&self) -> &Ticket {
        &self.facts.ticket
    }

    /// When the ticket's response is due, in the ticket's own offset.
    fn due(&self) -> String {
        let t = self.ticket();
        t.response_due_at.or(t.legal_start_at).map_or_else(
            || "(no due time)".into(),
            |d| d.format("%Y-%m-%d %H:%M %:z").to_string(),
        )
    }

    /// "123 Main St, Walnut Creek" — what the subject line calls the place.
    pub fn place(&self) -> String {
        self.ticket().location.in_words()
    }

    pub fn band(&self) -> String {
        self.facts
            .score
            .as_ref()
            .map_or("HIGH".into(), |s| s.band.to_uppercase())
    }

    /// What the subject line calls the alert: its band, or for an alert the standing rule
    /// raised, what the rule saw ("EMERGENCY, WHAT IS BURIED NOT KNOWN").
    fn kind_tag(&self) -> String {
        match &self.facts.rule {
            None => format!("{} RISK", self.band()),
            Some(rule) => {
                let kind = self
                    .ticket()
                    .kind
                    .map_or("urgent", |k| k.as_str())
                    .replace('_', " ");
                let what = if rule.contains("not known") {
                    "what is buried not known"
                } else {
                    "in conflict with a facility"
                };
                format!("{kind}, {what}").to_uppercase()
            }
        }
    }

    pub fn subject(&self) -> String {
        let t = &self.facts.alert.ticket_number;
        let place = self.place();
        let tag = self.kind_tag();
        match self.change {
            Change::Raised => format!("[{tag}] Ticket {t}: {place}"),
            Change::Escalated { tier } => {
                format!("[{tag}, ESCALATED to tier {tier}] Ticket {t}: {place}")
            }
            Change::Acknowledged => format!(
                "[Acknowledged by {}] Ticket {t}: {place}",
                self.facts
                    .alert
                    .acknowledged_by
                    .as_deref()
                    .unwrap_or("an officer")
            ),
            Change::Resolved => format!("[Closed] Ticket {t}: {place}"),
            Change::DueSoon => format!("[RESPONSE DUE {}] Ticket {t}: {place}", self.due()),
            Change::Overdue => format!(
                "[RESPONSE OVERDUE since {}] Ticket {t}: {place}",
                self.due()
            ),
        }
    }

    /// One sentence on what happened.
    pub fn headline(&self) -> String {
        let a = &self.facts.alert;
        match self.change {
            Change::Raised => match (&self.facts.rule, self.facts.score.as_ref()) {
                (Some(rule), Some(s)) => format!(
                    "This is an alert because it is {rule}: the standing rule sends it to a \
                     safety officer whatever the model says (here {} risk).",
                    s.band
                ),
                (Some(rule), None) => format!(
                    "This is an alert because it is {rule}: the standing rule sends it to a \
                     safety officer."
                ),
                (None, _) => {
                    "This is an alert because the model rates it high risk: it needs a safety \
                     officer."
                        .into()
                }
            },
            Change::Escalated { tier } => {
                format!("Nobody acknowledged this alert in time: it is escalated to tier {tier}.")
            }
            Change::Acknowledged => format!(
                "{} acknowledged this alert; escalation has stopped.",
                a.acknowledged_by.as_deref().unwrap_or("An officer")
            ),
            Change::Resolved => match (&a.resolved_by, &a.disposition) {
                (Some(by), Some(d)) => {
                    format!("{by} resolved this alert: {}.", d.replace('_', " "))
                }
                _ => "This alert is closed (the ticket was cancelled or replaced).".into(),
            },
            Change::DueSoon => format!(
                "The call center expects this member's answer by {}, and none is posted.",
                self.due()
            ),
            Change::Overdue => format!(
                "The answer to the call center was due {} and none is posted: the excavator may start.",
                self.due()
            ),
        }
    }

    /// The facts, in the order an officer reads them.
    pub fn facts(&self) -> Vec<Fact> {
        let t = self.ticket();
        let l = &t.location;
        let w = &t.work;
        let e = &t.excavator;
        let mut out: Vec<Fact> = Vec::new();
        let address = l
            .address
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty());
        let cross = l
            .cross_street
            .as_deref()
            .map(str::trim)
            .filter(|x| !x.is_empty());
        out.push((
            "Where",
            match (address, cross) {
                (Some(a), Some(x)) => format!("{a} (near {x})"),
                (Some(a), None) => a.to_owned(),
                (None, Some(x)) => format!("near {x}"),
                (None, None) => "address not stated".into(),
            },
        ));
        out.push((
            "City",
            join_some(
                &[l.city.as_deref(), l.county.as_deref(), l.state.as_deref()],
                ", ",
            )
            .unwrap_or_else(|| "not stated".into()),
        ));
        let area = l
            .polygon_wkt
            .as_deref()
            .and_then(|w| Polygon::parse_wkt(w).ok())
            .map(|p| p.area_m2());
        out.push((
            "Dig area",
            area.map_or("no polygon drawn".into(), |a| format!("about {a:.0} m²")),
        ));
        out.push((
            "Who digs",
            join_some(&[e.name.as_deref(), e.company.as_deref()], ", ")
                .map(|who| match &e.phone {
                    Some(p) if !p.trim().is_empty() => format!("{who} ({p})"),
                    _ => who,
                })
                .unwrap_or_else(|| "not stated".into()),
        ));
        let method = w
            .method
            .map(|m| m.in_words())
            .or_else(|| w.kind.clone())
            .unwrap_or_else(|| "method not stated".into());
        let depth = w
            .depth_inches
            .map(|d| format!("{d:.0} inches deep"))
            .or_else(|| w.depth_text.clone())
            .unwrap_or_else(|| "depth not stated".into());
        out.push((
            "How",
            format!(
                "{method}, {depth}; boring: {}, explosives: {}",
                yes_no(w.boring),
                yes_no(w.explosives)
            ),
        ));
        let kind = t.kind.map_or("normal", |k| k.as_str());
        let urgent = t.kind.is_some_and(|k| k.is_urgent());
        out.push((
            "When",
            format!(
                "legal start {}{}",
                t.legal_start_at.map_or("not stated".into(), |d| d
                    .format("%a %Y-%m-%d %H:%M %:z")
                    .to_string()),
                if urgent {
                    format!(" — {} ticket", kind.replace('_', " ").to_uppercase())
                } else {
                    String::new()
                }
            ),
        ));
        if let Some(s) = &self.facts.screening {
            let buried = aegis_workflows::priority::buried_in_words(s, &self.weights);
            out.push(("Buried", buried));
        }
        if let Some(s) = &self.facts.score {
            out.push((
                "Risk",
                format!(
                    "{} band: {} (model {})",
                    s.band,
                    aegis_workflows::risk::in_words(s.probability),
                    s.model_version
                ),
            ));
        }
        out.push((
            "Ticket",
            format!(
                "{} revision {} from {}",
                self.facts.alert.ticket_number, t.revision, self.facts.alert.center
            ),
        ));
        out
    }

    /// The top reasons in words, each with its signed contribution.
    pub fn reasons(&self) -> Vec<(String, String)> {
        self.facts.score.as_ref().map_or_else(Vec::new, |s| {
            s.top_features
                .iter()
                .map(|c| {
                    (
                        explain::reason(&c.feature, c.value),
                        explain::signed(c.contribution),
                    )
                })
                .collect()
        })
    }

    pub fn text(&self) -> String {
        let mut out = format!("{}\n\n", self.headline());
        for (k, v) in self.facts() {
            out.push_str(&format!("{k:<10} {v}\n"));
        }
        let reasons = self.reasons();
        if !reasons.is_empty() {
            out.push_str("\nWhy the model flags it (contribution to the risk, log-odds):\n");
            for (r, c) in reasons {
                out.push_str(&format!("  {c}  {r}\n"));
            }
        }
        if let Some(url) = &self.ack_url {
            out.push_str(&format!(
                "\nAcknowledge (you will be asked to confirm):\n{url}\n\nThis link is yours alone and works once.\n"
            ));
        }
        out.push_str(&format!("\nAlert {}\n", self.facts.alert.id));
        out
    }

    pub fn html(&self) -> Markup {
        let reasons = self.reasons();
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (self.subject()) }
                }
                body style="font-family: -apple-system, Segoe UI, Roboto, Arial, sans-serif; color: #111; background: #fff; max-width: 640px; margin: 0 auto; padding: 16px;" {
                    p style="font-size: 18px; font-weight: 600;" { (self.headline()) }
                    table style="border-collapse: collapse; width: 100%; font-size: 15px;" {
                        @for (k, v) in self.facts() {
                            tr {
                                th scope="row" style="text-align: left; vertical-align: top; padding: 4px 12px 4px 0; white-space: nowrap; color: #444;" { (k) }
                                td style="padding: 4px 0;" { (v) }
                            }
                        }
                    }
                    @if !reasons.is_empty() {
                        h2 style="font-size: 16px; margin-top: 20px;" { "Why the model flags it" }
                        table style="border-collapse: collapse; font-size: 15px;" {
                            @for (r, c) in &reasons {
                                tr {
                                    td style="padding: 2px 12px 2px 0; font-family: monospace; text-align: right;" { (c) }
                                    td style="padding: 2px 0;" { (r) }
                                }
                            }
                        }
                        p style="font-size: 12px; color: #555;" { "Contributions to the risk in log-odds: positive raises it." }
                    }
                    @if let Some(url) = &self.ack_url {
                        p style="margin: 24px 0;" {
                            a href=(url) style="display: inline-block; background: #b00020; color: #fff; padding: 14px 22px; border-radius: 6px; text-decoration: none; font-size: 17px; font-weight: 600;" { "Acknowledge this alert" }
                        }
                        p style="font-size: 13px; color: #555;" { "You will be asked to confirm. This link is yours alone and works once." }
                    }
                    p style="font-size: 12px; color: #777;" { "Alert " (self.facts.alert.id) }
                }
            }
        }
    }

    /// The facts as JSON (PagerDuty's `custom_details`).
    pub fn details(&self) -> Value {
        let facts: serde_json::Map<String, Value> = self
            .facts()
            .into_iter()
            .map(|(k, v)| (k.to_lowercase().replace(' ', "_"), Value::String(v)))
            .collect();
        let reasons: Vec<Value> = self
            .reasons()
            .into_iter()
            .map(|(r, c)| json!({"reason": r, "contribution": c}))
            .collect();
        json!({
            "alert_id": self.facts.alert.id,
            "workflow_id": self.facts.alert.workflow_id,
            "facts": facts,
            "reasons": reasons,
        })
    }

    /// The notice rendered once for every channel.
    pub fn message(&self) -> Message {
        let action = match self.change.pagerduty_action() {
            "acknowledge" => PagerAction::Acknowledge,
            "resolve" => PagerAction::Resolve,
            _ => {
                let urgent = self.ticket().kind.is_some_and(|k| k.is_urgent());
                let escalated = matches!(self.change, Change::Escalated { .. });
                PagerAction::Trigger {
                    severity: if urgent || escalated {
                        Severity::Critical
                    } else {
                        Severity::Error
                    },
                }
            }
        };
        let mut payload = serde_json::Map::new();
        payload.insert("alert".into(), json!(self.facts.alert));
        payload.insert("ticket".into(), json!(self.facts.ticket));
        payload.insert("score".into(), json!(self.facts.score));
        payload.insert("ack_url".into(), json!(self.ack_url));
        Message {
            event: self.change.webhook_type(),
            subject: self.subject(),
            headline: self.headline(),
            facts: self
                .facts()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            reasons: self.reasons(),
            text: self.text(),
            html: Some(self.html().into_string()),
            details: self.details(),
            payload,
            // The incident on the officer's phone follows the alert.
            dedup_key: self.facts.alert.id.clone(),
            action,
            link: self.ack_url.clone().map(|href| Link {
                href,
                label: "Acknowledge this alert",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::views::AlertView;
    use aegis_workflows::alert::AlertState;

    fn notice(rule: Option<&str>) -> Notice {
        let body = include_str!("../../tests/fixtures/emergency-directional-drilling.json");
        let obj: serde_json::Map<String, Value> = serde_json::from_str(body).unwrap();
        let ticket = crate::formats::native::from_object(&obj).unwrap();
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-23T17:00:00Z")
            .unwrap()
            .to_utc();
        let alert = AlertView {
            id: "a-1".into(),
            workflow_id: "w-1".into(),
            center: "TEST".into(),
            ticket_number: ticket.ticket_number.clone(),
            state: AlertState::Open,
            tier: 0,
            ack_deadline: None,
            raised_at: t,
            acknowledged_by: None,
            acknowledged_at: None,
            resolved_by: None,
            resolved_at: None,
            disposition: None,
            note: None,
            updated_at: t,
        };
        Notice {
            change: Change::Raised,
            facts: NoticeFacts {
                alert,
                ticket,
                score: None,
                screening: None,
                rule: rule.map(str::to_owned),
            },
            ack_url: None,
            weights: ConsequenceWeights::default(),
        }
    }

    /// Issue 32: an alert the standing rule raised read "[LOW RISK]"; it says what the rule saw.
    #[test]
    fn a_rule_raised_alert_says_why_in_its_subject_and_headline() {
        let n = notice(Some(
            "an emergency ticket where what is buried is not known",
        ));
        assert!(
            n.subject()
                .starts_with("[EMERGENCY, WHAT IS BURIED NOT KNOWN] Ticket "),
            "{}",
            n.subject()
        );
        assert!(
            n.headline().starts_with(
                "This is an alert because it is an emergency ticket where what is buried is not known"
            ),
            "{}",
            n.headline()
        );
        assert!(notice(None).subject().starts_with("[HIGH RISK] Ticket "));
    }
}
