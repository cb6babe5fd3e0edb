//! `/admin/due` (operators): tickets without a posted answer to the call center, due within
//! `due.warn_before_secs` (or `?within=` seconds) or overdue (up to a week), earliest first —
//! the same list as `GET /v1/admin/due`. An officer is answered 403.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;

use super::time::{when, zone};
use super::{Operator, layout, refused};
use crate::app::operations::within_of;
use crate::web::page::respond;
use crate::web::state::AppState;

pub async fn page(state: web::Data<AppState>, req: HttpRequest, who: Operator) -> HttpResponse {
    let who = who.0;
    let asked = req.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "within")
            .map(|(_, v)| v.into_owned())
    });
    let within = match within_of(asked.as_deref()) {
        Ok(w) => w,
        Err(e) => return refused(&who, &e, "/admin/due"),
    };
    let items = match state.app.due(within).await {
        Ok(i) => i,
        Err(e) => return refused(&who, &e, "/admin/due"),
    };
    let window = within.unwrap_or(state.app.settings().due.warn_before_secs);
    let tz = zone(&state);
    let overdue = items.iter().filter(|i| i.overdue).count();
    respond(
        StatusCode::OK,
        layout(
            &who,
            "Due",
            html! {
                h1 { "Answers due to the call centers" }
                p class="note" data-within=(window) {
                    "Due within " (window / 60) " minutes, or overdue (up to a week). Look further: "
                    a href="/admin/due?within=14400" { "4 hours" } " · "
                    a href="/admin/due?within=86400" { "a day" } " · "
                    a href="/admin/due?within=259200" { "3 days" }
                }
                @if overdue > 0 {
                    p class="gone" role="alert" data-overdue=(overdue) {
                        strong { (overdue) } " ticket(s) overdue without an answer: the excavator may start without this member's marks."
                    }
                }
                @if items.is_empty() {
                    p class="ok" data-overdue="0" { "Nothing is due within " (window / 60) " minutes." }
                } @else {
                    table class="queue" {
                        thead { tr {
                            th scope="col" { "Due" } th scope="col" { "Ticket" }
                            th scope="col" { "State" } th scope="col" { "Alert" }
                        } }
                        tbody {
                            @for i in &items {
                                tr data-workflow-id=(i.workflow_id) class=(if i.overdue { "gone" } else { "" }) {
                                    td { (when(i.due_at, tz)) @if i.overdue { " (overdue)" } }
                                    td {
                                        a href=(format!("/admin/workflows/{}", i.workflow_id)) {
                                            (i.ticket_number) " r" (i.revision)
                                        }
                                        " · " (i.center)
                                    }
                                    td { (i.state) }
                                    td { (i.alert_state.as_deref().unwrap_or("—")) }
                                }
                            }
                        }
                    }
                }
            },
        ),
    )
}
