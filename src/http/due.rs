//! `GET /v1/admin/due?within=SECONDS` (contract §9): tickets without a posted response to the
//! call center that are due within the window, overdue first.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::auth::Operator;
use super::error::{ApiError, ErrorBody};
use crate::app::views::DueItem;
use crate::web::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DueQuery {
    /// Seconds from now; default `due.warn_before_secs`.
    #[param(minimum = 0, maximum = 2592000)]
    pub within: Option<u64>,
}

#[utoipa::path(get, path = "/v1/admin/due", tag = "operators", params(DueQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Tickets due, overdue first (at most 500)", body = Vec<DueItem>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 422, description = "`within` out of range", body = ErrorBody),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    _who: Operator,
    q: web::Query<DueQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.app.due(q.within).await?))
}
