//! What a console page answers when a use case refuses: the application's policy
//! (`app::errors`) as a page — the same status the API gives (`web::status`), the message
//! written for the person, every problem of a refused input listed, a way back. A missing thing
//! is a 404 page, a refused input a 4xx page that says why; only an unavailable database (or
//! runtime) is a 503, with `Retry-After`.

use actix_web::HttpResponse;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use maud::{Markup, html};

use super::layout;
use super::session::SignedIn;
use crate::app::{Kind, Refusal, UseCaseError};
use crate::web::page::{frame, respond};
use crate::web::status::status_of;

/// The refusal's page for a signed-in person, with a link `back`.
pub fn refused(who: &SignedIn, e: &impl UseCaseError, back: &str) -> HttpResponse {
    let r = e.refusal();
    let (title, body) = explain(&r, back);
    answer(&r, layout(who, title, body))
}

/// The same for nobody signed in yet (sign-in, sign-out).
pub fn refused_anonymous(e: &impl UseCaseError, back: &str) -> HttpResponse {
    let r = e.refusal();
    let (title, body) = explain(&r, back);
    answer(&r, frame(title, body))
}

fn answer(r: &Refusal, page: Markup) -> HttpResponse {
    let status = status_of(r.kind);
    if status.is_server_error() {
        tracing::warn!(error = %r, "a console page could not be built");
    }
    let mut resp = respond(status, page);
    if let Some(secs) = r.retry_after
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        resp.headers_mut().insert(RETRY_AFTER, v);
    }
    resp
}

/// The page's title and body: what stood in the way, in the person's terms.
fn explain(r: &Refusal, back: &str) -> (&'static str, Markup) {
    let title = match r.kind {
        Kind::NotFound => "Not found",
        Kind::Invalid | Kind::Malformed => "Not accepted",
        Kind::Conflict | Kind::Gone => "Not done",
        Kind::Unavailable => "Try again",
        Kind::Internal => "Something went wrong",
        _ => "Refused",
    };
    let problems = problems_of(r);
    let body = html! {
        h1 { (title) }
        @if r.kind == Kind::Unavailable {
            p class="gone" role="alert" { "Aegis could not answer just now: " (r.message) }
            p { "Nothing was changed. Reload in a few seconds." }
        } @else {
            p class="gone" role="alert" { (r.message) }
        }
        @if !problems.is_empty() {
            ul class="problems" {
                @for (field, message) in &problems { li { code { (field) } ": " (message) } }
            }
        }
        p { a href=(back) { "Back" } }
    };
    (title, body)
}

/// Every problem a refusal lists (`details.problems`), as (field, message).
fn problems_of(r: &Refusal) -> Vec<(String, String)> {
    let Some(list) = r
        .details
        .as_ref()
        .and_then(|d| d.get("problems"))
        .and_then(|p| p.as_array())
    else {
        return Vec::new();
    };
    list.iter()
        .map(|p| {
            let text = |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
            (text("field"), text("message"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Refusal;
    use aegis_workflows::Problem;

    fn status(r: &Refusal) -> u16 {
        answer(r, maud::html! {}).status().as_u16()
    }

    #[test]
    fn each_kind_answers_the_api_status_and_only_unavailable_is_503() {
        assert_eq!(status(&Refusal::not_found("alert")), 404);
        assert_eq!(status(&Refusal::invalid("note", "too long")), 422);
        assert_eq!(status(&Refusal::conflict("CONFLICT", "taken")), 409);
        let busy = Refusal::unavailable("the database is unavailable", 5);
        let resp = answer(&busy, maud::html! {});
        assert_eq!(resp.status().as_u16(), 503);
        assert_eq!(
            resp.headers().get(RETRY_AFTER).map(|v| v.as_bytes()),
            Some(&b"5"[..])
        );
    }

    #[test]
    fn a_refused_input_lists_every_problem() {
        let r = Refusal::problems(&[
            Problem::new("class", "invalid", "`pipe` is not a facility class"),
            Problem::new(
                "buffer_ft",
                "out_of_range",
                "buffer_ft is between 0 and 5280 feet",
            ),
        ]);
        let (title, body) = explain(&r, "/admin/facilities");
        let html = body.into_string();
        assert_eq!(title, "Not accepted");
        assert!(html.contains("<code>class</code>: `pipe` is not a facility class"));
        assert!(html.contains("<code>buffer_ft</code>"));
    }
}
