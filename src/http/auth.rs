//! Bearer-token authentication and roles. Officers (and operators, who may do everything an
//! officer does) handle alerts; only operators inspect and repair workflows. Repeated failures
//! from one address, or with one token prefix, are answered 429 for a while; a valid token is
//! never refused.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::LocalBoxFuture;
use parking_lot::Mutex;

use ipnet::IpNet;

use super::client_ip;
use super::error::ApiError;
use super::failures::FailureWindow;
use super::state::AppState;
use crate::db::Db;
use crate::db::principals::{self, Principal, Role};
use crate::telemetry::names;

/// Verified tokens are remembered this long; a revocation takes effect within it.
const CACHE_TTL: Duration = Duration::from_secs(5);
const CACHE_MAX: usize = 10_000;
const WINDOW: Duration = Duration::from_secs(60);
/// Distinct addresses (and token prefixes) tracked per minute; more share one count.
const FAILURE_KEYS: usize = 20_000;
/// How much of a presented token keys its failures: enough to tell real tokens apart, too
/// little to matter if logged.
const PREFIX_CHARS: usize = 16;

#[derive(Debug)]
pub struct AuthGuard {
    cache: Mutex<HashMap<String, (Instant, Option<Principal>)>>,
    by_address: Mutex<FailureWindow<IpAddr>>,
    by_prefix: Mutex<FailureWindow<String>>,
    proxies: Vec<IpNet>,
}

impl AuthGuard {
    pub fn new(proxies: Vec<IpNet>) -> Self {
        let now = Instant::now();
        Self {
            cache: Mutex::default(),
            by_address: Mutex::new(FailureWindow::new(WINDOW, FAILURE_KEYS, now)),
            by_prefix: Mutex::new(FailureWindow::new(WINDOW, FAILURE_KEYS, now)),
            proxies,
        }
    }

    /// The client address of a request, `X-Forwarded-For` counting only from trusted proxies.
    pub fn client(&self, req: &HttpRequest) -> Option<IpAddr> {
        client_ip::of(req, &self.proxies)
    }

    /// Seconds to wait when the address or the token's prefix has failed too often.
    pub(crate) fn blocked(&self, ip: Option<IpAddr>, prefix: &str, max: u32) -> Option<u64> {
        let now = Instant::now();
        if let Some(ip) = ip {
            let mut w = self.by_address.lock();
            if w.count(&ip, now) >= max {
                return Some(w.retry_after(now));
            }
        }
        let mut w = self.by_prefix.lock();
        let prefix = prefix.to_owned();
        (w.count(&prefix, now) >= max).then(|| w.retry_after(now))
    }

    pub(crate) fn failed(&self, ip: Option<IpAddr>, prefix: &str) {
        metrics::counter!(names::AUTH_FAILURES).increment(1);
        let now = Instant::now();
        if let Some(ip) = ip {
            self.by_address.lock().fail(&ip, now);
        }
        self.by_prefix.lock().fail(&prefix.to_owned(), now);
    }

    fn cached(&self, hash: &str) -> Option<Option<Principal>> {
        let c = self.cache.lock();
        c.get(hash)
            .filter(|(at, _)| at.elapsed() < CACHE_TTL)
            .map(|(_, p)| p.clone())
    }

    fn remember(&self, hash: String, p: Option<Principal>) {
        let mut c = self.cache.lock();
        if c.len() >= CACHE_MAX {
            c.clear();
        }
        c.insert(hash, (Instant::now(), p));
    }

    /// The principal behind `token`, from the cache or the database.
    async fn lookup(&self, db: &Db, token: String) -> Result<Option<Principal>, ApiError> {
        let hash = principals::hash_token(&token);
        if let Some(p) = self.cached(&hash) {
            return Ok(p);
        }
        let p = db
            .with_read(move |c| principals::by_token(c, &token))
            .await?;
        self.remember(hash, p.clone());
        Ok(p)
    }
}

/// The bearer token a request presents, if any.
pub fn presented_token(req: &HttpRequest) -> Option<String> {
    bearer(req)
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let v = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty() && t.len() <= 256)
}

fn rate_limited(wait: u64) -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        "too many failed authentications; wait before trying again",
    )
    .retry_after(wait)
}

/// A valid token always passes, whatever failed before it from the same address: behind a
/// proxy every officer shares one, and nobody may lock them out by guessing. Failures are
/// counted per address and per presented token prefix; past the limit a failure is `429`.
pub async fn authenticate(req: HttpRequest) -> Result<Principal, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
    let guard = &state.auth;
    let ip = guard.client(&req);
    let max = state.settings.auth.max_failures_per_minute;
    // A request with no token guesses nothing: it is refused, never counted or limited.
    let Some(token) = bearer(&req) else {
        metrics::counter!(names::AUTH_FAILURES).increment(1);
        return Err(ApiError::unauthenticated(
            "an 'Authorization: Bearer <token>' header is required",
        ));
    };
    let prefix: String = token.chars().take(PREFIX_CHARS).collect();
    if let Some(p) = guard.lookup(&state.db, token).await? {
        return Ok(p);
    }
    let blocked = guard.blocked(ip, &prefix, max);
    guard.failed(ip, &prefix);
    match blocked {
        Some(wait) => Err(rate_limited(wait)),
        None => Err(ApiError::unauthenticated(
            "the token is not valid or has been revoked",
        )),
    }
}

/// Whether `token` still names a principal (a revoked one ends its open streams).
pub async fn still_valid(state: &AppState, token: &str) -> Result<bool, ApiError> {
    Ok(state
        .auth
        .lookup(&state.db, token.to_owned())
        .await?
        .is_some())
}

/// Any authenticated officer or operator.
#[derive(Debug, Clone)]
pub struct Officer(pub Principal);

/// An authenticated operator.
#[derive(Debug, Clone)]
pub struct Operator(pub Principal);

impl FromRequest for Officer {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(req).await.map(Officer) })
    }
}

impl FromRequest for Operator {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let p = authenticate(req).await?;
            if p.role == Role::Operator {
                Ok(Operator(p))
            } else {
                Err(ApiError::forbidden("this needs the operator role"))
            }
        })
    }
}
