//! Acknowledgement links (contract §7): `GET /v1/ack/{token}` shows the alert and a confirm
//! button and changes nothing (mail scanners open links); `POST` acknowledges as the user the
//! link was sent to, recording the channel it came through. A link that was used, expired or
//! belongs to an alert no longer waiting answers `410`; one Aegis never made answers `404`.
//! Every answer is a page, for a person on a phone.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};

use crate::app::ack_links::LinkError;
use crate::notify::notice::Notice;
use crate::web::page::{frame, respond};
use crate::web::state::AppState;

/// Why a link cannot be used, as a page for the person holding it.
fn refusal_page(e: LinkError) -> HttpResponse {
    match e {
        LinkError::Unknown => respond(
            StatusCode::NOT_FOUND,
            frame(
                "Link not recognised",
                html! {
                    h1 { "This link is not recognised" }
                    p { "Check that the whole link was opened. Nothing was changed." }
                },
            ),
        ),
        LinkError::Gone(why) => respond(
            StatusCode::GONE,
            frame(
                "Link no longer valid",
                html! {
                    h1 { "This link can no longer be used" }
                    p class="gone" { (why) }
                    p class="note" { "Nothing was changed." }
                },
            ),
        ),
        LinkError::Store(e) => {
            tracing::warn!(error = %e, "an acknowledgement link could not be read");
            respond(
                StatusCode::SERVICE_UNAVAILABLE,
                frame(
                    "Try again",
                    html! {
                        h1 { "Aegis could not answer just now" }
                        p { "Nothing was changed. Reload this page in a few seconds." }
                    },
                ),
            )
        }
    }
}

fn alert_summary(n: &Notice) -> Markup {
    html! {
        table {
            @for (k, v) in n.facts() {
                tr { th scope="row" { (k) } td { (v) } }
            }
        }
        @let reasons = n.reasons();
        @if !reasons.is_empty() {
            h2 { "Why the model flags it" }
            table class="reasons" {
                @for (r, c) in &reasons {
                    tr { td { (c) } td { (r) } }
                }
            }
        }
    }
}

/// `GET /v1/ack/{token}`: the alert and a confirm button. Changes nothing.
#[utoipa::path(get, path = "/v1/ack/{token}", tag = "officers",
    params(("token" = String, Path, description = "The token of a link Aegis sent")),
    responses(
        (status = 200, description = "The alert and a button to acknowledge it", content_type = "text/html"),
        (status = 404, description = "Aegis never made this link", content_type = "text/html"),
        (status = 410, description = "The link was used or expired, or the alert is no longer waiting", content_type = "text/html"),
        (status = 503, description = "Aegis could not answer just now", content_type = "text/html"),
    ))]
pub async fn show(state: web::Data<AppState>, token: web::Path<String>) -> HttpResponse {
    let u = match state.app.ack_link(&token).await {
        Ok(u) => u,
        Err(e) => return refusal_page(e),
    };
    let channel = u.channel;
    let notice = Notice {
        change: u.change,
        facts: u.facts,
        ack_url: None,
        weights: state.app.consequence().clone(),
    };
    respond(
        StatusCode::OK,
        frame(
            "Acknowledge alert",
            html! {
                h1 { (notice.subject()) }
                p { (notice.headline()) }
                form method="post" {
                    button type="submit" data-action="ack" {
                        "Acknowledge as " (u.user.name)
                    }
                }
                p class="note" {
                    "Acknowledging stops the escalation and tells everyone else who was alerted. "
                    "This link came by " (channel) " and works once."
                }
                (alert_summary(&notice))
            },
        ),
    )
}

/// `POST /v1/ack/{token}`: acknowledges as the link's user.
#[utoipa::path(post, path = "/v1/ack/{token}", tag = "officers",
    params(("token" = String, Path, description = "The token of a link Aegis sent")),
    responses(
        (status = 200, description = "Acknowledged", content_type = "text/html"),
        (status = 404, description = "Aegis never made this link", content_type = "text/html"),
        (status = 410, description = "The link was used or expired, or the alert is no longer waiting", content_type = "text/html"),
        (status = 503, description = "Aegis could not answer just now", content_type = "text/html"),
    ))]
pub async fn confirm(state: web::Data<AppState>, token: web::Path<String>) -> HttpResponse {
    let u = match state.app.acknowledge_by_link(&token).await {
        Ok(u) => u,
        Err(e) => return refusal_page(e),
    };
    respond(
        StatusCode::OK,
        frame(
            "Acknowledged",
            html! {
                h1 { "Acknowledged" }
                p class="ok" {
                    "You (" (u.user.name) ") acknowledged the alert on ticket "
                    (u.facts.alert.ticket_number) ". Escalation has stopped and the others "
                    "who were alerted are being told."
                }
                p class="note" {
                    "Resolve it in Aegis once it is handled (POST /v1/alerts/"
                    (u.facts.alert.id) "/resolve with a disposition)."
                }
            },
        ),
    )
}
