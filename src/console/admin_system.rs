//! `/admin/system` (operators): how Aegis itself is doing — workflows and alerts by state,
//! dead letters, the outbox and notifications, every supervised actor's health, and the active
//! model with its thresholds and the models trained into this database. The same figures as
//! `GET /v1/admin/stats`, `/actors` and `/model`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use aegis_actors::health::ActorReport;
use chrono_tz::Tz;
use maud::{Markup, html};

use super::time::{when, zone};
use super::{Operator, layout, refused};
use crate::app::views::{ModelRecord, Stats};
use crate::web::page::respond;
use crate::web::state::AppState;

pub async fn page(state: web::Data<AppState>, who: Operator) -> HttpResponse {
    let who = who.0;
    let tz = zone(&state);
    let system = match state.app.system().await {
        Ok(s) => s,
        Err(e) => return refused(&who, &e, "/admin/system"),
    };
    let (stats, actors) = (&system.stats, &system.actors);
    let (model, trained) = (&system.model.active, &system.model.trained);
    respond(
        StatusCode::OK,
        layout(
            &who,
            "System",
            html! {
                h1 { "System" }
                (counts(stats, tz))
                (actor_table(actors))
                h2 { "Active model" }
                table {
                    tr { th scope="row" { "Version" } td data-model-version=(model.model_version) { (model.model_version) } }
                    tr { th scope="row" { "Loaded from" } td { (model.source) } }
                    tr { th scope="row" { "Trees" } td { (model.trees) } }
                    tr { th scope="row" { "Features" } td { (model.features.len()) " (" (system.model.feature_schema) ")" } }
                    tr { th scope="row" { "Bands" } td { "medium from " (system.model.medium) ", high from " (system.model.high) } }
                }
                (trained_table(trained, tz))
            },
        ),
    )
}

fn counts(s: &Stats, tz: Tz) -> Markup {
    let n = &s.notifications;
    html! {
        h2 { "Work" }
        table {
            tr { th scope="row" { "Workflows" } td { (by_state(&s.workflows)) } }
            tr { th scope="row" { "Alerts" } td { (by_state(&s.alerts)) } }
            tr { th scope="row" { "Past their deadline" } td class=(flag(s.alerts_overdue > 0)) { (s.alerts_overdue) } }
            tr { th scope="row" { "Dead letters" } td class=(flag(s.dead_letters > 0)) {
                a href="/admin/dead-letters" { (s.dead_letters) " waiting for an operator" }
            } }
            tr { th scope="row" { "Outbox" } td {
                (s.outbox_pending) " pending"
                @if let Some(t) = s.outbox_oldest { ", oldest " (when(t, tz)) }
            } }
            tr { th scope="row" { "Notifications" } td class=(flag(n.failed > 0)) {
                (n.sent) " sent, " (n.pending) " pending, " (n.failed) " failed"
            } }
            tr { th scope="row" { "Unreachable" } td class=(flag(!n.unreachable_recipients.is_empty())) {
                @if n.unreachable_recipients.is_empty() { "every escalation roster reaches someone" }
                @else { "reach nobody: " (n.unreachable_recipients.join(", ")) }
            } }
            tr { th scope="row" { "Screened" } td {
                a href="/admin/facilities" { (by_state(&s.screenings)) }
            } }
        }
        h2 { "Cleared by screening" }
        @if s.cleared_per_day.is_empty() {
            p class="note" data-cleared="0" { "No ticket was cleared automatically in the last two weeks." }
        } @else {
            table class="queue cleared" {
                thead { tr { th scope="col" { "Day (UTC)" } th scope="col" { "Tickets cleared, no facility near" } } }
                tbody {
                    @for d in &s.cleared_per_day {
                        tr { td { (d.day) } td data-cleared=(d.count) { (d.count) } }
                    }
                }
            }
        }
    }
}

fn by_state(m: &std::collections::BTreeMap<String, i64>) -> String {
    if m.is_empty() {
        return "none".to_owned();
    }
    m.iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn flag(bad: bool) -> &'static str {
    if bad { "gone" } else { "" }
}

fn actor_table(actors: &[ActorReport]) -> Markup {
    html! {
        h2 { "Actors" }
        table class="queue" {
            thead { tr {
                th scope="col" { "Actor" } th scope="col" { "State" } th scope="col" { "Restarts" }
                th scope="col" { "Mailbox" } th scope="col" { "Processed" } th scope="col" { "Failures" }
            } }
            tbody {
                @for a in actors {
                    tr data-actor=(a.name) {
                        td { (a.name) @if a.active > 0 { " (" (a.active) " active)" } }
                        td class=(flag(a.state != "running")) { (a.state) }
                        td { (a.restarts) } td { (a.mailbox) } td { (a.processed) } td { (a.failures) }
                    }
                }
            }
        }
    }
}

/// A held-out figure from a stored report (`None` when the report predates it).
fn figure(m: &serde_json::Value, path: &str) -> String {
    m.pointer(path)
        .and_then(serde_json::Value::as_f64)
        .map_or_else(|| "—".into(), |v| format!("{v:.3}"))
}

fn trained_table(trained: &[ModelRecord], tz: Tz) -> Markup {
    html! {
        h2 { "Trained here" }
        @if trained.is_empty() {
            p class="note" { "No model was trained into this database (the bundled one is in use)." }
        } @else {
            p class="note" {
                "Held-out figures; v1 is the same rows and split without what is buried, so the "
                "difference is what knowing it adds."
            }
            table class="queue" {
                thead { tr {
                    th scope="col" { "Version" } th scope="col" { "Features" }
                    th scope="col" { "AUC" } th scope="col" { "PR-AUC" } th scope="col" { "Top-decile lift" }
                    th scope="col" { "v1 AUC · PR-AUC · lift" } th scope="col" { "When" }
                } }
                tbody {
                    @for m in trained {
                        @let f = &m.metrics;
                        tr {
                            td { (m.version) br; span class="note" { (m.path) } }
                            td { (f.get("feature_schema").and_then(|v| v.as_str()).unwrap_or("aegis-features-v1")) }
                            td { (figure(f, "/auc")) } td { (figure(f, "/pr_auc")) } td { (figure(f, "/lift_top_decile")) }
                            td { (figure(f, "/baseline/test/auc")) " · " (figure(f, "/baseline/test/pr_auc")) " · " (figure(f, "/baseline/test/lift_top_decile")) }
                            td { (when(m.created_at, tz)) }
                        }
                    }
                }
            }
        }
    }
}
