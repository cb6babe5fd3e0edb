//! `/alerts`: the officers' queue — open alerts first (waiting, then escalated, then
//! acknowledged), highest risk and newest on top, each row with `data-alert-id`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};

use super::{Needs, layout, require, unavailable};
use crate::app::alerts::AlertQuery;
use crate::app::views::AlertItem;
use crate::http::pages::respond;
use crate::http::state::AppState;

/// The queue shows this many open alerts at most; the API pages through the rest.
const SHOWN: usize = 200;

fn rank(state: &str) -> u8 {
    match state {
        "escalated" => 0,
        "open" => 1,
        "acknowledged" => 2,
        _ => 3,
    }
}

/// Open alerts in queue order.
pub fn queue(mut items: Vec<AlertItem>) -> Vec<AlertItem> {
    items.retain(|a| rank(&a.alert.state) < 3);
    items.sort_by(|a, b| {
        rank(&a.alert.state)
            .cmp(&rank(&b.alert.state))
            .then(
                b.probability
                    .unwrap_or(1.0)
                    .total_cmp(&a.probability.unwrap_or(1.0)),
            )
            .then(b.alert.raised_at.cmp(&a.alert.raised_at))
    });
    items
}

async fn open_alerts(state: &AppState) -> Result<Vec<AlertItem>, crate::app::workflows::ListError> {
    let mut open = Vec::new();
    for s in ["escalated", "open", "acknowledged"] {
        let query = AlertQuery {
            state: Some(s.to_owned()),
            limit: Some(SHOWN),
            ..AlertQuery::default()
        };
        open.extend(state.app.list_alerts(&query).await?.items);
    }
    Ok(queue(open))
}

fn rows(items: &[AlertItem]) -> Markup {
    html! {
        @for a in items {
            tr data-alert-id=(a.alert.id) {
                td { (a.alert.state) @if a.alert.tier > 0 { " (tier " (a.alert.tier) ")" } }
                td { a href=(format!("/alerts/{}", a.alert.id)) { (a.alert.ticket_number) } " · " (a.alert.center) }
                td { (a.band.as_deref().unwrap_or("?")) " " (a.probability.map_or(String::new(), |p| format!("{p:.3}"))) }
                td { (a.alert.raised_at.format("%m-%d %H:%M UTC")) }
            }
        }
    }
}

pub async fn page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let who = match require(&state, &req, Needs::Officer).await {
        Ok(w) => w,
        Err(answer) => return answer,
    };
    let items = match open_alerts(&state).await {
        Ok(i) => i,
        Err(e) => return unavailable(&e),
    };
    respond(
        StatusCode::OK,
        layout(
            &who,
            "Alerts",
            html! {
                h1 { "Open alerts (" span data-count { (items.len()) } ")" }
                p class="note" { "This list follows new and changed alerts by itself." }
                table class="queue" {
                    thead { tr {
                        th scope="col" { "State" } th scope="col" { "Ticket" }
                        th scope="col" { "Risk" } th scope="col" { "Raised" }
                    } }
                    tbody data-live { (rows(&items)) }
                }
                script src="/console/live-queue.js" {}
            },
        ),
    )
}

/// `/alerts/rows`: the queue's rows alone, for the page's live update.
pub async fn rows_fragment(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if let Err(answer) = require(&state, &req, Needs::Officer).await {
        return answer;
    }
    match open_alerts(&state).await {
        Ok(items) => respond(StatusCode::OK, rows(&items)),
        Err(e) => unavailable(&e),
    }
}

/// `/console/live-queue.js`.
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("cache-control", "no-cache"))
        .insert_header(("x-content-type-options", "nosniff"))
        .body(include_str!("assets/live_queue.js"))
}
