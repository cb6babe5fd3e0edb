//! Test-only endpoints, mounted only when `testing.manual_clock` is on.

use actix_web::{HttpResponse, web};
use chrono::TimeDelta;
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::state::AppState;

#[derive(Debug, Deserialize)]
pub struct Advance {
    pub seconds: i64,
}

/// `POST /v1/testing/clock` `{"seconds": n}`: moves the manual clock and wakes the timers.
pub async fn advance_clock(
    state: web::Data<AppState>,
    body: web::Json<Advance>,
) -> Result<HttpResponse, ApiError> {
    let clock = state
        .manual_clock
        .as_ref()
        .ok_or_else(|| ApiError::not_found("route"))?;
    let now = clock.advance(TimeDelta::seconds(body.seconds));
    state.runtime.deps.signals.timers.notify_one();
    Ok(HttpResponse::Ok().json(json!({ "now": now })))
}
