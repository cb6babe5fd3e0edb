//! Signing in and out. Failed sign-ins are limited as failed tokens are: per client address
//! and per user name, within a minute; a right password always passes.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::{password, see_other, session, unavailable};
use crate::db::sign_in;
use crate::http::pages::{frame, respond};
use crate::http::state::AppState;

fn form_page(problem: Option<&str>) -> Markup {
    frame(
        "Sign in",
        html! {
            h1 { "Aegis" }
            @if let Some(p) = problem {
                p class="gone" role="alert" { (p) }
            }
            form method="post" action="/signin" {
                label for="name" { "Name" }
                input id="name" name="name" type="text" autocomplete="username" required autofocus;
                label for="password" { "Password" }
                input id="password" name="password" type="password" autocomplete="current-password" required;
                button type="submit" { "Sign in" }
            }
        },
    )
}

/// `GET /signin`.
pub async fn form() -> HttpResponse {
    respond(StatusCode::OK, form_page(None))
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
    if !session::same_origin(&req) {
        return respond(
            StatusCode::FORBIDDEN,
            form_page(Some("Sign in from this site's own page.")),
        );
    }
    let SignInForm {
        name,
        password: given,
    } = form.into_inner();
    let name = name.trim().to_owned();
    let ip = state.auth.client(&req);
    let key = format!("signin:{}", name.to_lowercase());
    let max = state.settings.auth.max_failures_per_minute;
    let lookup = name.clone();
    let found = match state
        .db
        .with_read(move |c| sign_in::password_of(c, &lookup))
        .await
    {
        Ok(f) => f,
        Err(e) => return unavailable(&e.into()),
    };
    // Argon2 runs off the async threads: it takes tens of milliseconds on purpose.
    let user = match found {
        Some((user, hash)) => {
            let ok = web::block(move || password::verify(&given, &hash))
                .await
                .unwrap_or(false);
            ok.then_some(user)
        }
        None => None,
    };
    if let Some(user) = user {
        return match session::start(&state, &user).await {
            Ok(cookie) => {
                let mut r = see_other("/alerts");
                if let Err(e) = r.add_cookie(&cookie) {
                    return unavailable(&anyhow::anyhow!("setting the session cookie: {e}"));
                }
                r
            }
            Err(e) => unavailable(&e),
        };
    }
    let blocked = state.auth.blocked(ip, &key, max);
    state.auth.failed(ip, &key);
    match blocked {
        Some(wait) => {
            let mut r = respond(
                StatusCode::TOO_MANY_REQUESTS,
                form_page(Some(
                    "Too many failed sign-ins. Wait a minute and try again.",
                )),
            );
            if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&wait.to_string()) {
                r.headers_mut()
                    .insert(actix_web::http::header::RETRY_AFTER, v);
            }
            r
        }
        None => respond(
            StatusCode::UNAUTHORIZED,
            form_page(Some("That name and password do not match.")),
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
        Err(e) => return unavailable(&e),
    };
    if !session::same_origin(&req) || !session::csrf_ok(&who, &form.csrf) {
        return super::forged();
    }
    if let Err(e) = session::end(&state, &req).await {
        return unavailable(&e);
    }
    let mut r = see_other("/signin");
    let _ = r.add_cookie(&session::cleared(&state));
    r
}
