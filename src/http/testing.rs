//! Test-only endpoints, mounted only when `testing.manual_clock` is on.

use actix_web::{HttpResponse, web};
use chrono::TimeDelta;
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use crate::web::state::AppState;

#[derive(Debug, Deserialize)]
pub struct Advance {
    pub seconds: i64,
}

/// `POST /v1/testing/clock` `{"seconds": n}`: moves the manual clock and wakes the timers.
pub async fn advance_clock(
    state: web::Data<AppState>,
    body: web::Json<Advance>,
) -> Result<HttpResponse, ApiError> {
    let now = state
        .app
        .advance_clock(TimeDelta::seconds(body.seconds))
        .ok_or_else(|| ApiError::not_found("route"))?;
    Ok(HttpResponse::Ok().json(json!({ "now": now })))
}
