//! `/admin/workflows` (operators): workflows newest first, filtered as the API filters them
//! (state, center, band, screening, ticket number, created since/until), a page at a time. Each row opens
//! the workflow's own page. An officer is answered 403 and sees none of it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use aegis_workflows::State;
use aegis_workflows::risk::Band;
use aegis_workflows::screening::Category;
use chrono_tz::Tz;
use maud::{Markup, html};
use serde::{Deserialize, Serialize};

use super::time::{when, zone};
use super::{Operator, given, layout, refused};
use crate::app::views::{Page, WorkflowItem};
use crate::app::workflows::WorkflowQuery;
use crate::web::page::respond;
use crate::web::state::AppState;

const PER_PAGE: usize = 50;

/// The filter form as the browser sends it: empty fields mean "any", dates are whole UTC days.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct FilterForm {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    state: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    center: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    band: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    screening: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    ticket_number: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    since: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    until: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    cursor: String,
}

/// A date input's `YYYY-MM-DD` is the start of that UTC day; a full RFC 3339 time is kept.
fn day_start(s: &str) -> Option<String> {
    given(s).map(|d| {
        if d.len() == 10 {
            format!("{d}T00:00:00Z")
        } else {
            d
        }
    })
}

impl FilterForm {
    fn query(&self) -> WorkflowQuery {
        WorkflowQuery {
            state: given(&self.state),
            center: given(&self.center),
            band: given(&self.band),
            screening: given(&self.screening),
            ticket_number: given(&self.ticket_number),
            since: day_start(&self.since),
            until: day_start(&self.until),
            cursor: given(&self.cursor),
            limit: Some(PER_PAGE),
        }
    }

    /// The link to the next (older) page: the same filters and the page's cursor.
    fn next_page(&self, cursor: &str) -> String {
        let next = FilterForm {
            cursor: cursor.to_owned(),
            ..self.clone()
        };
        match serde_urlencoded::to_string(&next) {
            Ok(q) => format!("/admin/workflows?{q}"),
            // Plain strings always encode; fall back to the unfiltered list rather than fail.
            Err(_) => "/admin/workflows".to_owned(),
        }
    }
}

pub async fn page(
    state: web::Data<AppState>,
    who: Operator,
    form: web::Query<FilterForm>,
) -> HttpResponse {
    let who = who.0;
    let form = form.into_inner();
    let page = match state.app.list_workflows(&form.query()).await {
        Ok(p) => p,
        Err(e) => return refused(&who, &e, "/admin/workflows"),
    };
    respond(
        StatusCode::OK,
        layout(&who, "Workflows", body(&form, &page, zone(&state))),
    )
}

fn body(form: &FilterForm, page: &Page<WorkflowItem>, tz: Tz) -> Markup {
    html! {
        h1 { "Workflows" }
        form method="get" action="/admin/workflows" class="filters" aria-label="Filter workflows" {
            div {
                label for="f-state" { "State" }
                select id="f-state" name="state" {
                    option value="" { "any" }
                    @for s in State::ALL {
                        option value=(s.as_str()) selected[form.state == s.as_str()] { (s.as_str()) }
                    }
                }
            }
            div {
                label for="f-band" { "Risk band" }
                select id="f-band" name="band" {
                    option value="" { "any" }
                    @for b in Band::ALL {
                        option value=(b.as_str()) selected[form.band == b.as_str()] { (b.as_str()) }
                    }
                }
            }
            div {
                label for="f-screening" { "Screening" }
                select id="f-screening" name="screening" {
                    option value="" { "any" }
                    @for c in Category::ALL {
                        option value=(c.as_str()) selected[form.screening == c.as_str()] { (c.as_str()) }
                    }
                }
            }
            div {
                label for="f-center" { "Center" }
                input id="f-center" name="center" type="text" value=(form.center) maxlength="64";
            }
            div {
                label for="f-ticket" { "Ticket number" }
                input id="f-ticket" name="ticket_number" type="text" value=(form.ticket_number) maxlength="64";
            }
            div {
                label for="f-since" { "Created from (UTC day)" }
                input id="f-since" name="since" type="date" value=(form.since);
            }
            div {
                label for="f-until" { "Created before (UTC day)" }
                input id="f-until" name="until" type="date" value=(form.until);
            }
            div { button type="submit" class="small" { "Filter" } }
        }
        @if page.items.is_empty() {
            p { "No workflow matches." }
        } @else {
            table class="queue" {
                thead { tr {
                    th scope="col" { "Ticket" } th scope="col" { "State" }
                    th scope="col" { "Band" } th scope="col" { "Screening" }
                    th scope="col" { "Updated" }
                } }
                tbody {
                    @for w in &page.items {
                        tr data-workflow-id=(w.id) {
                            td {
                                a href=(format!("/admin/workflows/{}", w.id)) {
                                    (w.ticket_number) " r" (w.revision)
                                }
                                " · " (w.center)
                            }
                            td { span class=(format!("state {}", w.state)) { (w.state) } }
                            td { (w.band.as_deref().unwrap_or("—")) }
                            td {
                                @match w.screening.as_deref() {
                                    Some(c) => span class=(format!("screen {c}")) { (c) },
                                    None => "—",
                                }
                            }
                            td { (when(w.updated_at, tz)) }
                        }
                    }
                }
            }
        }
        @if let Some(c) = &page.next_cursor {
            p { a href=(form.next_page(c)) rel="next" { "Older workflows →" } }
        }
    }
}
