//! `/admin/missing` (operators): OneCall deliveries a center skipped (sequence gaps), and the
//! centers' daily summaries as reconciled — tickets a center listed that never arrived (still
//! missing, or arrived late), tickets received but not listed, and counts that disagree —
//! newest first. An officer is answered 403.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use aegis_workflows::daily_summary::TicketRef;
use maud::{Markup, html};

use super::time::{when, zone};
use super::{Operator, layout, refused};
use crate::web::page::respond;
use crate::web::state::AppState;

fn refs(list: &[TicketRef]) -> Markup {
    html! {
        @for (i, r) in list.iter().enumerate() {
            @if i > 0 { ", " }
            span class="hash" { (r.ticket_number) "-" (format!("{:03}", r.revision)) }
        }
    }
}

pub async fn page(state: web::Data<AppState>, who: Operator) -> HttpResponse {
    let who = who.0;
    let tz = zone(&state);
    let (list, gaps) = match state.app.missing().await {
        Ok(m) => (m.reconciliations, m.gaps),
        Err(e) => return refused(&who, &e, "/admin/missing"),
    };
    let still: usize = list.iter().map(|r| r.still_missing.len()).sum();
    respond(
        StatusCode::OK,
        layout(
            &who,
            "Missing tickets",
            html! {
                h1 { "Missing tickets" }
                @if still > 0 {
                    p class="gone" role="alert" data-missing=(still) {
                        strong { (still) } " ticket(s) the centers sent have not arrived: nobody has assessed those digs. Ask the center to send them again."
                    }
                } @else {
                    p class="ok" data-missing="0" { "Every ticket the centers' summaries list has arrived." }
                }
                h2 { "Skipped sequence numbers" }
                @if gaps.is_empty() {
                    p class="note" data-gaps="0" { "No OneCall delivery was skipped (or the gaps filled within the grace period)." }
                } @else {
                    ul data-gaps=(gaps.len()) {
                        @for g in &gaps {
                            li class="gone" {
                                (g.center) " station " (g.station) ": "
                                @if g.from == g.to { "delivery " (g.from) } @else { "deliveries " (g.from) "–" (g.to) }
                                " never arrived (skipped " (when(g.since, tz)) ")"
                            }
                        }
                    }
                }
                h2 { "Daily summaries" }
                @if list.is_empty() {
                    p class="note" { "No daily summary received yet (POST /v1/webhooks/{center}/summary)." }
                }
                @for r in &list {
                    section class="card" data-reconciliation-id=(r.id) aria-label=(format!("Summary of {} for {}", r.center, r.date)) {
                        h2 { (r.center) " · station " (r.station) " · " (r.date) }
                        p class="note" {
                            (r.listed) " listed, TOTAL " (r.total)
                            @if r.count_mismatch { " — " strong { "the count disagrees with the list" } }
                            " · received " (when(r.created_at, tz))
                        }
                        @if !r.still_missing.is_empty() {
                            p class="gone" { "Still missing: " (refs(&r.still_missing)) }
                        }
                        @if r.missing.len() > r.still_missing.len() {
                            p class="note" { "Listed as missing, arrived since: "
                                (refs(&r.missing.iter().filter(|m| !r.still_missing.contains(m)).cloned().collect::<Vec<_>>())) }
                        }
                        @if !r.unexpected.is_empty() {
                            p { "Received but not listed: " (refs(&r.unexpected)) }
                        }
                    }
                }
            },
        ),
    )
}
