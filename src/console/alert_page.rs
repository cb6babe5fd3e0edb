//! `/alerts/{id}`: one alert on one screen, in the order an officer at 2 a.m. needs it — why it
//! is an alert (the band, or the standing rule in words), who has it, acknowledge and resolve,
//! what is buried there (the most dangerous facility first, to scale), the ticket's facts, the
//! model's reasons, who was told (and how to reach someone when nobody is), and the history with
//! what people said. Resolving is deliberate: no disposition is preselected, each says what it
//! posts to the call center, and one more tap confirms. The page follows changes live.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use aegis_workflows::explain;
use aegis_workflows::notification::Change;
use chrono_tz::Tz;
use maud::{Markup, html};
use serde::Deserialize;

use super::confirm::{self, Confirm};
use super::session::SignedIn;
use super::time::{when, zone};
use super::{Needs, Officer, facility_map, history, layout, refused, require_form};
use crate::app::alerts::{AlertAction, AlertDetail, ResolutionChoice};
use crate::app::views::{AlertView, DeliveryView, NoticeFacts};
use crate::notify::notice::Notice;
use crate::web::page::respond;
use crate::web::state::AppState;

fn reasons_chart(n: &Notice) -> Markup {
    let Some(score) = &n.facts.score else {
        return html! {};
    };
    let max = score
        .top_features
        .iter()
        .map(|c| c.contribution.abs())
        .fold(0.0f32, f32::max)
        .max(1e-6);
    html! {
        table class="reasons" aria-label="Top reasons, with their contribution to the risk" {
            @for c in &score.top_features {
                @let width = (c.contribution.abs() / max * 100.0).round();
                tr {
                    td { (explain::signed(c.contribution)) }
                    td style="width: 45%" {
                        span class=(if c.contribution >= 0.0 { "bar up" } else { "bar down" })
                            style=(format!("width: {width}%")) {}
                    }
                    td { (explain::reason(&c.feature, c.value)) }
                }
            }
        }
        p class="note" { "Contributions to the risk in log-odds: positive raises it." }
    }
}

/// The alert as a notice: what its facts and words come from.
fn notice_of(
    state: &AppState,
    d: &AlertDetail,
    near: Option<&crate::app::facilities::BuriedNear>,
) -> Notice {
    Notice {
        change: Change::Raised,
        facts: NoticeFacts {
            alert: d.alert.clone(),
            ticket: d.workflow.ticket.clone(),
            score: d.workflow.score.clone(),
            screening: near.map(|n| n.screening.clone()),
            rule: d.rule.clone(),
        },
        ack_url: None,
        weights: state.app.consequence().clone(),
    }
}

pub async fn page(state: web::Data<AppState>, who: Officer, id: web::Path<String>) -> HttpResponse {
    let who = who.0;
    let detail = match state.app.alert(&id, who.user.role).await {
        Ok(d) => d,
        Err(e) => return refused(&who, &e, "/alerts"),
    };
    let near = match state.app.buried_near(&detail.workflow.id).await {
        Ok(n) => n,
        Err(e) => return refused(&who, &e, "/alerts"),
    };
    let choices = match state.app.resolution_choices(&detail).await {
        Ok(c) => c,
        Err(e) => return refused(&who, &e, "/alerts"),
    };
    let (notice, tz) = (notice_of(&state, &detail, near.as_ref()), zone(&state));
    let investigations = match state.app.workflow_investigations(&detail.workflow.id).await {
        Ok(items) => super::investigations::section(&detail.workflow.id, &items, tz),
        Err(e) => return refused(&who, &e, "/alerts"),
    };
    let ticket = &detail.workflow.ticket;
    let alert = &detail.alert;
    // What is buried, how likely a damage is and when the dig starts come before the buttons:
    // an officer acts on them.
    let (glance, facts): (Vec<_>, Vec<_>) = notice
        .facts()
        .into_iter()
        .partition(|(k, _)| matches!(*k, "Buried" | "Risk" | "When"));
    let body = html! {
        h1 { (notice.subject()) }
        p class="raised-because" data-raised-because { "Raised because: " strong { (detail.raised_because) } }
        table class="glance" { @for (k, v) in &glance { tr { th scope="row" { (k) } td data-fact=(k) { (v) } } } }
        (who_has_it(alert, tz))
        @if let Some(r) = &detail.workflow.response {
            p data-response-state=(r.state) {
                "Call center answered with " strong { (r.code) } ": " (r.state)
                @if let Some(e) = &r.error { " — " (e) }
            }
        }
        (actions(&who, alert, &choices))
        h2 { "What is buried there" }
        (facility_map::section(&ticket.location, near.as_ref(), state.app.consequence()))
        h2 { "The ticket" }
        table { @for (k, v) in &facts { tr { th scope="row" { (k) } td { (v) } } } }
        h2 { "The model's reasons" }
        (reasons_chart(&notice))
        h2 { "Who was notified" }
        (notified(&detail.notifications, &rosters_named(&detail)))
        (investigations)
        h2 { "History" }
        (history::history(&detail.workflow.events, tz))
        p class="note" { "Audit chain " (if detail.workflow.chain_valid { "verified" } else { "BROKEN" }) "." }
        script src="/console/alert-live.js" {}
    };
    let title = format!("Alert on ticket {}", alert.ticket_number);
    respond(StatusCode::OK, layout(&who, &title, body))
}

/// The alert's state and who has it, with when.
fn who_has_it(alert: &AlertView, tz: Tz) -> Markup {
    html! {
        p data-alert-id=(alert.id) data-updated=(alert.updated_at.to_rfc3339()) {
            "State: " strong { (alert.state) }
            @if alert.tier > 0 { " (tier " (alert.tier) ")" }
            @if let (Some(by), Some(at)) = (&alert.acknowledged_by, alert.acknowledged_at) {
                " · acknowledged by " (by) " " (when(at, tz))
            }
            @if let (Some(by), Some(at)) = (&alert.resolved_by, alert.resolved_at) {
                " · resolved by " (by) " " (when(at, tz))
                @if let Some(d) = &alert.disposition { " as " (d.replace('_', " ")) }
            }
        }
        @if let Some(note) = &alert.note { p class="said" { "Note: “" (note) "”" } }
    }
}

/// Acknowledge, and resolve with a disposition chosen on purpose: none preselected, each saying
/// what it posts to the call center.
fn actions(who: &SignedIn, alert: &AlertView, choices: &[ResolutionChoice]) -> Markup {
    html! {
        @if alert.state.awaits_officer() {
            form method="post" action=(format!("/alerts/{}/ack", alert.id)) {
                input type="hidden" name="csrf" value=(who.csrf);
                label for="ack-note" { "Note (optional)" }
                input id="ack-note" name="note" type="text" maxlength="4000";
                button type="submit" data-action="ack" { "Acknowledge" }
            }
        }
        @if !alert.state.is_final() {
            form method="post" action=(format!("/alerts/{}/resolve", alert.id)) {
                input type="hidden" name="csrf" value=(who.csrf);
                fieldset class="dispositions" {
                    legend { "How it was handled" }
                    @for c in choices {
                        label class="choice" {
                            input type="radio" name="disposition" value=(c.disposition.as_str()) required;
                            " " strong { (c.disposition.as_str().replace('_', " ")) }
                            br; span class="note" data-posts=(c.posts.as_deref().unwrap_or("")) { (c.in_words) }
                        }
                    }
                }
                label for="resolve-note" { "Note (optional)" }
                input id="resolve-note" name="note" type="text" maxlength="4000";
                @if alert.state.awaits_officer() {
                    p class="note" { "Nobody has acknowledged this alert: resolving records your acknowledgement first." }
                }
                button type="submit" class="secondary" data-action="resolve" { "Resolve…" }
            }
        }
    }
}

/// The rosters the alert's latest raise or escalation named.
fn rosters_named(d: &AlertDetail) -> Vec<String> {
    d.workflow
        .events
        .iter()
        .rev()
        .find(|e| matches!(e.event.as_str(), "alert_raised" | "escalated"))
        .and_then(|e| e.detail.get("recipients"))
        .and_then(|r| r.as_array())
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Who was told; when nobody was, how to reach someone.
fn notified(told: &[DeliveryView], rosters: &[String]) -> Markup {
    let roster = rosters.first().map_or("safety-oncall", String::as_str);
    let fix = format!(
        "aegis users channels dana --email dana@example.org\naegis rosters put {roster} --members dana"
    );
    html! {
        @if told.is_empty() {
            div class="gone" role="alert" data-nobody-reached {
                p { strong { "Nobody was reached:" } " no roster of this alert's tier ("
                    (rosters.join(", ")) ") has an on-duty member with a contact channel." }
                p { "To fix it, give an officer a channel and put them on that roster (from the server's command line):" }
                pre { (fix) }
                p { "or, for operators, " a href="/admin/system" { "the system page" } " lists the rosters and who is unreachable." }
            }
        } @else {
            table {
                @for d in told {
                    tr { td { (d.change) } td { (d.user) } td { (d.channel) } td { (d.state) @if d.attempts > 1 { " after " (d.attempts) " attempts" } } }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    disposition: String,
    /// `yes` once the person saw what the resolution does and confirmed it.
    #[serde(default)]
    confirm: String,
}

/// The one more tap before a resolution: what it records and what it posts.
async fn confirm_page(
    state: &AppState,
    who: &SignedIn,
    id: &str,
    form: &ActionForm,
) -> HttpResponse {
    let detail = match state.app.alert(id, who.user.role).await {
        Ok(d) => d,
        Err(e) => return refused(who, &e, "/alerts"),
    };
    let choices = match state.app.resolution_choices(&detail).await {
        Ok(c) => c,
        Err(e) => return refused(who, &e, "/alerts"),
    };
    let back = format!("/alerts/{id}");
    let Some(choice) = choices
        .iter()
        .find(|c| c.disposition.as_str() == form.disposition)
    else {
        let e = crate::app::alerts::AlertActionError::UnknownDisposition;
        return refused(who, &e, &back);
    };
    let a = &detail.alert;
    let note = form.note.trim();
    confirm::page(
        who,
        Confirm {
            title: format!("Resolve ticket {}?", a.ticket_number),
            consequences: html! {
                p { "As " strong { (choice.disposition.as_str().replace('_', " ")) } ": this " strong data-confirm-posts { (choice.in_words) } "." }
                @if a.state.awaits_officer() { p { "Nobody has acknowledged it: your acknowledgement is recorded first." } }
                @if !note.is_empty() { p { "Note: “" (note) "”" } }
            },
            action: format!("/alerts/{id}/resolve"),
            keep: vec![("disposition", &form.disposition), ("note", &form.note)],
            reason: None,
            button: "Yes, resolve",
            data_action: "confirm-resolve",
            back,
        },
    )
}

async fn act(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: String,
    form: ActionForm,
    resolve: bool,
) -> HttpResponse {
    let who = match require_form(&state, &req, Needs::Officer, &form.csrf).await {
        Ok(w) => w,
        Err(answer) => return answer,
    };
    if resolve && form.confirm != "yes" {
        return confirm_page(&state, &who, &id, &form).await;
    }
    let note = Some(form.note.trim().to_owned()).filter(|n| !n.is_empty());
    let action = if resolve {
        AlertAction::Resolve {
            disposition: form.disposition,
            note,
        }
    } else {
        AlertAction::Acknowledge {
            note,
            via: Some("console".into()),
        }
    };
    let back = format!("/alerts/{id}");
    match state
        .app
        .act_on_alert(&id, who.user.audit_name(), action)
        .await
    {
        Ok(_) => super::see_other(&back),
        Err(e) => refused(&who, &e, &back),
    }
}

pub async fn ack(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    form: web::Form<ActionForm>,
) -> HttpResponse {
    act(state, req, id.into_inner(), form.into_inner(), false).await
}

pub async fn resolve(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    form: web::Form<ActionForm>,
) -> HttpResponse {
    act(state, req, id.into_inner(), form.into_inner(), true).await
}

/// `/console/alert-live.js`.
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("cache-control", "no-cache"))
        .insert_header(("x-content-type-options", "nosniff"))
        .body(include_str!("assets/alert_live.js"))
}
