//! `/admin/due` (operators): tickets without a posted answer to the call center, due within
//! `due.warn_before_secs` or overdue (up to a week), earliest first — the same list as
//! `GET /v1/admin/due`. An officer is answered 403.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::html;

use super::{Operator, layout, refused};
use crate::web::page::respond;
use crate::web::state::AppState;

pub async fn page(state: web::Data<AppState>, who: Operator) -> HttpResponse {
    let who = who.0;
    let items = match state.app.due(None).await {
        Ok(i) => i,
        Err(e) => return refused(&who, &e, "/admin/due"),
    };
    let overdue = items.iter().filter(|i| i.overdue).count();
    respond(
        StatusCode::OK,
        layout(
            &who,
            "Due",
            html! {
                h1 { "Answers due to the call centers" }
                @if overdue > 0 {
                    p class="gone" role="alert" data-overdue=(overdue) {
                        strong { (overdue) } " ticket(s) overdue without an answer: the excavator may start without this member's marks."
                    }
                }
                @if items.is_empty() {
                    p class="ok" data-overdue="0" { "Nothing is due within " (state.app.settings().due.warn_before_secs / 60) " minutes." }
                } @else {
                    table class="queue" {
                        thead { tr {
                            th scope="col" { "Due" } th scope="col" { "Ticket" }
                            th scope="col" { "State" } th scope="col" { "Alert" }
                        } }
                        tbody {
                            @for i in &items {
                                tr data-workflow-id=(i.workflow_id) class=(if i.overdue { "gone" } else { "" }) {
                                    td { (i.due_at.format("%m-%d %H:%M UTC")) @if i.overdue { " (overdue)" } }
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
