//! Console sessions: a random id in an `HttpOnly`, `SameSite=Strict` cookie (`Secure` when
//! `http.public_url` is https), stored only as its SHA-256; a CSRF token per session that every
//! form posting to the console carries; and a same-origin check on every console `POST`.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use base64::Engine as _;
use chrono::TimeDelta;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::principals::Principal;
use crate::db::sign_in;
use crate::http::state::AppState;

pub const COOKIE: &str = "aegis_session";
/// A session lasts a working shift and a half.
pub const TTL_HOURS: i64 = 12;

/// A signed-in user and their session's CSRF token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: Principal,
    pub csrf: String,
}

fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn id_hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

fn secure(state: &AppState) -> bool {
    state.settings.http.public_url.starts_with("https://")
}

/// Starts a session for `user`; the cookie to set.
pub async fn start(state: &AppState, user: &Principal) -> anyhow::Result<Cookie<'static>> {
    let id = random_token();
    let csrf = random_token();
    let now = state.clock.now();
    let (hash, principal) = (id_hash(&id), user.id.clone());
    state
        .store
        .writer()
        .run(move |tx| {
            sign_in::create_session(
                tx,
                &hash,
                &principal,
                &csrf,
                now,
                now + TimeDelta::hours(TTL_HOURS),
            )
        })
        .await?;
    Ok(Cookie::build(COOKIE, id)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure(state))
        .path("/")
        .max_age(actix_web::cookie::time::Duration::hours(TTL_HOURS))
        .finish())
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
pub async fn current(state: &AppState, req: &HttpRequest) -> anyhow::Result<Option<SignedIn>> {
    let Some(id) = req.cookie(COOKIE).map(|c| c.value().to_owned()) else {
        return Ok(None);
    };
    if id.is_empty() || id.len() > 64 {
        return Ok(None);
    }
    let (hash, now) = (id_hash(&id), state.clock.now());
    let found = state
        .db
        .with_read(move |c| sign_in::session(c, &hash, now))
        .await?;
    Ok(found.map(|(user, csrf)| SignedIn { user, csrf }))
}

/// Ends the request's session, if it has one.
pub async fn end(state: &AppState, req: &HttpRequest) -> anyhow::Result<()> {
    if let Some(id) = req.cookie(COOKIE).map(|c| c.value().to_owned()) {
        let (hash, now) = (id_hash(&id), state.clock.now());
        state
            .store
            .writer()
            .run(move |tx| sign_in::end_session(tx, &hash, now))
            .await?;
    }
    Ok(())
}

/// Whether a form's CSRF token is the session's (compared in constant time).
pub fn csrf_ok(signed_in: &SignedIn, presented: &str) -> bool {
    subtle::ConstantTimeEq::ct_eq(signed_in.csrf.as_bytes(), presented.as_bytes()).into()
}

/// Whether a `POST` comes from a page of this site: browsers name the page's origin in
/// `Origin` (or say `Sec-Fetch-Site`); a request naming another site is refused. Clients that
/// send neither (scripts, old browsers) still need the session's CSRF token.
pub fn same_origin(req: &HttpRequest) -> bool {
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
    let host = req.connection_info().host().to_owned();
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest == host)
}
