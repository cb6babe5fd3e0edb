//! Signing in and out: the forms and their answers. The rules (passwords, limits on failures,
//! sessions) are the application's (`app::sign_in`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::{refused_anonymous, see_other, session};
use crate::app::Refusal;
use crate::app::sign_in::AuthError;
use crate::web::page::{frame, respond};
use crate::web::state::AppState;

/// The form, with what went wrong and the name as it was typed (a failed attempt keeps it).
fn form_page(problem: Option<&str>, name: &str) -> Markup {
    frame(
        "Sign in",
        html! {
            h1 { "Aegis" }
            @if let Some(p) = problem {
                p class="gone" role="alert" { (p) }
            }
            form method="post" action="/signin" {
                label for="name" { "Name" }
                input id="name" name="name" type="text" autocomplete="username" required autofocus[name.is_empty()] value=(name);
                label for="password" { "Password" }
                input id="password" name="password" type="password" autocomplete="current-password" required autofocus[!name.is_empty()];
                button type="submit" { "Sign in" }
            }
        },
    )
}

/// `GET /signin`.
pub async fn form() -> HttpResponse {
    respond(StatusCode::OK, form_page(None, ""))
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    name: String,
    password: String,
}

/// `POST /signin`.
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<SignInForm>,
) -> HttpResponse {
    if !session::same_origin(&state, &req) {
        return respond(
            StatusCode::FORBIDDEN,
            form_page(Some("Sign in from this site's own page."), ""),
        );
    }
    let SignInForm { name, password } = form.into_inner();
    let typed = name.chars().take(64).collect::<String>();
    match state.app.sign_in(&name, password, state.client(&req)).await {
        Ok(new) => {
            let mut r = see_other("/alerts");
            if let Err(e) = r.add_cookie(&session::cookie(&state, &new)) {
                return refused_anonymous(
                    &Refusal::internal(format!("setting the session cookie: {e}")),
                    "/signin",
                );
            }
            r
        }
        Err(AuthError::Limited { retry_after }) => {
            let mut r = respond(
                StatusCode::TOO_MANY_REQUESTS,
                form_page(
                    Some("Too many failed sign-ins. Wait a minute and try again."),
                    &typed,
                ),
            );
            if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&retry_after.to_string())
            {
                r.headers_mut()
                    .insert(actix_web::http::header::RETRY_AFTER, v);
            }
            r
        }
        Err(e @ (AuthError::Store(_) | AuthError::Hashing(_))) => refused_anonymous(&e, "/signin"),
        Err(_) => respond(
            StatusCode::UNAUTHORIZED,
            form_page(Some("That name and password do not match."), &typed),
        ),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /signout` (CSRF-protected: a forged form cannot sign anyone out).
pub async fn signout(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let who = match session::current(&state, &req).await {
        Ok(Some(w)) => w,
        Ok(None) => return see_other("/signin"),
        Err(e) => return refused_anonymous(&e, "/"),
    };
    if !session::same_origin(&state, &req) || !session::csrf_ok(&who, &form.csrf) {
        return super::forged();
    }
    if let Err(e) = session::end(&state, &req).await {
        return refused_anonymous(&e, "/");
    }
    let mut r = see_other("/signin");
    let _ = r.add_cookie(&session::cleared(&state));
    r
}
