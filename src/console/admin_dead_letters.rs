//! `/admin/dead-letters` (operators): what Aegis could not process — unreadable payloads,
//! workflows whose retries ran out, conflicting revisions — newest first, with the error.
//! An officer is answered 403 and sees none of it. (Redriving stays in the API for now.)

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;

use super::{Needs, layout, require, unavailable};
use crate::db::read;
use crate::http::pages::respond;
use crate::http::state::AppState;

/// Errors are shown up to this many characters; the API has them whole.
const ERROR_CHARS: usize = 200;

pub async fn page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let who = match require(&state, &req, Needs::Operator).await {
        Ok(w) => w,
        Err(answer) => return answer,
    };
    let page = match state
        .db
        .with_read(|c| read::list_dead_letters(c, None, None, 100))
        .await
    {
        Ok(p) => p,
        Err(e) => return unavailable(&e.into()),
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
                } @else {
                    table class="queue" {
                        thead { tr {
                            th scope="col" { "Kind" } th scope="col" { "Center" }
                            th scope="col" { "Error" } th scope="col" { "When" }
                            th scope="col" { "Redriven" }
                        } }
                        tbody {
                            @for d in &page.items {
                                tr data-dead-letter-id=(d.id) {
                                    td { (d.kind.replace('_', " ")) }
                                    td { (d.center.as_deref().unwrap_or("—")) }
                                    td { (d.error.chars().take(ERROR_CHARS).collect::<String>()) }
                                    td { (d.created_at.format("%m-%d %H:%M UTC")) }
                                    td { (d.redriven_by.as_deref().unwrap_or("no")) }
                                }
                            }
                        }
                    }
                }
            },
        ),
    )
}
