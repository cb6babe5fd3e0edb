//! Damage investigations over HTTP (contract §14): opened and edited by officers and operators
//! on a workflow, closed by operators, listed with filters. Every field of the closed
//! vocabularies is an enum in the OpenAPI document; a value outside it is a `422` naming the
//! field and every allowed value.

use actix_web::{HttpResponse, web};
use aegis_workflows::investigation::Draft;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::auth::{Officer, Operator};
use super::error::{ApiError, ErrorBody};
use super::openapi_names::{
    AtFaultName, EquipmentName, ExcavatorKindName, FacilityClassName, InvestigationKindName,
    InvestigationStateName, MarksName, MethodName, RootCauseGroupName, RootCauseName, WorkTypeName,
};
use crate::app::investigations::InvestigationQuery;
use crate::app::views::{InvestigationView, Page};
use crate::web::state::AppState;

/// The facility: its class, or one of the facilities the screening found (layer and feature).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FacilityBody {
    #[schema(value_type = Option<FacilityClassName>)]
    pub class: Option<String>,
    #[schema(max_length = 200)]
    pub layer: Option<String>,
    #[schema(max_length = 200)]
    pub feature_id: Option<String>,
}

/// An investigation's fields; on an edit, those given change and the rest stay.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvestigationBody {
    /// Required to open one.
    #[schema(value_type = Option<InvestigationKindName>)]
    pub kind: Option<String>,
    /// When it happened (RFC 3339); default now.
    pub occurred_at: Option<DateTime<Utc>>,
    /// Required to open one (its class, or a screened layer and feature).
    pub facility: Option<FacilityBody>,
    #[schema(value_type = Option<RootCauseName>)]
    pub root_cause: Option<String>,
    #[schema(value_type = Option<ExcavatorKindName>)]
    pub excavator_type: Option<String>,
    #[schema(max_length = 200)]
    pub excavator: Option<String>,
    #[schema(value_type = Option<EquipmentName>)]
    pub equipment: Option<String>,
    #[schema(value_type = Option<WorkTypeName>)]
    pub work_type: Option<String>,
    #[schema(value_type = Option<MethodName>)]
    pub method: Option<String>,
    #[schema(value_type = Option<MarksName>)]
    pub marks: Option<String>,
    #[schema(minimum = 0.0, maximum = 8784.0)]
    pub downtime_hours: Option<f64>,
    #[schema(minimum = 0.0, maximum = 1.0e9)]
    pub cost_usd: Option<f64>,
    #[schema(value_type = Option<AtFaultName>)]
    pub at_fault: Option<String>,
    #[schema(max_length = 8000)]
    pub narrative: Option<String>,
    /// On an edit: the version it was made from (a later change makes it a `409`).
    #[serde(default, deserialize_with = "whole_version")]
    #[schema(value_type = Option<u32>, minimum = 0, maximum = 4294967295u64)]
    pub version: Option<u32>,
}

impl InvestigationBody {
    fn draft(self) -> (Draft, Option<u32>) {
        let facility = self.facility.unwrap_or_default();
        let draft = Draft {
            kind: self.kind,
            occurred_at: self.occurred_at,
            facility_class: facility.class,
            facility_layer: facility.layer,
            facility_feature_id: facility.feature_id,
            root_cause: self.root_cause,
            excavator_type: self.excavator_type,
            excavator: self.excavator,
            equipment: self.equipment,
            work_type: self.work_type,
            method: self.method,
            marks: self.marks,
            downtime_hours: self.downtime_hours,
            cost_usd: self.cost_usd,
            at_fault: self.at_fault,
            narrative: self.narrative,
        };
        (draft, self.version)
    }
}

/// A version as JSON writes a whole number: `3` or `3.0` (JSON Schema's integers are both).
fn whole_version<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let n: Option<f64> = Option::deserialize(d)?;
    n.map(|n| {
        if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) {
            // Whole and in range: the cast keeps the value.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Ok(n as u32)
        } else {
            Err(serde::de::Error::custom("version is a whole number from 0"))
        }
    })
    .transpose()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct WorkflowPath {
    pub id: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct InvestigationPath {
    pub id: String,
    pub inv: String,
}

/// `POST /v1/admin/workflows/{id}/investigations`.
#[utoipa::path(post, path = "/v1/admin/workflows/{id}/investigations", tag = "investigations",
    params(WorkflowPath), request_body = InvestigationBody, security(("bearer" = [])),
    responses(
        (status = 201, description = "Opened, with what the ticket says prefilled", body = InvestigationView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such workflow", body = ErrorBody),
        (status = 422, description = "A field outside its vocabulary (each named, with the allowed values), or kind or facility missing", body = ErrorBody),
    ))]
pub async fn open(
    state: web::Data<AppState>,
    who: Officer,
    path: web::Path<WorkflowPath>,
    body: web::Json<InvestigationBody>,
) -> Result<HttpResponse, ApiError> {
    let (draft, _) = body.into_inner().draft();
    let view = state
        .app
        .open_investigation(&path.id, who.0.audit_name(), draft)
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// `GET /v1/admin/workflows/{id}/investigations`.
#[utoipa::path(get, path = "/v1/admin/workflows/{id}/investigations", tag = "investigations",
    params(WorkflowPath), security(("bearer" = [])),
    responses(
        (status = 200, description = "The workflow's investigations, oldest first", body = Vec<InvestigationView>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
    ))]
pub async fn of_workflow(
    state: web::Data<AppState>,
    _who: Officer,
    path: web::Path<WorkflowPath>,
) -> Result<HttpResponse, ApiError> {
    let list = state.app.workflow_investigations(&path.id).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// `PATCH /v1/admin/workflows/{id}/investigations/{inv}`.
#[utoipa::path(patch, path = "/v1/admin/workflows/{id}/investigations/{inv}", tag = "investigations",
    params(InvestigationPath), request_body = InvestigationBody, security(("bearer" = [])),
    responses(
        (status = 200, description = "Edited; each changed field is in the trail's investigation_changed", body = InvestigationView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such investigation on this workflow", body = ErrorBody),
        (status = 409, description = "Closed, or changed since the version given", body = ErrorBody),
        (status = 422, description = "A field outside its vocabulary", body = ErrorBody),
    ))]
pub async fn edit(
    state: web::Data<AppState>,
    who: Officer,
    path: web::Path<InvestigationPath>,
    body: web::Json<InvestigationBody>,
) -> Result<HttpResponse, ApiError> {
    let (draft, version) = body.into_inner().draft();
    state.app.investigation_on(&path.id, &path.inv).await?;
    let view = state
        .app
        .edit_investigation(&path.inv, who.0.audit_name(), draft, version)
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    /// The version it was read at (a later change makes it a `409`).
    #[serde(default, deserialize_with = "whole_version")]
    #[schema(value_type = Option<u32>, minimum = 0, maximum = 4294967295u64)]
    pub version: Option<u32>,
}

/// `POST /v1/admin/workflows/{id}/investigations/{inv}/close`.
#[utoipa::path(post, path = "/v1/admin/workflows/{id}/investigations/{inv}/close", tag = "investigations",
    params(InvestigationPath), request_body = CloseBody, security(("bearer" = [])),
    responses(
        (status = 200, description = "Closed", body = InvestigationView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "No such investigation on this workflow", body = ErrorBody),
        (status = 409, description = "Already closed, or changed since the version given", body = ErrorBody),
    ))]
pub async fn close(
    state: web::Data<AppState>,
    who: Operator,
    path: web::Path<InvestigationPath>,
    body: Option<web::Json<CloseBody>>,
) -> Result<HttpResponse, ApiError> {
    let version = body.and_then(|b| b.into_inner().version);
    state.app.investigation_on(&path.id, &path.inv).await?;
    let view = state
        .app
        .close_investigation(&path.inv, who.0.audit_name(), who.0.role, version)
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    #[param(value_type = Option<InvestigationStateName>)]
    pub state: Option<String>,
    #[param(value_type = Option<InvestigationKindName>)]
    pub kind: Option<String>,
    pub center: Option<String>,
    #[param(value_type = Option<RootCauseGroupName>)]
    pub root_cause_group: Option<String>,
    /// Occurred at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Occurred before (RFC 3339).
    pub until: Option<DateTime<Utc>>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^[0-9]{1,18}\.[0-9a-f-]{1,36}$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
}

/// `GET /v1/admin/investigations`.
#[utoipa::path(get, path = "/v1/admin/investigations", tag = "investigations",
    params(ListQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "Newest occurrence first, a page at a time", body = Page<InvestigationView>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 422, description = "A filter outside its vocabulary", body = ErrorBody),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    _who: Officer,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let page = state
        .app
        .investigations(&InvestigationQuery {
            state: q.state,
            kind: q.kind,
            center: q.center,
            root_cause_group: q.root_cause_group,
            from: q.from,
            until: q.until,
            cursor: q.cursor,
            limit: q.limit,
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
