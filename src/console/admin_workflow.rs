//! `/admin/workflows/{id}` (operators): one workflow — its state and last error, score and
//! alert, what is buried around the dig area (the map), validation warnings, what the center
//! said beyond the ticket (Open Ticket custom fields as it labels them, response history,
//! attachments), and its audit trail as a timeline with the hash chain's verdict
//! — with retry (a failed workflow) and cancel (an unfinished one, confirmed with a reason) as
//! CSRF-protected forms posting the same commands as the API.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use aegis_workflows::State;
use aegis_workflows::positive_response::LocateCode;
use chrono_tz::Tz;
use maud::{Markup, html};
use serde::Deserialize;

use super::confirm::{self, Confirm, Reason};
use super::session::SignedIn;
use super::time::{when, zone};
use super::{Needs, Operator, layout, refused, require_form, see_other};
use crate::app::views::{EventView, WorkflowDetail};
use crate::formats::openticket::CenterSays;
use crate::web::page::respond;
use crate::web::state::AppState;

pub async fn page(
    state: web::Data<AppState>,
    who: Operator,
    id: web::Path<String>,
) -> HttpResponse {
    let who = who.0;
    let (detail, codes) = match state.app.workflow_with_codes(&id).await {
        Ok(d) => d,
        Err(e) => return refused(&who, &e, "/admin/workflows"),
    };
    let near = match state.app.buried_near(&id).await {
        Ok(n) => n,
        Err(e) => return refused(&who, &e, "/admin/workflows"),
    };
    let says = match state.app.center_says(&id).await {
        Ok(s) => s,
        Err(e) => return refused(&who, &e, "/admin/workflows"),
    };
    let title = format!("Ticket {} r{}", detail.ticket_number, detail.revision);
    let buried = super::facility_map::section(
        &detail.ticket.location,
        near.as_ref(),
        state.app.consequence(),
    );
    let said = says.as_ref().map(center_section);
    let investigations = match state.app.workflow_investigations(&id).await {
        Ok(items) => super::investigations::section(&id, &items, zone(&state)),
        Err(e) => return refused(&who, &e, "/admin/workflows"),
    };
    respond(
        StatusCode::OK,
        layout(
            &who,
            &title,
            body(
                &who,
                &detail,
                codes.as_deref(),
                [buried, investigations],
                said,
                zone(&state),
            ),
        ),
    )
}

/// The response to the call center: where it stands, and (when the center has an API) a form
/// to post one of its active codes.
fn response_section(
    who: &SignedIn,
    w: &WorkflowDetail,
    codes: Option<&[LocateCode]>,
    tz: Tz,
) -> Markup {
    html! {
        h2 { "Response to the call center" }
        @if let Some(r) = &w.response {
            p class=(if r.state == "rejected" { "gone" } else if r.state == "posted" { "ok" } else { "" })
                data-response-state=(r.state) {
                strong { (r.code) } " for station " (r.station) ": " (r.state)
                " (" (when(r.at, tz)) ", " (r.attempts) " attempts, for " (r.account) ")"
                @if let Some(e) = &r.error { br; (e) }
            }
        } @else {
            p class="note" { "None asked for." }
        }
        @match codes {
            None => p class="note" { "This center has no positive-response API set up." },
            Some(list) => {
                form method="post" action=(format!("/admin/workflows/{}/respond", w.id)) {
                    input type="hidden" name="csrf" value=(who.csrf);
                    label for="respond-code" { "Locate code" }
                    select id="respond-code" name="code" required {
                        @for c in list.iter().filter(|c| c.active) {
                            option value=(c.code) { (c.code) " — " (c.description) }
                        }
                    }
                    label for="respond-note" { "Note to the center (optional)" }
                    input id="respond-note" name="note" type="text" maxlength="1000";
                    button type="submit" class="secondary" data-action="respond" { "Post this response" }
                }
            }
        }
    }
}

/// What the center said beyond the ticket, as it labels it.
fn center_section(s: &CenterSays) -> Markup {
    html! {
        h2 { "What the center says" }
        @if s.is_empty() {
            p class="note" { "Nothing beyond the ticket itself." }
        }
        @for (group, fields) in &s.groups {
            details class="center-fields" {
                summary { (group) " (" (fields.len()) ")" }
                table {
                    @for (name, value) in fields {
                        tr { th scope="row" { (name) } td { (readable(value)) } }
                    }
                }
            }
        }
        @if !s.responses.is_empty() {
            h3 { "Responses the center has on record" }
            ol class="queue responses" {
                @for r in &s.responses {
                    li {
                        p { strong { (r.code) } " " (r.description) }
                        p class="note" {
                            (r.member) " · " (readable(&r.date))
                            @if !r.respondent.is_empty() { " · " (r.respondent) }
                        }
                        @if !r.comment.is_empty() { p { (r.comment) } }
                    }
                }
            }
        }
        @if !s.attachments.is_empty() {
            h3 { "Attachments" }
            ul {
                @for a in &s.attachments {
                    li {
                        (a.name)
                        @if let Some(m) = &a.mime_type { " (" (m) ")" }
                        @if let Some(u) = a.uri.as_deref().filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
                            " · " a href=(u) rel="noopener noreferrer" { "link" }
                        } @else if a.embedded_chars > 0 {
                            " · embedded, " (a.embedded_chars * 3 / 4 / 1024) " KB (kept in the raw payload)"
                        }
                    }
                }
            }
        }
    }
}

/// A center's time as a person reads it, in the center's own offset; anything else as sent.
fn readable(value: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(value).map_or_else(
        |_| value.to_owned(),
        |t| t.format("%Y-%m-%d %H:%M (UTC%:z)").to_string(),
    )
}

fn body(
    who: &SignedIn,
    w: &WorkflowDetail,
    codes: Option<&[LocateCode]>,
    [buried, investigations]: [Markup; 2],
    said: Option<Markup>,
    tz: Tz,
) -> Markup {
    let failed = w.state == State::Failed;
    let unfinished = !w.state.is_terminal();
    html! {
        h1 { "Ticket " (w.ticket_number) " r" (w.revision) " · " (w.center) }
        p data-workflow-id=(w.id) {
            "State: " strong class=(format!("state {}", w.state)) { (w.state) }
            " · version " (w.version)
            @if w.attempts > 0 { " · " (w.attempts) " attempts" }
        }
        @if let Some(e) = last_error(w, failed) {
            p class="gone" { "Last error: " (e) }
        }
        (chain_verdict(w))
        (rejection(w))
        @if failed {
            form method="post" action=(format!("/admin/workflows/{}/retry", w.id)) {
                input type="hidden" name="csrf" value=(who.csrf);
                button type="submit" class="secondary" data-action="retry" { "Retry from where it stopped" }
            }
        }
        @if unfinished {
            form method="post" action=(format!("/admin/workflows/{}/cancel", w.id)) {
                input type="hidden" name="csrf" value=(who.csrf);
                label for="cancel-reason" { "Reason for cancelling" }
                input id="cancel-reason" name="reason" type="text" maxlength="4000";
                button type="submit" data-action="cancel" { "Cancel this workflow…" }
            }
        }
        h2 { "Score and alert" }
        table {
            @if let Some(s) = &w.score {
                tr { th scope="row" { "Risk" } td { (s.band) " (" (format!("{:.3}", s.probability)) ")" } }
                tr { th scope="row" { "Model" } td { (s.model_version) } }
            } @else {
                tr { th scope="row" { "Risk" } td { "not scored" } }
            }
            @if let Some(a) = &w.alert {
                tr { th scope="row" { "Alert" } td {
                    a href=(format!("/alerts/{}", a.id)) { (a.state) }
                    @if a.tier > 0 { " (tier " (a.tier) ")" }
                } }
            }
            tr { th scope="row" { "Created" } td { (when(w.created_at, tz)) } }
            tr { th scope="row" { "Updated" } td { (when(w.updated_at, tz)) } }
        }
        (response_section(who, w, codes, tz))
        (investigations)
        h2 { "What is buried there" }
        (buried)
        @if let Some(said) = said {
            (said)
        }
        @if !w.warnings.is_empty() {
            h2 { "Validation warnings" }
            ul {
                @for warning in &w.warnings {
                    li { (warning_text(warning)) }
                }
            }
        }
        h2 { "Audit trail" }
        ol class="timeline" {
            @for e in &w.events {
                (event_item(e, w.chain_broken_at, tz))
            }
        }
    }
}

/// A rejected ticket's problems in words, each with the field it is about.
fn rejection(w: &WorkflowDetail) -> Markup {
    if w.state != State::Rejected {
        return html! {};
    }
    html! {
        section class="card" data-rejected aria-label="Why it was rejected" {
            h2 { "Rejected: Aegis could not assess this ticket" }
            @match w.rejected_for() {
                Ok(problems) if !problems.is_empty() => ul class="problems" {
                    @for p in &problems { li { (p.message) " " span class="note" { "(" code { (p.field) } ")" } } }
                },
                Ok(_) => p class="note" { "The trail names no problem." },
                Err(e) => p class="gone" { "The trail's problems do not read: " (e) },
            }
            p class="note" { "Nobody is alerted about a rejected ticket: ask the center to send it again, corrected." }
        }
    }
}

/// The error in progress, or for a failed workflow the one it failed with (kept in its
/// `failed` event; the row's count and error start afresh for a retry).
fn last_error(w: &WorkflowDetail, failed: bool) -> Option<String> {
    if let Some(e) = &w.last_error {
        return Some(e.clone());
    }
    if !failed {
        return None;
    }
    w.events
        .iter()
        .rev()
        .find(|e| e.event == "failed")
        .and_then(|e| e.detail.get("error"))
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

fn chain_verdict(w: &WorkflowDetail) -> Markup {
    html! {
        @if w.chain_valid {
            p class="ok" data-chain="valid" {
                "Audit chain verified: " (w.events.len()) " events, each hash follows from the one before."
            }
        } @else {
            p class="gone" role="alert" data-chain="broken" {
                strong { "Audit chain BROKEN" }
                @if let Some(seq) = w.chain_broken_at { " at event " (seq) }
                ": the trail was changed after it was written."
            }
        }
    }
}

fn event_item(e: &EventView, broken_at: Option<i64>, tz: Tz) -> Markup {
    let suspect = broken_at.is_some_and(|b| e.seq >= b);
    html! {
        li class=(if suspect { "suspect" } else { "" }) {
            span class="when" { (when(e.at, tz)) }
            " " strong { (e.event.replace('_', " ")) }
            @if let Some(from) = &e.from_state {
                @if *from != e.to_state { " · " (from) " → " (e.to_state) }
            } @else { " · → " (e.to_state) }
            " · " (e.principal)
            br;
            span class="note hash" title=(e.hash) { "#" (e.seq) " " (e.hash.chars().take(12).collect::<String>()) "…" }
            @if e.detail.as_object().is_some_and(|o| !o.is_empty()) {
                details {
                    summary { "Details" }
                    pre { (format!("{:#}", e.detail)) }
                }
            }
        }
    }
}

fn warning_text(w: &serde_json::Value) -> String {
    let field = w.get("field").and_then(|v| v.as_str()).unwrap_or("ticket");
    let message = w.get("message").and_then(|v| v.as_str()).unwrap_or("");
    format!("{field}: {message}")
}

#[derive(Debug, Deserialize)]
pub struct RepairForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    /// `yes` once the operator saw what cancelling ends (cancel only).
    #[serde(default)]
    confirm: String,
}

async fn repair(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: String,
    form: RepairForm,
    cancel: bool,
) -> HttpResponse {
    let who = match require_form(&state, &req, Needs::Operator, &form.csrf).await {
        Ok(w) => w,
        Err(answer) => return answer,
    };
    let back = format!("/admin/workflows/{id}");
    if cancel && !confirm::confirmed(&form.confirm, Some(&form.reason)) {
        return match state.app.workflow(&id).await {
            Ok(w) => confirm_cancel(&who, &w, &form),
            Err(e) => refused(&who, &e, &back),
        };
    }
    let by = who.user.audit_name();
    let done = if cancel {
        state
            .app
            .cancel(&id, by, Some(form.reason))
            .await
            .map_err(|e| refused(&who, &e, &back))
    } else {
        state
            .app
            .retry(&id, by)
            .await
            .map_err(|e| refused(&who, &e, &back))
    };
    match done {
        Ok(_) => see_other(&back),
        Err(page) => page,
    }
}

/// What cancelling ends: the workflow where it stands and, when one is open, its alert.
fn confirm_cancel(who: &SignedIn, w: &WorkflowDetail, form: &RepairForm) -> HttpResponse {
    let open_alert = w.alert.as_ref().filter(|a| !a.state.is_final());
    let kind = w
        .ticket
        .kind
        .map_or_else(String::new, |k| format!("{} ", k.as_str()));
    confirm::page(
        who,
        Confirm {
            title: format!("Cancel ticket {} r{}?", w.ticket_number, w.revision),
            consequences: html! {
                p { "The workflow stops where it stands (" strong { (w.state) } ") and cannot be resumed; its timers go." }
                @if let Some(a) = open_alert {
                    p class="gone" { "Its " strong { (a.state) } " " (kind) "alert closes"
                        @if a.state.awaits_officer() { ": nobody is paged about it again, and nobody has acknowledged it." }
                        @else if let Some(by) = &a.acknowledged_by { " (" (by) " acknowledged it)." }
                        @else { "." }
                    }
                }
                p { "Nothing is posted to " (w.center) "." }
            },
            action: format!("/admin/workflows/{}/cancel", w.id),
            keep: Vec::new(),
            reason: Some(Reason {
                label: "Reason for cancelling (kept in the trail)",
                value: &form.reason,
                missing: form.confirm == "yes",
            }),
            button: "Yes, cancel it",
            data_action: "confirm-cancel",
            back: format!("/admin/workflows/{}", w.id),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct RespondForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    note: String,
}

/// `POST /admin/workflows/{id}/respond`: the API's explicit response, then back to the page.
pub async fn respond_to_center(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    form: web::Form<RespondForm>,
) -> HttpResponse {
    let who = match require_form(&state, &req, Needs::Operator, &form.csrf).await {
        Ok(w) => w,
        Err(answer) => return answer,
    };
    let id = id.into_inner();
    let back = format!("/admin/workflows/{id}");
    let form = form.into_inner();
    let note = Some(form.note).filter(|n| !n.trim().is_empty());
    match state
        .app
        .respond(&id, who.user.audit_name(), form.code, note)
        .await
    {
        Ok(_) => see_other(&back),
        Err(e) => refused(&who, &e, &back),
    }
}

pub async fn retry(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    form: web::Form<RepairForm>,
) -> HttpResponse {
    repair(state, req, id.into_inner(), form.into_inner(), false).await
}

pub async fn cancel(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    form: web::Form<RepairForm>,
) -> HttpResponse {
    repair(state, req, id.into_inner(), form.into_inner(), true).await
}
