//! A center's PositiveResponse API set up by operators (contract §9): where it is and the
//! member's account (password stored, never shown), and the disposition → locate code mapping
//! (checked against the center's active codes) — `app::response_api` over JSON.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::auth::Operator;
use super::error::{ApiError, ErrorBody};
use crate::app::patterns::{NON_BLANK, URL, shape};
use crate::app::response_api::ResponseApiInput;
use crate::app::views::ApiView;
use crate::web::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CenterPath {
    /// The center's code.
    pub code: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseApiBody {
    /// The PositiveResponse server's root URL, as the center gave it (no query or fragment).
    #[schema(
        max_length = 256,
        pattern = r"^https?://(((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])|([A-Za-z0-9-]{1,63}\.){0,8}[A-Za-z][A-Za-z0-9-]{0,62})(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(/[A-Za-z0-9._~/-]{0,512})?$"
    )]
    pub url: String,
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"[^\t\n\v\f\r \u001c-\u001f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
    )]
    pub username: String,
    /// Stored for posting; never shown again or logged. `********` (what a read shows) keeps
    /// the stored password.
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"[^\t\n\v\f\r \u001c-\u001f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
    )]
    pub password: String,
    /// The member's station code at the center.
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"[^\t\n\v\f\r \u001c-\u001f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
    )]
    pub station: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResponseApiAnswer {
    #[serde(flatten)]
    pub api: ApiView,
    /// Why the code list could not be fetched just now, if it could not (the last list stays).
    pub locate_codes_error: Option<String>,
}

/// `PUT /v1/admin/centers/{code}/response-api`: sets the center's PositiveResponse API and
/// fetches its locate codes.
#[utoipa::path(put, path = "/v1/admin/centers/{code}/response-api", tag = "operators", params(CenterPath), request_body = ResponseApiBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Set (password masked); the code list as fetched", body = ResponseApiAnswer),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "No such center", body = ErrorBody),
        (status = 422, description = "A field is missing or malformed; beyond the schema, a URL whose host is on a loopback, private, link-local or unique-local network (contract §13) unless `outbound.allow_private_networks` is set", body = ErrorBody),
    ))]
pub async fn put_api(
    state: web::Data<AppState>,
    who: Operator,
    path: web::Path<CenterPath>,
    body: crate::http::optional_json::Object<ResponseApiBody>,
) -> Result<HttpResponse, ApiError> {
    let code = path.into_inner().code;
    let body = body.into_inner();
    let shaped: Vec<_> = [
        shape("url", &body.url, URL),
        shape("username", &body.username, NON_BLANK),
        shape("password", &body.password, NON_BLANK),
        shape("station", &body.station, NON_BLANK),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !shaped.is_empty() {
        return Err(ApiError::problems(&shaped));
    }
    let input = ResponseApiInput {
        url: body.url,
        username: body.username,
        password: body.password,
        station: body.station,
    };
    let set = state
        .app
        .set_response_api(&code, input, &who.0.audit_name())
        .await?;
    Ok(HttpResponse::Ok().json(ResponseApiAnswer {
        api: set.api,
        locate_codes_error: set.locate_codes_error,
    }))
}

/// `GET /v1/admin/centers/{code}/response-api`: the set-up, password masked.
#[utoipa::path(get, path = "/v1/admin/centers/{code}/response-api", tag = "operators", params(CenterPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The set-up (password masked)", body = ApiView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "The center has no response API", body = ErrorBody),
    ))]
pub async fn get_api(
    state: web::Data<AppState>,
    _who: Operator,
    path: web::Path<CenterPath>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.app.response_api(&path.code).await?))
}

/// `PUT /v1/admin/centers/{code}/response-codes`: which locate code each disposition posts.
#[utoipa::path(put, path = "/v1/admin/centers/{code}/response-codes", tag = "operators", params(CenterPath),
    request_body(content = BTreeMap<String, String>, description = "disposition → locate code"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The mapping as stored", body = BTreeMap<String, String>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "The center has no response API", body = ErrorBody),
        (status = 422, description = "Not a disposition, or a code the center does not list as active", body = ErrorBody),
    ))]
pub async fn put_codes(
    state: web::Data<AppState>,
    who: Operator,
    path: web::Path<CenterPath>,
    body: crate::http::optional_json::Object<BTreeMap<String, String>>,
) -> Result<HttpResponse, ApiError> {
    let code = path.into_inner().code;
    let checked = state
        .app
        .set_response_codes(&code, body.into_inner(), &who.0.audit_name())
        .await?;
    let answer: BTreeMap<&str, &String> = checked.iter().map(|(d, c)| (d.as_str(), c)).collect();
    Ok(HttpResponse::Ok().json(answer))
}
