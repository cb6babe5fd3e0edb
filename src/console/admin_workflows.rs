//! `/admin/workflows` (operators): the newest workflows with their state, as the API lists
//! them. An officer is answered 403 and sees none of it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;

use super::{Needs, layout, require, unavailable};
use crate::db::read::{self, WorkflowFilter};
use crate::http::pages::respond;
use crate::http::state::AppState;

pub async fn page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let who = match require(&state, &req, Needs::Operator).await {
        Ok(w) => w,
        Err(answer) => return answer,
    };
    let filter = WorkflowFilter {
        limit: 100,
        ..WorkflowFilter::default()
    };
    let page = match state
        .db
        .with_read(move |c| read::list_workflows(c, &filter))
        .await
    {
        Ok(p) => p,
        Err(e) => return unavailable(&e.into()),
    };
    respond(
        StatusCode::OK,
        layout(
            &who,
            "Workflows",
            html! {
                h1 { "Workflows" }
                table {
                    thead { tr {
                        th scope="col" { "Ticket" } th scope="col" { "State" }
                        th scope="col" { "Band" } th scope="col" { "Updated" }
                    } }
                    tbody {
                        @for w in &page.items {
                            tr data-workflow-id=(w.id) {
                                td { (w.ticket_number) " r" (w.revision) " · " (w.center) }
                                td { (w.state) }
                                td { (w.band.as_deref().unwrap_or("—")) }
                                td { (w.updated_at.format("%m-%d %H:%M UTC")) }
                            }
                        }
                    }
                }
            },
        ),
    )
}
