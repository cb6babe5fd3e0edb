//! `/alerts`: the officers' queue — open alerts first (waiting, then escalated, then
//! acknowledged), highest risk and newest on top, each row with `data-alert-id`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;

use super::{Needs, layout, require, unavailable};
use crate::db::read::{self, AlertFilter, AlertItem};
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

pub async fn page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let who = match require(&state, &req, Needs::Officer).await {
        Ok(w) => w,
        Err(answer) => return answer,
    };
    let mut open = Vec::new();
    for s in ["escalated", "open", "acknowledged"] {
        let filter = AlertFilter {
            state: Some(s.to_owned()),
            limit: SHOWN,
            ..AlertFilter::default()
        };
        match state
            .db
            .with_read(move |c| read::list_alerts(c, &filter))
            .await
        {
            Ok(p) => open.extend(p.items),
            Err(e) => return unavailable(&e.into()),
        }
    }
    let items = queue(open);
    respond(
        StatusCode::OK,
        layout(
            &who,
            "Alerts",
            html! {
                h1 { "Open alerts (" (items.len()) ")" }
                @if items.is_empty() {
                    p { "No alert is waiting." }
                } @else {
                    table class="queue" {
                        thead { tr {
                            th scope="col" { "State" } th scope="col" { "Ticket" }
                            th scope="col" { "Risk" } th scope="col" { "Raised" }
                        } }
                        tbody {
                            @for a in &items {
                                tr data-alert-id=(a.alert.id) {
                                    td { (a.alert.state) @if a.alert.tier > 0 { " (tier " (a.alert.tier) ")" } }
                                    td { a href=(format!("/alerts/{}", a.alert.id)) { (a.alert.ticket_number) } " · " (a.alert.center) }
                                    td { (a.band.as_deref().unwrap_or("?")) " " (a.probability.map_or(String::new(), |p| format!("{p:.3}"))) }
                                    td { (a.alert.raised_at.format("%m-%d %H:%M UTC")) }
                                }
                            }
                        }
                    }
                }
            },
        ),
    )
}
