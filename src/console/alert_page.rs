//! `/alerts/{id}`: one alert on one screen — the ticket's facts, the dig area to scale, the
//! score and its top reasons as a bar chart of contributions, who was notified, the history —
//! and acknowledge and resolve (CSRF-protected forms posting the same commands as the API).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use aegis_workflows::explain;
use aegis_workflows::lifecycle::Disposition;
use aegis_workflows::notification::Change;
use maud::{Markup, html};
use serde::Deserialize;

use super::{Needs, Officer, facility_map, layout, refused, require_form, see_other};
use crate::app::alerts::AlertAction;
use crate::app::views::NoticeFacts;
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

pub async fn page(state: web::Data<AppState>, who: Officer, id: web::Path<String>) -> HttpResponse {
    let who = who.0;
    let detail = match state.app.alert(&id, who.user.role).await {
        Ok(d) => d,
        Err(e) => return refused(&who, &e, "/alerts"),
    };
    let (wf, told, alert) = (detail.workflow, detail.notifications, detail.alert);
    let ticket = wf.ticket.clone();
    let area = aegis_workflows::geometry::DigArea::of(&ticket.location);
    let buffer = facility_map::center_buffer(&ticket.location);
    let near = match state.app.buried_near(&wf.id).await {
        Ok(n) => n,
        Err(e) => return refused(&who, &e, "/alerts"),
    };
    let notice = Notice {
        change: Change::Raised,
        facts: NoticeFacts {
            alert: alert.clone(),
            ticket,
            score: wf.score.clone(),
            screening: near.as_ref().map(|n| n.screening.clone()),
        },
        ack_url: None,
    };
    let waiting = alert.state.awaits_officer();
    let open = !alert.state.is_final();
    respond(
        StatusCode::OK,
        layout(
            &who,
            &format!("Alert on ticket {}", alert.ticket_number),
            html! {
                h1 { (notice.subject()) }
                p data-alert-id=(alert.id) {
                    "State: " strong { (alert.state) }
                    @if alert.tier > 0 { " (tier " (alert.tier) ")" }
                    @if let Some(by) = &alert.acknowledged_by { " · acknowledged by " (by) }
                    @if let Some(by) = &alert.resolved_by { " · resolved by " (by) }
                }
                @if let Some(r) = &wf.response {
                    p data-response-state=(r.state) {
                        "Call center answered with " strong { (r.code) } ": " (r.state)
                        @if let Some(e) = &r.error { " — " (e) }
                    }
                }
                @if waiting {
                    form method="post" action=(format!("/alerts/{}/ack", alert.id)) {
                        input type="hidden" name="csrf" value=(who.csrf);
                        label for="ack-note" { "Note (optional)" }
                        input id="ack-note" name="note" type="text" maxlength="4000";
                        button type="submit" data-action="ack" { "Acknowledge" }
                    }
                }
                @if open {
                    form method="post" action=(format!("/alerts/{}/resolve", alert.id)) {
                        input type="hidden" name="csrf" value=(who.csrf);
                        label for="disposition" { "How it was handled" }
                        select id="disposition" name="disposition" required {
                            @for d in Disposition::ALL {
                                option value=(d.as_str()) { (d.as_str().replace('_', " ")) }
                            }
                        }
                        label for="resolve-note" { "Note (optional)" }
                        input id="resolve-note" name="note" type="text" maxlength="4000";
                        button type="submit" class="secondary" data-action="resolve" { "Resolve" }
                    }
                }
                h2 { "What is buried there" }
                (facility_map::section(area.as_ref(), &buffer, near.as_ref()))
                h2 { "The ticket" }
                table { @for (k, v) in notice.facts() { tr { th scope="row" { (k) } td { (v) } } } }
                h2 { "Why the model flags it" }
                (reasons_chart(&notice))
                h2 { "Who was notified" }
                @if told.is_empty() {
                    p class="note" { "Nobody: no roster reaches anyone for this alert's tier." }
                } @else {
                    table {
                        @for d in &told {
                            tr { td { (d.change) } td { (d.user) } td { (d.channel) } td { (d.state) @if d.attempts > 1 { " after " (d.attempts) " attempts" } } }
                        }
                    }
                }
                h2 { "History" }
                ol class="history" {
                    @for e in &wf.events {
                        li { (e.at.format("%m-%d %H:%M:%S UTC")) " — " (e.event.replace('_', " ")) " · " (e.principal) }
                    }
                }
                p class="note" { "Audit chain " (if wf.chain_valid { "verified" } else { "BROKEN" }) "." }
            },
        ),
    )
}

#[derive(Debug, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    disposition: String,
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
        Ok(_) => see_other(&back),
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
