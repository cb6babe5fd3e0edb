//! The one more tap before what cannot be undone (resolving an alert, retiring a layer,
//! cancelling a workflow, dismissing a dead letter): a page that says what will happen, asks
//! for the reason the trail records where it records one, and posts the same form again with
//! `confirm=yes`. Plain HTML, so it works on a phone without script and is no modal maze.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use maud::{Markup, html};

use super::layout;
use super::session::SignedIn;
use crate::web::page::respond;

/// The reason a confirmation asks for.
pub struct Reason<'a> {
    pub label: &'a str,
    /// What the person typed before (kept when the page is shown again).
    pub value: &'a str,
    /// Shown when the person confirmed without one.
    pub missing: bool,
}

/// What a confirmation page shows and posts.
pub struct Confirm<'a> {
    pub title: String,
    /// What will happen, in words.
    pub consequences: Markup,
    /// Where the confirmed form posts (the same action as the first form).
    pub action: String,
    /// Fields posted again as they were.
    pub keep: Vec<(&'a str, &'a str)>,
    pub reason: Option<Reason<'a>>,
    pub button: &'a str,
    /// The button's `data-action`, for tests and scripts.
    pub data_action: &'a str,
    pub back: String,
}

/// Whether the submitted form is the confirmed one; a confirmation that needs a reason and
/// has none is not.
pub fn confirmed(confirm: &str, reason: Option<&str>) -> bool {
    confirm == "yes" && reason.is_none_or(|r| !r.trim().is_empty())
}

pub fn page(who: &SignedIn, c: Confirm<'_>) -> HttpResponse {
    let missing = c.reason.as_ref().is_some_and(|r| r.missing);
    let body = html! {
        h1 { (c.title) }
        div class="confirm" { (c.consequences) }
        form method="post" action=(c.action) {
            input type="hidden" name="csrf" value=(who.csrf);
            @for (name, value) in &c.keep {
                input type="hidden" name=(name) value=(value);
            }
            @if let Some(r) = &c.reason {
                label for="confirm-reason" { (r.label) }
                @if r.missing { p class="gone" role="alert" { "Say why: the trail keeps the reason." } }
                input id="confirm-reason" name="reason" type="text" maxlength="4000" required value=(r.value);
            }
            input type="hidden" name="confirm" value="yes";
            button type="submit" data-action=(c.data_action) { (c.button) }
        }
        p { a href=(c.back) { "Back, change nothing" } }
    };
    let status = if missing {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    respond(status, layout(who, "Confirm", body))
}
