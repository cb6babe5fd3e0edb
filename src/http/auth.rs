//! Bearer-token authentication and roles. Officers (and operators, who may do everything an
//! officer does) handle alerts; only operators inspect and repair workflows. Repeated failures
//! from one address are answered 429 for the rest of the minute.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::LocalBoxFuture;
use parking_lot::Mutex;

use super::error::ApiError;
use super::state::AppState;
use crate::db::principals::{self, Principal, Role};
use crate::telemetry::names;

/// Verified tokens are remembered this long; a revocation takes effect within it.
const CACHE_TTL: Duration = Duration::from_secs(5);
const CACHE_MAX: usize = 10_000;
const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct AuthGuard {
    cache: Mutex<HashMap<String, (Instant, Option<Principal>)>>,
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl AuthGuard {
    /// Seconds to wait when `ip` has failed too often this minute.
    fn blocked(&self, ip: Option<IpAddr>, max: u32) -> Option<u64> {
        let ip = ip?;
        let f = self.failures.lock();
        let (start, n) = f.get(&ip)?;
        let elapsed = start.elapsed();
        (elapsed < WINDOW && *n >= max).then(|| (WINDOW - elapsed).as_secs().max(1))
    }

    fn failed(&self, ip: Option<IpAddr>) {
        metrics::counter!(names::AUTH_FAILURES).increment(1);
        let Some(ip) = ip else { return };
        let mut f = self.failures.lock();
        if f.len() > CACHE_MAX {
            f.retain(|_, (start, _)| start.elapsed() < WINDOW);
        }
        let e = f.entry(ip).or_insert((Instant::now(), 0));
        if e.0.elapsed() >= WINDOW {
            *e = (Instant::now(), 0);
        }
        e.1 += 1;
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
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let v = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty() && t.len() <= 256)
}

pub async fn authenticate(req: HttpRequest) -> Result<Principal, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
    let ip = req.peer_addr().map(|a| a.ip());
    let max = state.settings.auth.max_failures_per_minute;
    if let Some(wait) = state.auth.blocked(ip, max) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            "too many failed authentications; wait before trying again",
        )
        .retry_after(wait));
    }
    let Some(token) = bearer(&req) else {
        state.auth.failed(ip);
        return Err(ApiError::unauthenticated(
            "an 'Authorization: Bearer <token>' header is required",
        ));
    };
    let hash = principals::hash_token(&token);
    let found = match state.auth.cached(&hash) {
        Some(p) => p,
        None => {
            let db = state.db.clone();
            let p = db
                .with_read(move |c| principals::by_token(c, &token))
                .await?;
            state.auth.remember(hash, p.clone());
            p
        }
    };
    match found {
        Some(p) => Ok(p),
        None => {
            state.auth.failed(ip);
            Err(ApiError::unauthenticated(
                "the token is not valid or has been revoked",
            ))
        }
    }
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
