//! `/alerts`: the officers' queue in priority order (contract §12) — the most pressing open
//! alert first (risk × what is buried, sooner deadlines higher), acknowledged ones after those
//! nobody has taken, and apart below them the stale ones whose dig time passed long ago — each
//! row said in words an officer reads at 2 a.m. without opening it: time left, ticket and type,
//! where, what work and method, the most dangerous facility near, the risk. One column: it fits
//! a phone.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use aegis_workflows::alert::AlertState;
use maud::{Markup, html};

use super::{Officer, layout, refused};
use crate::app::queue::{QueueItem, QueueQuery};
use crate::web::page::respond;
use crate::web::state::AppState;

/// The queue shows this many open alerts at most; the API lists them all by priority too.
const SHOWN: usize = 200;

async fn open_alerts(
    state: &AppState,
) -> Result<crate::app::queue::Queue, crate::app::workflows::ListError> {
    state
        .app
        .alert_queue(&QueueQuery {
            limit: Some(SHOWN),
            ..QueueQuery::default()
        })
        .await
}

fn rows(items: &[QueueItem]) -> Markup {
    let stale = items.iter().filter(|q| q.priority.stale).count();
    let live = items.len() - stale;
    html! {
        @for q in &items[..live] { (row(q)) }
        @if stale > 0 {
            li class="group" data-stale-count=(stale) {
                h2 { "Stale: the dig time passed over a day ago (" (stale) ")" }
                p class="note" { "Still open; listed apart so that they never sit above a live one." }
            }
            @for q in &items[live..] { (row(q)) }
        }
    }
}

fn row(q: &QueueItem) -> Markup {
    let a = &q.item.alert;
    let late = if q.priority.overdue {
        "when overdue"
    } else {
        "when"
    };
    let mut class = if a.state == AlertState::Acknowledged {
        "taken"
    } else {
        ""
    }
    .to_owned();
    if q.priority.stale {
        class.push_str(" stale");
    }
    html! {
        {
            li data-alert-id=(a.id) class=(class.trim()) {
                p class="line1" {
                    span class=(late) { (q.words.time_left) }
                    " · " a href=(format!("/alerts/{}", a.id)) { (a.ticket_number) }
                    @if let Some(t) = &q.words.ticket_type { " · " (t) }
                    " · " span class="note" { (a.state) @if a.tier > 0 { " (tier " (a.tier) ")" } }
                }
                p { (q.words.place) }
                @if !q.words.work.is_empty() { p class="note" { (q.words.work) } }
                p class="buried" { (q.words.buried) }
                p { "Risk " (q.words.risk) }
            }
        }
    }
}

pub async fn page(state: web::Data<AppState>, who: Officer) -> HttpResponse {
    let who = who.0;
    let queue = match open_alerts(&state).await {
        Ok(q) => q,
        Err(e) => return refused(&who, &e, "/alerts"),
    };
    let items = queue.items;
    let live = items.iter().filter(|q| !q.priority.stale).count();
    respond(
        StatusCode::OK,
        layout(
            &who,
            "Alerts",
            html! {
                h1 {
                    "Open alerts (" span data-count { (live) } ")"
                    span class="note" data-stale-heading { @if live < items.len() { " · " (items.len() - live) " stale, below" } }
                }
                p class="note" {
                    "Most pressing first: risk × what is buried, sooner deadlines higher. "
                    "Alerts whose dig time passed over a day ago are listed apart, below. "
                    "The list follows new and changed alerts, and the clock, by itself."
                }
                @if queue.truncated {
                    p class="gone" { "More alerts are open than the queue orders; the oldest are left out." }
                }
                ol class="queue" data-live { (rows(&items)) }
                script src="/console/live-queue.js" {}
            },
        ),
    )
}

/// `/alerts/rows`: the queue's rows alone, for the page's live update.
pub async fn rows_fragment(state: web::Data<AppState>, who: Officer) -> HttpResponse {
    let who = who.0;
    match open_alerts(&state).await {
        Ok(queue) => respond(StatusCode::OK, rows(&queue.items)),
        Err(e) => refused(&who, &e, "/alerts"),
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
