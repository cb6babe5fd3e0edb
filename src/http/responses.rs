//! Positive response set-up and requests (contract §9), for operators: a center's
//! PositiveResponse API (password stored, never shown), the disposition → locate code mapping
//! (checked against the center's active codes), and an explicit response for a workflow.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use aegis_workflows::Problem;
use aegis_workflows::positive_response::{check_mapping, is_active};
use serde::{Deserialize, Serialize};

use super::auth::Operator;
use super::error::ApiError;
use super::openapi::ErrorBody;
use super::state::AppState;
use crate::db::read;
use crate::db::response_apis::{self, ApiView, ResponseApi};

const MAX_FIELD: usize = 256;
const MAX_NOTE: usize = 1_000;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CenterPath {
    /// The center's code.
    pub code: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseApiBody {
    /// The PositiveResponse server's root URL, as the center gave it.
    #[schema(format = "uri", max_length = 256)]
    pub url: String,
    #[schema(min_length = 1, max_length = 256)]
    pub username: String,
    /// Stored for posting; never shown again or logged.
    #[schema(min_length = 1, max_length = 256)]
    pub password: String,
    /// The member's station code at the center.
    #[schema(min_length = 1, max_length = 256)]
    pub station: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResponseApiAnswer {
    #[serde(flatten)]
    pub api: ApiView,
    /// Why the code list could not be fetched just now, if it could not (the last list stays).
    pub locate_codes_error: Option<String>,
}

fn text_problems(body: &ResponseApiBody) -> Vec<Problem> {
    let mut out = Vec::new();
    for (field, v) in [
        ("username", &body.username),
        ("password", &body.password),
        ("station", &body.station),
    ] {
        if v.trim().is_empty() {
            out.push(Problem::new(
                field,
                "required",
                format!("{field} is required"),
            ));
        } else if v.chars().count() > MAX_FIELD {
            out.push(Problem::new(
                field,
                "out_of_range",
                format!("{field} is longer than {MAX_FIELD} characters"),
            ));
        }
    }
    match reqwest::Url::parse(&body.url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && body.url.len() <= MAX_FIELD => {}
        _ => out.push(Problem::new(
            "url",
            "invalid_format",
            "url must be an http or https URL",
        )),
    }
    out
}

async fn known_center(state: &AppState, code: &str) -> Result<(), ApiError> {
    super::webhooks::center_of(state, code).await.map(|_| ())
}

async fn view(state: &AppState, code: &str) -> Result<Option<ApiView>, ApiError> {
    let key = code.to_owned();
    Ok(state
        .db
        .with_read(move |c| response_apis::view(c, &key))
        .await?)
}

/// Fetches the center's code list now; why not, when it could not be.
async fn refresh_codes(state: &AppState, code: &str) -> Option<String> {
    crate::positive_response::codes::refresh(
        &state.responder,
        &state.db,
        &state.store,
        code,
        state.clock.now(),
    )
    .await
    .err()
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
        (status = 422, description = "A field is missing or malformed", body = ErrorBody),
    ))]
pub async fn put_api(
    state: web::Data<AppState>,
    who: Operator,
    path: web::Path<CenterPath>,
    body: web::Json<ResponseApiBody>,
) -> Result<HttpResponse, ApiError> {
    let code = path.into_inner().code;
    let body = body.into_inner();
    let problems = text_problems(&body);
    if !problems.is_empty() {
        return Err(ApiError::problems(&problems));
    }
    known_center(&state, &code).await?;
    let api = ResponseApi {
        center: code.clone(),
        url: body.url,
        username: body.username,
        password: body.password,
        station: body.station,
    };
    let now = state.clock.now();
    state
        .store
        .writer()
        .run(move |tx| response_apis::put_api(tx, &api, now))
        .await?;
    tracing::info!(by = %who.0.audit_name(), center = %code, "positive-response API set");
    let locate_codes_error = refresh_codes(&state, &code).await;
    let api = view(&state, &code)
        .await?
        .ok_or_else(|| ApiError::internal("the response API just set is gone"))?;
    Ok(HttpResponse::Ok().json(ResponseApiAnswer {
        api,
        locate_codes_error,
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
    let code = path.into_inner().code;
    let v = view(&state, &code)
        .await?
        .ok_or_else(|| ApiError::not_found("response API"))?;
    Ok(HttpResponse::Ok().json(v))
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
    body: web::Json<BTreeMap<String, String>>,
) -> Result<HttpResponse, ApiError> {
    let code = path.into_inner().code;
    let mapping = body.into_inner();
    let key = code.clone();
    let has_api = state
        .db
        .with_read(move |c| response_apis::api(c, &key))
        .await?
        .is_some();
    if !has_api {
        return Err(ApiError::not_found("response API"));
    }
    let key = code.clone();
    let (mut list, _) = state
        .db
        .with_read(move |c| response_apis::locate_codes(c, &key))
        .await?;
    if list.is_empty() {
        // Never fetched (the center was down when its API was set): try once more now.
        if let Some(e) = refresh_codes(&state, &code).await {
            tracing::warn!(center = %code, error = %e, "locate codes could not be fetched");
        }
        let key = code.clone();
        list = state
            .db
            .with_read(move |c| response_apis::locate_codes(c, &key))
            .await?
            .0;
    }
    let checked = check_mapping(&mapping, &list).map_err(|p| ApiError::problems(&p))?;
    let (key, stored) = (code.clone(), checked.clone());
    state
        .store
        .writer()
        .run(move |tx| response_apis::put_codes(tx, &key, &stored))
        .await?;
    tracing::info!(by = %who.0.audit_name(), center = %code, codes = checked.len(), "response codes set");
    let answer: BTreeMap<&str, &String> = checked.iter().map(|(d, c)| (d.as_str(), c)).collect();
    Ok(HttpResponse::Ok().json(answer))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RespondBody {
    /// One of the center's active locate codes.
    #[schema(min_length = 1, max_length = 64)]
    pub code: String,
    /// Sent to the center as the response's reason.
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

/// `POST /v1/admin/workflows/{id}/respond`: an operator's explicit response to the center,
/// posted durably (the answer says it is pending; the read-back follows it).
#[utoipa::path(post, path = "/v1/admin/workflows/{id}/respond", tag = "operators", params(("id" = String, Path)), request_body = RespondBody,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued for posting", body = read::responses::ResponseView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "No such workflow", body = ErrorBody),
        (status = 409, description = "The center has no response API", body = ErrorBody),
        (status = 422, description = "Not an active locate code of the center, or a note too long", body = ErrorBody),
    ))]
pub async fn respond(
    state: web::Data<AppState>,
    who: Operator,
    id: web::Path<String>,
    body: web::Json<RespondBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let latest = respond_for(
        &state,
        id.into_inner(),
        who.0.audit_name(),
        body.code,
        body.note,
    )
    .await?;
    Ok(HttpResponse::Accepted().json(latest))
}

/// Queues `by`'s explicit response for a workflow (the API and the console): the note's
/// length, the workflow, the center's API and the code's being active are checked first.
pub async fn respond_for(
    state: &AppState,
    id: String,
    by: String,
    code: String,
    note: Option<String>,
) -> Result<read::responses::ResponseView, ApiError> {
    if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE) {
        return Err(ApiError::invalid(
            "note",
            format!("note is longer than {MAX_NOTE} characters"),
        ));
    }
    let key = id.clone();
    let wf = state
        .db
        .with_read(move |c| read::workflow_detail(c, &key))
        .await?
        .ok_or_else(|| ApiError::not_found("workflow"))?;
    let center = wf.center.clone();
    let (api, (list, _)) = state
        .db
        .with_read(move |c| {
            Ok((
                response_apis::api(c, &center)?,
                response_apis::locate_codes(c, &center)?,
            ))
        })
        .await?;
    if api.is_none() {
        return Err(ApiError::conflict(
            "NO_RESPONSE_API",
            format!(
                "center '{}' has no positive-response API configured",
                wf.center
            ),
        ));
    }
    if !is_active(&code, &list) {
        return Err(ApiError::invalid(
            "code",
            format!(
                "'{code}' is not an active locate code of center '{}'",
                wf.center
            ),
        ));
    }
    let note = note.filter(|n| !n.trim().is_empty());
    super::commands::run(
        state,
        &id,
        aegis_actors::Command::Respond { by, code, note },
    )
    .await?;
    let key = id.clone();
    state
        .db
        .with_read(move |c| read::responses::latest(c, &key))
        .await?
        .ok_or_else(|| ApiError::internal("the response just queued is gone"))
}
