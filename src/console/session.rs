//! Console sessions in the browser: the session id in an `HttpOnly`, `SameSite=Strict` cookie
//! (`Secure` when `http.public_url` is https) — the application keeps only its hash — a CSRF
//! token per session that every form posting to the console carries, and a same-origin check on
//! every console `POST`.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use aegis_actors::ports::StoreError;

use crate::app::sign_in::{NewSession, SESSION_HOURS};
use crate::web::state::AppState;

pub use crate::app::sign_in::SignedIn;

pub const COOKIE: &str = "aegis_session";

fn secure(state: &AppState) -> bool {
    state.app.settings().http.public_url.starts_with("https://")
}

/// The cookie that carries a new session.
pub fn cookie(state: &AppState, session: &NewSession) -> Cookie<'static> {
    Cookie::build(COOKIE, session.id.clone())
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure(state))
        .path("/")
        .max_age(actix_web::cookie::time::Duration::hours(SESSION_HOURS))
        .finish()
}

/// The cookie that ends a session in the browser.
pub fn cleared(state: &AppState) -> Cookie<'static> {
    let mut c = Cookie::build(COOKIE, "")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure(state))
        .path("/")
        .finish();
    c.make_removal();
    c
}

/// The signed-in user of a request, if its session is live.
pub async fn current(state: &AppState, req: &HttpRequest) -> Result<Option<SignedIn>, StoreError> {
    match req.cookie(COOKIE) {
        Some(c) => state.app.session(c.value()).await,
        None => Ok(None),
    }
}

/// Ends the request's session, if it has one.
pub async fn end(state: &AppState, req: &HttpRequest) -> Result<(), StoreError> {
    match req.cookie(COOKIE) {
        Some(c) => state.app.end_session(c.value()).await,
        None => Ok(()),
    }
}

/// Whether a form's CSRF token is the session's (compared in constant time).
pub fn csrf_ok(signed_in: &SignedIn, presented: &str) -> bool {
    subtle::ConstantTimeEq::ct_eq(signed_in.csrf.as_bytes(), presented.as_bytes()).into()
}

/// Whether a `POST` comes from a page of this site: browsers name the page's origin in
/// `Origin` (or say `Sec-Fetch-Site`); a request naming another site is refused. Clients that
/// send neither (scripts, old browsers) still need the session's CSRF token. The site's own
/// host is the `Host` header; a forwarded host counts only from a trusted proxy.
pub fn same_origin(state: &AppState, req: &HttpRequest) -> bool {
    if let Some(site) = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
    {
        return matches!(site, "same-origin" | "none");
    }
    let Some(origin) = req.headers().get("origin").and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = crate::web::client_ip::host(req, &state.proxies) else {
        return false;
    };
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest == host)
}
