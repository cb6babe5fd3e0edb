//! The OpenAPI 3.1 document, generated from the handlers' annotations and served at
//! `/openapi.json`.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// The answers every route of a kind can give, whatever its handler says: they come from the
/// shared layers (authentication, body and query extraction, the database, the router), so
/// they are added here once instead of on each handler, and the document stays truthful.
struct CommonAnswers;

fn error_response(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build(),
    )
}

fn add(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| error_response(description));
}

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let api = path.starts_with("/v1/");
            for op in [
                item.get.as_mut(),
                item.post.as_mut(),
                item.put.as_mut(),
                item.patch.as_mut(),
                item.delete.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                let params = op.parameters.iter().flatten();
                let (mut in_path, mut in_query) = (false, false);
                for p in params {
                    if let RefOr::T(p) = p {
                        in_path |= p.parameter_in == ParameterIn::Path;
                        in_query |= p.parameter_in == ParameterIn::Query;
                    }
                }
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    add(op, "401", "Not authenticated");
                    add(
                        op,
                        "429",
                        "Too many failed authentications from this address or with this token prefix",
                    );
                }
                if op.request_body.is_some() {
                    add(op, "400", "The body is not JSON");
                    add(
                        op,
                        "408",
                        "The body did not arrive within http.body_read_timeout_ms",
                    );
                    add(op, "413", "The body is too large");
                    add(op, "415", "The body is not 'application/json'");
                    // A center's ticket that does not fit is accepted and kept (it may end
                    // rejected), never answered 422.
                    if !path.starts_with("/v1/webhooks/") {
                        add(op, "422", "The body does not fit");
                    }
                }
                if in_path {
                    add(op, "404", "No such resource");
                }
                if in_query {
                    add(op, "422", "A query parameter does not parse");
                }
                if api {
                    add(op, "500", "Something went wrong; it has been logged");
                    add(
                        op,
                        "503",
                        "Aegis or its database is busy or unavailable; try again (Retry-After)",
                    );
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Aegis", version = "1", description = "811 locate ticket intake, risk scoring, alerting and audit (contract v1)."),
    paths(
        super::webhooks::native_webhook,
        super::webhooks::onecall_webhook,
        super::webhooks::openticket_webhook,
        super::alerts::list,
        super::alerts::stream,
        super::alerts::get,
        super::alerts::ack,
        super::alerts::resolve,
        super::outcomes::record,
        super::admin::workflows,
        super::admin::workflow,
        super::admin::retry,
        super::admin::cancel,
        super::admin::dead_letters,
        super::admin::redrive,
        super::admin::dismiss,
        super::summaries::summary,
        super::summaries::list,
        super::due::list,
        super::summaries::gaps,
        super::admin::respond,
        super::response_api::get_api,
        super::response_api::put_api,
        super::response_api::put_codes,
        super::facilities::put_layer,
        super::facilities::list_layers,
        super::facilities::get_layer,
        super::facilities::retire_layer,
        super::facilities::reactivate_layer,
        super::facilities::put_coverage,
        super::facilities::get_coverage,
        super::facilities::put_auto_clear,
        super::admin::actors,
        super::admin::model,
        super::admin::reload_model,
        super::admin::model_quality,
        super::admin::stats,
        super::people::users,
        super::people::user,
        super::people::set_channels,
        super::people::rosters,
        super::people::put_roster,
        super::ack_links::show,
        super::ack_links::confirm,
        super::investigations::open,
        super::investigations::of_workflow,
        super::investigations::edit,
        super::investigations::close,
        super::investigations::list,
        super::reports::report,
        super::health::healthz,
        super::health::readyz,
        super::health::metrics,
        openapi_json,
    ),
    components(schemas(
        super::error::ErrorBody,
        super::error::ErrorDetail,
        super::webhooks::OpenTicketErrors,
        crate::formats::openticket::ErrorItem,
        super::openapi_names::StateName,
        super::openapi_names::BandName,
        super::openapi_names::ScreeningName,
        super::openapi_names::ClearableTypeName,
        super::openapi_names::AlertStateName,
        super::openapi_names::AlertOrderName,
        crate::app::queue::QueueItem,
        crate::app::queue::PriorityView,
        crate::app::queue::RowWords,
        super::openapi_names::DispositionName,
        super::openapi_names::DeadLetterKindName,
        super::openapi_names::FacilityName,
        super::openapi_names::FacilityClassName,
        super::facilities::AttrPair,
        super::facilities::CoverageGeometry,
        super::people::ChannelBody,
        super::people::ChannelView,
        super::people::UserNameSchema,
        super::openapi_names::InvestigationKindName,
        super::openapi_names::InvestigationStateName,
        super::openapi_names::RootCauseName,
        super::openapi_names::RootCauseGroupName,
        super::openapi_names::ExcavatorKindName,
        super::openapi_names::EquipmentName,
        super::openapi_names::WorkTypeName,
        super::openapi_names::MarksName,
        super::openapi_names::AtFaultName,
        super::openapi_names::MethodName,
        super::reports::ReportName,
    )),
    modifiers(&Bearer, &CommonAnswers),
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", responses((status = 200, description = "This document")))]
pub async fn openapi_json() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(ApiDoc::openapi())
}
