//! Acknowledgement links (contract §7): `GET /v1/ack/{token}` shows the alert and a confirm
//! button and changes nothing (mail scanners open links); `POST` acknowledges as the user the
//! link was sent to, recording the channel it came through. A link that was used, expired or
//! belongs to an alert no longer waiting answers `410`; one Aegis never made answers `404`.
//! Every answer is a page, for a person on a phone.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use aegis_actors::step::{Command, Step, StepError};
use aegis_workflows::notification::Change;
use chrono::{DateTime, TimeDelta, Utc};
use maud::{Markup, html};

use super::pages::{frame, respond};
use super::state::AppState;
use crate::db::principals::{self, Principal};
use crate::db::read::deliveries::{self, DeliveryFound, NoticeFacts};
use crate::notify::notice::Notice;

/// Why a link cannot be used, as the person holding it is told.
enum Refusal {
    Unknown,
    Gone(String),
    Unavailable,
}

fn refusal_page(r: Refusal) -> HttpResponse {
    match r {
        Refusal::Unknown => respond(
            StatusCode::NOT_FOUND,
            frame(
                "Link not recognised",
                html! {
                    h1 { "This link is not recognised" }
                    p { "Check that the whole link was opened. Nothing was changed." }
                },
            ),
        ),
        Refusal::Gone(why) => respond(
            StatusCode::GONE,
            frame(
                "Link no longer valid",
                html! {
                    h1 { "This link can no longer be used" }
                    p class="gone" { (why) }
                    p class="note" { "Nothing was changed." }
                },
            ),
        ),
        Refusal::Unavailable => respond(
            StatusCode::SERVICE_UNAVAILABLE,
            frame(
                "Try again",
                html! {
                    h1 { "Aegis could not answer just now" }
                    p { "Nothing was changed. Reload this page in a few seconds." }
                },
            ),
        ),
    }
}

/// A usable link: its delivery, the alert's facts and the user it was sent to.
struct Usable {
    found: DeliveryFound,
    facts: NoticeFacts,
    user: Principal,
    change: Change,
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

async fn check(state: &AppState, token: &str) -> Result<Usable, Refusal> {
    let id = state.links.verify(token).ok_or(Refusal::Unknown)?;
    let read = state
        .db
        .with_read(move |c| {
            let Some(found) = deliveries::delivery(c, &id)? else {
                return Ok(None);
            };
            let facts = deliveries::notice_facts(c, &found.record.alert_id)?;
            let user = principals::by_name(c, &found.record.user)?;
            Ok(Some((found, facts, user)))
        })
        .await;
    let (found, facts, user) = match read {
        Ok(Some(x)) => x,
        Ok(None) => return Err(Refusal::Unknown),
        Err(e) => {
            tracing::warn!(error = %e, "reading an acknowledgement link failed");
            return Err(Refusal::Unavailable);
        }
    };
    let change = Change::parse_key(&found.record.change)
        .filter(|c| c.asks_for_action())
        .ok_or(Refusal::Unknown)?;
    let facts = facts.ok_or(Refusal::Unknown)?;
    if let Some(at) = found.link_used_at {
        return Err(Refusal::Gone(format!(
            "It was already used, at {}.",
            when(at)
        )));
    }
    let ttl = TimeDelta::seconds(
        i64::try_from(state.settings.notify.link_ttl_secs).unwrap_or(i64::MAX / 1_000_000),
    );
    let expired_at = found.record.created_at + ttl;
    if state.clock.now() > expired_at {
        return Err(Refusal::Gone(format!(
            "It expired at {}. Open the alert in the console instead.",
            when(expired_at)
        )));
    }
    let a = &facts.alert;
    if !matches!(a.state.as_str(), "open" | "escalated") {
        let why = match (&a.acknowledged_by, a.acknowledged_at) {
            (Some(by), Some(at)) => {
                format!(
                    "The alert was already acknowledged by {by} at {}.",
                    when(at)
                )
            }
            _ => format!("The alert is {} now.", a.state),
        };
        return Err(Refusal::Gone(why));
    }
    let Some(user) = user else {
        return Err(Refusal::Gone(
            "The person it was sent to no longer has access to Aegis.".into(),
        ));
    };
    Ok(Usable {
        found,
        facts,
        user,
        change,
    })
}

fn alert_summary(n: &Notice) -> Markup {
    html! {
        table {
            @for (k, v) in n.facts() {
                tr { th scope="row" { (k) } td { (v) } }
            }
        }
        @let reasons = n.reasons();
        @if !reasons.is_empty() {
            h2 { "Why the model flags it" }
            table class="reasons" {
                @for (r, c) in &reasons {
                    tr { td { (c) } td { (r) } }
                }
            }
        }
    }
}

/// `GET /v1/ack/{token}`: the alert and a confirm button. Changes nothing.
#[utoipa::path(get, path = "/v1/ack/{token}", tag = "officers",
    params(("token" = String, Path, description = "The token of a link Aegis sent")),
    responses(
        (status = 200, description = "The alert and a button to acknowledge it", content_type = "text/html"),
        (status = 404, description = "Aegis never made this link", content_type = "text/html"),
        (status = 410, description = "The link was used or expired, or the alert is no longer waiting", content_type = "text/html"),
        (status = 503, description = "Aegis could not answer just now", content_type = "text/html"),
    ))]
pub async fn show(state: web::Data<AppState>, token: web::Path<String>) -> HttpResponse {
    let u = match check(&state, &token).await {
        Ok(u) => u,
        Err(r) => return refusal_page(r),
    };
    let notice = Notice {
        change: u.change,
        facts: u.facts,
        ack_url: None,
    };
    let channel = u.found.record.channel.kind();
    respond(
        StatusCode::OK,
        frame(
            "Acknowledge alert",
            html! {
                h1 { (notice.subject()) }
                p { (notice.headline()) }
                form method="post" {
                    button type="submit" data-action="ack" {
                        "Acknowledge as " (u.user.name)
                    }
                }
                p class="note" {
                    "Acknowledging stops the escalation and tells everyone else who was alerted. "
                    "This link came by " (channel) " and works once."
                }
                (alert_summary(&notice))
            },
        ),
    )
}

/// `POST /v1/ack/{token}`: acknowledges as the link's user.
#[utoipa::path(post, path = "/v1/ack/{token}", tag = "officers",
    params(("token" = String, Path, description = "The token of a link Aegis sent")),
    responses(
        (status = 200, description = "Acknowledged", content_type = "text/html"),
        (status = 404, description = "Aegis never made this link", content_type = "text/html"),
        (status = 410, description = "The link was used or expired, or the alert is no longer waiting", content_type = "text/html"),
        (status = 503, description = "Aegis could not answer just now", content_type = "text/html"),
    ))]
pub async fn confirm(state: web::Data<AppState>, token: web::Path<String>) -> HttpResponse {
    let u = match check(&state, &token).await {
        Ok(u) => u,
        Err(r) => return refusal_page(r),
    };
    let r = &u.found.record;
    let command = Command::Acknowledge {
        by: u.user.audit_name(),
        note: None,
        via: Some(r.channel.kind().to_owned()),
    };
    let step = Step::Command { command };
    match state.runtime.dispatcher.command(&r.workflow_id, step).await {
        Ok(_) => {}
        Err(StepError::AlreadyAcknowledged { by }) => {
            return refusal_page(Refusal::Gone(format!(
                "The alert was already acknowledged by {by}."
            )));
        }
        Err(StepError::InvalidTransition(e)) => {
            return refusal_page(Refusal::Gone(format!(
                "The alert can no longer be acknowledged: its ticket is {}.",
                e.from.as_str()
            )));
        }
        Err(e) => {
            tracing::warn!(workflow_id = %r.workflow_id, error = %e, "acknowledging from a link failed");
            return refusal_page(Refusal::Unavailable);
        }
    }
    let id = r.id.clone();
    let now = state.clock.now();
    if let Err(e) = state
        .store
        .writer()
        .run(move |tx| crate::db::write::deliveries::use_link(tx, &id, now))
        .await
    {
        // The acknowledgement stands; the link is refused anyway now that the alert is no
        // longer waiting.
        tracing::warn!(error = %e, "could not mark an acknowledgement link used");
    }
    respond(
        StatusCode::OK,
        frame(
            "Acknowledged",
            html! {
                h1 { "Acknowledged" }
                p class="ok" {
                    "You (" (u.user.name) ") acknowledged the alert on ticket "
                    (u.facts.alert.ticket_number) ". Escalation has stopped and the others "
                    "who were alerted are being told."
                }
                p class="note" {
                    "Resolve it in Aegis once it is handled (POST /v1/alerts/"
                    (u.facts.alert.id) "/resolve with a disposition)."
                }
            },
        ),
    )
}
