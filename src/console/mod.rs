//! The console (contract §8): server-rendered pages (maud) over the same queries and commands
//! as the JSON API, for people in a browser. One module per page; the security pieces
//! (passwords, sessions, CSRF) have their own. Pages are built from `web::page`'s frame and
//! headers: no script or style from anywhere else, no framing.
//!
//! Choice: server-rendered HTML with maud (compile-time checked, escaped by default, no build
//! step and nothing to download), as kanidm does with askama; live updates will come from the
//! existing server-sent event stream with a few lines of script served by Aegis itself.

pub mod admin_dead_letters;
pub mod admin_due;
pub mod admin_facilities;
pub mod admin_missing;
pub mod admin_model;
pub mod admin_system;
pub mod admin_workflow;
pub mod admin_workflows;
pub mod alert_page;
pub mod alert_queue;
pub mod charts;
pub mod confirm;
pub mod error_page;
pub mod facility_map;
pub mod history;
pub mod investigations;
pub mod live;
pub mod reports;
pub mod session;
pub mod signin;
pub mod time;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};

use crate::app::views::Role;
use crate::web::page::{frame, respond};
use crate::web::state::AppState;
pub use error_page::{refused, refused_anonymous};
use session::SignedIn;

/// Registers the console's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use web::{get, post, resource};
    cfg.service(resource("/").route(get().to(home)))
        .service(
            resource("/signin")
                .route(get().to(signin::form))
                .route(post().to(signin::submit)),
        )
        .service(resource("/signout").route(post().to(signin::signout)))
        .service(resource("/alerts").route(get().to(alert_queue::page)))
        // Before `/alerts/{id}`, which would take these names for ids.
        .service(resource("/alerts/live").route(get().to(live::stream)))
        .service(resource("/alerts/rows").route(get().to(alert_queue::rows_fragment)))
        .service(resource("/console/live-queue.js").route(get().to(alert_queue::script)))
        .service(resource("/console/alert-live.js").route(get().to(alert_page::script)))
        .service(resource("/alerts/{id}").route(get().to(alert_page::page)))
        .service(resource("/alerts/{id}/ack").route(post().to(alert_page::ack)))
        .service(resource("/alerts/{id}/resolve").route(post().to(alert_page::resolve)))
        .service(
            resource("/investigations")
                .route(get().to(investigations::list))
                .route(post().to(investigations::create)),
        )
        // Before `/investigations/{id}`, which would take "new" for an id.
        .service(resource("/investigations/new").route(get().to(investigations::new_form)))
        .service(
            resource("/investigations/{id}")
                .route(get().to(investigations::page))
                .route(post().to(investigations::save)),
        )
        .service(resource("/investigations/{id}/close").route(post().to(investigations::close)))
        .service(resource("/reports").route(get().to(reports::page)))
        .service(resource("/reports/export/{name}").route(get().to(reports::export)))
        .service(resource("/admin/workflows").route(get().to(admin_workflows::page)))
        .service(resource("/admin/workflows/{id}").route(get().to(admin_workflow::page)))
        .service(resource("/admin/workflows/{id}/retry").route(post().to(admin_workflow::retry)))
        .service(resource("/admin/workflows/{id}/cancel").route(post().to(admin_workflow::cancel)))
        .service(
            resource("/admin/workflows/{id}/respond")
                .route(post().to(admin_workflow::respond_to_center)),
        )
        .service(resource("/admin/dead-letters").route(get().to(admin_dead_letters::page)))
        .service(
            resource("/admin/dead-letters/{id}/redrive")
                .route(post().to(admin_dead_letters::redrive)),
        )
        .service(
            resource("/admin/dead-letters/{id}/dismiss")
                .route(post().to(admin_dead_letters::dismiss)),
        )
        .service(resource("/admin/missing").route(get().to(admin_missing::page)))
        .service(resource("/admin/due").route(get().to(admin_due::page)))
        .service(resource("/admin/system").route(get().to(admin_system::page)))
        .service(resource("/admin/model").route(get().to(admin_model::page)))
        .service(
            resource("/admin/facilities")
                .route(get().to(admin_facilities::page))
                .route(post().to(admin_facilities::import)),
        )
        .service(
            resource("/admin/facilities/{name}/retire").route(post().to(admin_facilities::retire)),
        )
        .service(
            resource("/admin/facilities/{name}/reactivate")
                .route(post().to(admin_facilities::reactivate)),
        );
}

/// `/`: the alert queue for the signed in, sign-in for the rest.
async fn home(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    match session::current(&state, &req).await {
        Ok(Some(_)) => see_other("/alerts"),
        Ok(None) => see_other("/signin"),
        Err(e) => refused_anonymous(&e, "/"),
    }
}

/// A form field as typed, trimmed; `None` when left empty (empty means "any" or "unchanged").
pub fn given(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("location", to))
        .insert_header(("cache-control", "no-store"))
        .finish()
}

/// Who may see a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Officer,
    Operator,
}

/// The signed-in user when they may see the page; otherwise the answer to give (sign-in for
/// nobody, 403 for an officer at an operator page: never the page's data).
pub async fn require(
    state: &AppState,
    req: &HttpRequest,
    needs: Needs,
) -> Result<SignedIn, HttpResponse> {
    let who = match session::current(state, req).await {
        Ok(Some(w)) => w,
        Ok(None) => return Err(see_other("/signin")),
        Err(e) => return Err(refused_anonymous(&e, "/")),
    };
    if needs == Needs::Operator && who.user.role != Role::Operator {
        return Err(respond(
            StatusCode::FORBIDDEN,
            layout(
                &who,
                "Operators only",
                html! {
                    h1 { "This page is for operators" }
                    p { a href="/alerts" { "Back to the alert queue" } }
                },
            ),
        ));
    }
    Ok(who)
}

/// The signed-in officer or operator a page is for, as an extractor: anyone else is answered
/// before the handler runs (sign-in for nobody, 403 for an officer at an operator page).
#[derive(Debug)]
pub struct Officer(pub SignedIn);

/// The signed-in operator an operator page is for (see [`Officer`]).
#[derive(Debug)]
pub struct Operator(pub SignedIn);

fn page_user(
    req: &HttpRequest,
    needs: Needs,
) -> futures::future::LocalBoxFuture<'static, Result<SignedIn, actix_web::Error>> {
    let req = req.clone();
    Box::pin(async move {
        let state = req.app_data::<web::Data<AppState>>().ok_or_else(|| {
            actix_web::error::ErrorInternalServerError("application state missing")
        })?;
        require(state, &req, needs).await.map_err(|answer| {
            actix_web::error::InternalError::from_response("not for this user", answer).into()
        })
    })
}

impl actix_web::FromRequest for Officer {
    type Error = actix_web::Error;
    type Future = futures::future::LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let user = page_user(req, Needs::Officer);
        Box::pin(async move { user.await.map(Self) })
    }
}

impl actix_web::FromRequest for Operator {
    type Error = actix_web::Error;
    type Future = futures::future::LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let user = page_user(req, Needs::Operator);
        Box::pin(async move { user.await.map(Self) })
    }
}

/// The signed-in user behind a form post, when it may act and the form came from Aegis's own
/// page (same origin, the session's CSRF token); otherwise the answer to give.
pub async fn require_form(
    state: &AppState,
    req: &HttpRequest,
    needs: Needs,
    csrf: &str,
) -> Result<SignedIn, HttpResponse> {
    let who = require(state, req, needs).await?;
    if !session::same_origin(state, req) || !session::csrf_ok(&who, csrf) {
        return Err(forged());
    }
    Ok(who)
}

/// A signed-in page: navigation, who is signed in, sign-out (a CSRF-protected form).
pub fn layout(who: &SignedIn, title: &str, body: Markup) -> Markup {
    frame(
        title,
        html! {
            nav aria-label="Main" {
                a href="/alerts" { "Alerts" }
                " · " a href="/investigations" { "Investigations" }
                " · " a href="/reports" { "Reports" }
                @if who.user.role == Role::Operator {
                    " · " a href="/admin/workflows" { "Workflows" }
                    " · " a href="/admin/dead-letters" { "Dead letters" }
                    " · " a href="/admin/due" { "Due" }
                    " · " a href="/admin/missing" { "Missing" }
                    " · " a href="/admin/facilities" { "Layers" }
                    " · " a href="/admin/model" { "Model" }
                    " · " a href="/admin/system" { "System" }
                }
                form method="post" action="/signout" class="signout" {
                    input type="hidden" name="csrf" value=(who.csrf);
                    span class="note" { (who.user.name) " (" (who.user.role.as_str()) ") " }
                    button type="submit" class="small" { "Sign out" }
                }
            }
            (body)
        },
    )
}

/// The answer to a form post that did not come from Aegis's own page.
pub fn forged() -> HttpResponse {
    respond(
        StatusCode::FORBIDDEN,
        frame(
            "Refused",
            html! {
                h1 { "Refused" }
                p { "This form did not come from Aegis's own page, so nothing was changed." }
            },
        ),
    )
}
