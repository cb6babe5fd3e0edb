//! `GET /v1/reports/{name}` (contract §15): a report as JSON, or its rows as CSV with
//! `Accept: text/csv` or a `.csv` suffix on the name. Officers and operators.

use actix_web::http::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::auth::Officer;
use super::error::{ApiError, ErrorBody};
use crate::app::reports::{Report, ReportQuery};
use crate::web::state::AppState;

/// A report's name, with `.csv` for its rows as CSV.
pub struct ReportName;

impl utoipa::PartialSchema for ReportName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let names = crate::app::reports::NAMES
            .iter()
            .flat_map(|n| [(*n).to_owned(), format!("{n}.csv")]);
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(names))
            .into()
    }
}

impl utoipa::ToSchema for ReportName {}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ReportPath {
    #[param(value_type = ReportName)]
    pub name: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReportParams {
    /// Start of the period, inclusive (RFC 3339; default a year before `until`).
    pub from: Option<DateTime<Utc>>,
    /// End of the period, exclusive (RFC 3339; default now).
    pub until: Option<DateTime<Utc>>,
    /// One center's tickets only.
    pub center: Option<String>,
    /// Rows per day, week (from Monday) or month (default).
    #[param(value_type = Option<String>, pattern = "^(day|week|month)$")]
    pub bucket: Option<String>,
    /// `damage-rate` only: rows per excavator (a scorecard), root-cause group, work type,
    /// method or facility class instead of per bucket of time.
    #[param(value_type = Option<String>, pattern = "^(excavator|root_cause_group|work_type|method|facility_class)$")]
    pub by: Option<String>,
    /// `phmsa-part-d` only: the calendar year (default last year).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// The IANA zone days are counted in (default UTC).
    #[param(value_type = Option<String>, pattern = "^[A-Za-z0-9_+-]{1,32}(/[A-Za-z0-9_+-]{1,32}){0,2}$")]
    pub tz: Option<String>,
}

/// `GET /v1/reports/{name}`.
#[utoipa::path(get, path = "/v1/reports/{name}", tag = "reports",
    params(ReportPath, ReportParams), security(("bearer" = [])),
    responses(
        (status = 200, description = "The report: rows under named columns, the denominator of every rate, totals (JSON); or its rows as CSV",
            content((Report = "application/json"), (String = "text/csv"))),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such report", body = ErrorBody),
        (status = 422, description = "A period backwards or longer than three years, an unknown bucket, `by`, zone or year", body = ErrorBody),
    ))]
pub async fn report(
    state: web::Data<AppState>,
    req: HttpRequest,
    _who: Officer,
    path: web::Path<ReportPath>,
    q: web::Query<ReportParams>,
) -> Result<HttpResponse, ApiError> {
    let (name, csv_suffix) = match path.name.strip_suffix(".csv") {
        Some(n) => (n.to_owned(), true),
        None => (path.name.clone(), false),
    };
    let wants_csv = csv_suffix
        || req
            .headers()
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv"));
    let q = q.into_inner();
    let report = state
        .app
        .report(
            &name,
            &ReportQuery {
                from: q.from,
                until: q.until,
                center: q.center,
                bucket: q.bucket,
                by: q.by,
                year: q.year,
                tz: q.tz,
            },
        )
        .await?;
    if wants_csv {
        let body = report
            .csv()
            .map_err(|e| ApiError::internal(format!("writing the CSV: {e}")))?;
        return Ok(HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
            .insert_header((
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"aegis-{name}.csv\""),
            ))
            .body(body));
    }
    Ok(HttpResponse::Ok().json(report))
}
