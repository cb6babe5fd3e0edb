//! `/admin/dead-letters` (operators): what Aegis could not process — unreadable payloads,
//! workflows whose retries ran out, conflicting revisions — newest first, with the error, the
//! payload on demand, and for those not yet handled a redrive button and a dismissal with a
//! reason, confirmed (the API's own commands).
//! An officer is answered 403 and sees none of it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use aegis_actors::records::DeadLetterKind;
use maud::html;
use serde::Deserialize;

use super::confirm::{self, Confirm, Reason};
use super::session::SignedIn;
use super::time::{when, zone};
use super::{Needs, Operator, layout, refused, require_form, see_other};
use crate::app::dead_letters::DeadLetterQuery;
use crate::app::views::DeadLetterView;
use crate::web::page::respond;
use crate::web::state::AppState;

/// Errors and payloads are shown up to this many characters; the API has them whole.
const ERROR_CHARS: usize = 200;
const PAYLOAD_CHARS: usize = 4_000;

pub async fn page(state: web::Data<AppState>, who: Operator) -> HttpResponse {
    let who = who.0;
    let tz = zone(&state);
    let query = DeadLetterQuery {
        limit: Some(100),
        ..DeadLetterQuery::default()
    };
    let page = match state.app.list_dead_letters(&query).await {
        Ok(p) => p,
        Err(e) => return refused(&who, &e, "/admin/dead-letters"),
    };
    respond(
        StatusCode::OK,
        layout(
            &who,
            "Dead letters",
            html! {
                h1 { "Dead letters (" (page.items.len()) @if page.next_cursor.is_some() { "+" } ")" }
                @if page.items.is_empty() {
                    p { "Nothing is waiting for an operator." }
                }
                @for d in &page.items {
                    section class="card" data-dead-letter-id=(d.id) aria-label=(format!("Dead letter {}", d.id)) {
                        h2 {
                            (d.kind.as_str().replace('_', " "))
                            @if let Some(c) = &d.center { " · " (c) }
                        }
                        p class="note" {
                            (when(d.created_at, tz))
                            @if let Some(w) = &d.workflow_id {
                                " · " a href=(format!("/admin/workflows/{w}")) { "workflow" }
                            }
                        }
                        p { (d.error.chars().take(ERROR_CHARS).collect::<String>()) }
                        details {
                            summary { "Payload (" (d.payload_encoding) ")" }
                            pre { (d.payload.chars().take(PAYLOAD_CHARS).collect::<String>()) }
                        }
                        @if let Some(by) = &d.redriven_by {
                            p class="ok" { "Redriven by " (by) }
                        } @else if let Some(by) = &d.dismissed_by {
                            p class="ok" { "Dismissed by " (by) ": " (d.dismiss_reason.as_deref().unwrap_or("")) }
                        } @else {
                            div class="actions" {
                                form method="post" action=(format!("/admin/dead-letters/{}/redrive", d.id)) {
                                    input type="hidden" name="csrf" value=(who.csrf);
                                    button type="submit" class="small" data-action="redrive" {
                                        @if d.kind == DeadLetterKind::RevisionConflict { "Redrive as a new revision" } @else { "Redrive" }
                                    }
                                }
                                form method="post" action=(format!("/admin/dead-letters/{}/dismiss", d.id)) {
                                    input type="hidden" name="csrf" value=(who.csrf);
                                    label for=(format!("why-{}", d.id)) { "Reason to dismiss" }
                                    input id=(format!("why-{}", d.id)) name="reason" type="text" maxlength="4000";
                                    button type="submit" class="small" data-action="dismiss" { "Dismiss…" }
                                }
                            }
                        }
                    }
                }
            },
        ),
    )
}

#[derive(Debug, Deserialize)]
pub struct RedriveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    /// `yes` once the operator saw what dismissing means (dismiss only).
    #[serde(default)]
    confirm: String,
}

/// `POST /admin/dead-letters/{id}/redrive`: the API's redrive, then back to the list.
pub async fn redrive(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    form: web::Form<RedriveForm>,
) -> HttpResponse {
    let who = match require_form(&state, &req, Needs::Operator, &form.csrf).await {
        Ok(w) => w,
        Err(answer) => return answer,
    };
    match state.app.redrive(&id, who.user.audit_name()).await {
        Ok(_) => see_other("/admin/dead-letters"),
        Err(e) => refused(&who, &e, "/admin/dead-letters"),
    }
}

/// `POST /admin/dead-letters/{id}/dismiss`: first what dismissing means, with the reason the
/// dead letter keeps; then, confirmed, the API's dismissal and back to the list.
pub async fn dismiss(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    form: web::Form<RedriveForm>,
) -> HttpResponse {
    let who = match require_form(&state, &req, Needs::Operator, &form.csrf).await {
        Ok(w) => w,
        Err(answer) => return answer,
    };
    if !confirm::confirmed(&form.confirm, Some(&form.reason)) {
        return match state.app.dead_letter_view(&id).await {
            Ok(d) => confirm_dismiss(&who, &d, &form),
            Err(e) => refused(&who, &e, "/admin/dead-letters"),
        };
    }
    let reason = Some(form.reason.clone());
    match state.app.dismiss(&id, who.user.audit_name(), reason).await {
        Ok(_) => see_other("/admin/dead-letters"),
        Err(e) => refused(&who, &e, "/admin/dead-letters"),
    }
}

fn confirm_dismiss(who: &SignedIn, d: &DeadLetterView, form: &RedriveForm) -> HttpResponse {
    let what = d.kind.as_str().replace('_', " ");
    confirm::page(
        who,
        Confirm {
            title: format!("Dismiss this {what}?"),
            consequences: html! {
                p { (d.error.chars().take(ERROR_CHARS).collect::<String>()) }
                p { "Dismissed, it is never redriven: " (after_dismissal(d.kind)) }
            },
            action: format!("/admin/dead-letters/{}/dismiss", d.id),
            keep: Vec::new(),
            reason: Some(Reason {
                label: "Reason to dismiss (kept with the dead letter)",
                value: &form.reason,
                missing: form.confirm == "yes",
            }),
            button: "Yes, dismiss it",
            data_action: "confirm-dismiss",
            back: "/admin/dead-letters".to_owned(),
        },
    )
}

/// What stays undone once a dead letter of this kind is dismissed.
fn after_dismissal(kind: DeadLetterKind) -> &'static str {
    match kind {
        DeadLetterKind::Unidentifiable => {
            "whatever ticket it held is not screened or alerted unless the center sends it again."
        }
        DeadLetterKind::StepFailed => "its workflow stays where it stopped.",
        DeadLetterKind::RevisionConflict => "the conflicting revision stays out of Aegis.",
        DeadLetterKind::UnreadableSummary => {
            "that day is reconciled without this summary unless the center sends it again."
        }
    }
}
