//! Facility layers, coverage and automatic clearing over HTTP (contract §10): a layer file as
//! the body of a `PUT` (GeoJSON, a zipped shapefile or a GeoPackage, by its media type), the
//! reading options in the query — `app::facilities` does the rest.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use super::auth::Operator;
use super::body::{media_type, read_body};
use super::error::{ApiError, ErrorBody};
use crate::app::facilities::{AutoClearInput, FacilitiesError, ImportLayer, type_name};
use crate::app::views::LayerView;
use crate::facilities::gis_file::Format;
use crate::web::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct LayerPath {
    /// The layer's name: lower-case letters, digits, `_` and `-`.
    #[param(pattern = r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    pub name: String,
}

/// `known=column`: an attribute Aegis knows and the file's column that holds it.
pub struct AttrPair;

impl PartialSchema for AttrPair {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(crate::app::patterns::ATTR))
            .into()
    }
}

impl ToSchema for AttrPair {}

/// How to read the file (all optional; a new layer needs `class`). A CRS PROJ does not know,
/// a source layer the file does not hold and a `close_ft` below `buffer_ft` are refused
/// (`422`) by what no schema can say.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LayerQuery {
    #[param(value_type = Option<super::openapi_names::FacilityClassName>)]
    pub class: Option<String>,
    /// The tolerance zone in feet: a facility within it is a conflict.
    #[param(minimum = 0, maximum = 5280)]
    pub buffer_ft: Option<f64>,
    /// Within this many feet a ticket is close (never below `buffer_ft`; default 250).
    #[param(minimum = 0, maximum = 5280)]
    pub close_ft: Option<f64>,
    /// The file's CRS when it declares none, or to override a wrong one (`EPSG:2227`).
    pub crs: Option<String>,
    /// The layer of the file to read when it holds several.
    pub source_layer: Option<String>,
    /// `known=column`, repeated: the file's column for `id`, `material`, `diameter`,
    /// `pressure`, `voltage`, `install_year`, `owner` or `critical`.
    #[param(value_type = Option<Vec<AttrPair>>)]
    pub attr: Option<String>,
}

/// The query, read by hand: `attr` repeats, which the typed extractor does not take.
fn layer_query(query: &str) -> Result<(LayerQuery, Vec<String>), ApiError> {
    let mut q = LayerQuery::default();
    let mut attrs = Vec::new();
    let number = |key: &str, v: &str| {
        v.trim()
            .parse::<f64>()
            .map_err(|_| ApiError::invalid(key, format!("{key} is a number of feet, not `{v}`")))
    };
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "class" => q.class = Some(v.into_owned()),
            "buffer_ft" => q.buffer_ft = Some(number("buffer_ft", &v)?),
            "close_ft" => q.close_ft = Some(number("close_ft", &v)?),
            "crs" => q.crs = Some(v.into_owned()),
            "source_layer" => q.source_layer = Some(v.into_owned()),
            "attr" => attrs.push(v.into_owned()),
            other => {
                return Err(ApiError::invalid(
                    other,
                    format!("`{other}` is not a parameter of an import"),
                ));
            }
        }
    }
    Ok((q, attrs))
}

/// `PUT /v1/admin/facility-layers/{name}`: imports the body as the layer's next version.
#[utoipa::path(put, path = "/v1/admin/facility-layers/{name}", tag = "operators", params(LayerPath, LayerQuery),
    request_body(description = "The layer file: RFC 7946 GeoJSON, a zipped shapefile with its .prj, or a GeoPackage",
        content(
            (Vec<u8> = "application/geo+json"),
            (Vec<u8> = "application/zip"),
            (Vec<u8> = "application/geopackage+sqlite3"),
        )),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Imported: the layer with its new version, now screening", body = LayerView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 408, description = "The file did not arrive in time; nothing changed", body = ErrorBody),
        (status = 415, description = "Not one of the three formats", body = ErrorBody),
        (status = 409, description = "`IMPORT_RUNNING`: another import is running on this node; send again after Retry-After. Nothing changed", body = ErrorBody),
        (status = 422, description = "The file or a parameter is wrong (every unreadable feature listed; beyond the schema, a CRS PROJ does not know, a source layer the file lacks, `close_ft` below `buffer_ft`); the previous version keeps screening", body = ErrorBody),
        (status = 503, description = "The database is unavailable; nothing changed", body = ErrorBody),
    ))]
pub async fn put_layer(
    state: web::Data<AppState>,
    who: Operator,
    path: web::Path<LayerPath>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let Some(format) = Format::from_media_type(&media_type(&req)) else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the layer as application/geo+json, application/zip (a zipped shapefile) or application/geopackage+sqlite3",
        ));
    };
    let (query, attrs) = layer_query(req.query_string())?;
    let settings = state.app.settings();
    let max = settings.facilities.max_bytes;
    let timeout = Duration::from_millis(settings.facilities.read_timeout_ms);
    let bytes = match read_body(payload, &req, max, timeout).await {
        Ok(b) => b,
        Err(e) if e.status == StatusCode::PAYLOAD_TOO_LARGE => {
            let size = req
                .headers()
                .get(actix_web::http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(max + 1);
            let mut refused: ApiError = FacilitiesError::TooLarge { size, max }.into();
            refused.close = e.close;
            return Err(refused);
        }
        Err(e) => return Err(e),
    };
    let view = state
        .app
        .import_layer(ImportLayer {
            name: path.into_inner().name,
            class: query.class,
            buffer_ft: query.buffer_ft,
            close_ft: query.close_ft,
            crs: query.crs,
            source_layer: query.source_layer,
            attrs,
            format,
            bytes: bytes.to_vec(),
            by: who.0.audit_name(),
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LayerList {
    pub layers: Vec<LayerView>,
}

/// `GET /v1/admin/facility-layers`: every layer, retired ones too.
#[utoipa::path(get, path = "/v1/admin/facility-layers", tag = "operators",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every layer with the version that screens", body = LayerList),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
    ))]
pub async fn list_layers(
    state: web::Data<AppState>,
    _who: Operator,
) -> Result<HttpResponse, ApiError> {
    let layers = state.app.facility_layers().await?;
    Ok(HttpResponse::Ok().json(LayerList { layers }))
}

/// `GET /v1/admin/facility-layers/{name}`: the layer and its import history.
#[utoipa::path(get, path = "/v1/admin/facility-layers/{name}", tag = "operators", params(LayerPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The layer with every version", body = LayerView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "No such layer", body = ErrorBody),
    ))]
pub async fn get_layer(
    state: web::Data<AppState>,
    _who: Operator,
    path: web::Path<LayerPath>,
) -> Result<HttpResponse, ApiError> {
    let view = state.app.facility_layer(&path.name).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `DELETE /v1/admin/facility-layers/{name}`: retires the layer (its versions are kept).
#[utoipa::path(delete, path = "/v1/admin/facility-layers/{name}", tag = "operators", params(LayerPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Retired: it no longer screens", body = LayerView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "No such layer", body = ErrorBody),
    ))]
pub async fn retire_layer(
    state: web::Data<AppState>,
    who: Operator,
    path: web::Path<LayerPath>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .app
        .retire_layer(&path.name, &who.0.audit_name())
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /v1/admin/facility-layers/{name}/reactivate`: a retired layer screens again with its
/// last version; an active layer is answered as it is.
#[utoipa::path(post, path = "/v1/admin/facility-layers/{name}/reactivate", tag = "operators", params(LayerPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Active: its last version screens again on every node", body = LayerView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "No such layer", body = ErrorBody),
    ))]
pub async fn reactivate_layer(
    state: web::Data<AppState>,
    who: Operator,
    path: web::Path<LayerPath>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .app
        .reactivate_layer(&path.name, &who.0.audit_name())
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The largest coverage body read: a member's service territory may have tens of thousands of
/// vertices, far beyond the 64 KiB of the other JSON bodies.
pub const COVERAGE_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// A GeoJSON Polygon or MultiPolygon (RFC 7946) in WGS 84: each ring at least four positions
/// of longitude and latitude. A ring that does not close or crosses itself fits this schema
/// and is refused (`422`): no schema can say it.
pub struct CoverageGeometry;

impl PartialSchema for CoverageGeometry {
    fn schema() -> RefOr<Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, OneOfBuilder};
        let number = |min: f64, max: f64| {
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .minimum(Some(min))
                .maximum(Some(max))
        };
        // [longitude, latitude]: each position's first item within ±180, its second ±90.
        let position = || {
            ArrayBuilder::new()
                .items(number(-180.0, 180.0))
                .prefix_items([number(-180.0, 180.0), number(-90.0, 90.0)])
                .min_items(Some(2))
                .max_items(Some(2))
        };
        let polygon = || {
            let ring = ArrayBuilder::new().items(position()).min_items(Some(4));
            ArrayBuilder::new().items(ring).min_items(Some(1))
        };
        let shape = |kind: &str, coordinates: ArrayBuilder| {
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property(
                    "type",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some([kind])),
                )
                .property("coordinates", coordinates)
                .required("type")
                .required("coordinates")
        };
        OneOfBuilder::new()
            .item(shape("Polygon", polygon()))
            .item(shape(
                "MultiPolygon",
                ArrayBuilder::new().items(polygon()).min_items(Some(1)),
            ))
            .into()
    }
}

impl ToSchema for CoverageGeometry {}

/// The mapped coverage: a GeoJSON Polygon or MultiPolygon in WGS 84, or `null` for the
/// layers' extents.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoverageBody {
    #[schema(value_type = Option<CoverageGeometry>)]
    pub geometry: Option<serde_json::Value>,
}

/// `PUT /v1/admin/facility-coverage`: where the member's map is complete; a dig area outside
/// it is screened `unknown`.
#[utoipa::path(put, path = "/v1/admin/facility-coverage", tag = "operators", request_body = CoverageBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Set", body = CoverageBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 413, description = "Larger than 8 MiB", body = ErrorBody),
        (status = 422, description = "Not a valid Polygon or MultiPolygon in WGS 84: beyond the schema, a ring that does not close or crosses itself", body = ErrorBody),
    ))]
pub async fn put_coverage(
    state: web::Data<AppState>,
    who: Operator,
    body: crate::http::optional_json::Object<CoverageBody>,
) -> Result<HttpResponse, ApiError> {
    let geometry = body.into_inner().geometry;
    state
        .app
        .set_facility_coverage(geometry, &who.0.audit_name())
        .await?;
    let geometry = state.app.facility_coverage().await?;
    Ok(HttpResponse::Ok().json(CoverageBody { geometry }))
}

/// `GET /v1/admin/facility-coverage`: the coverage set, or `null`.
#[utoipa::path(get, path = "/v1/admin/facility-coverage", tag = "operators",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The coverage (null: the layers' extents)", body = CoverageBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
    ))]
pub async fn get_coverage(
    state: web::Data<AppState>,
    _who: Operator,
) -> Result<HttpResponse, ApiError> {
    let geometry = state.app.facility_coverage().await?;
    Ok(HttpResponse::Ok().json(CoverageBody { geometry }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CenterPath {
    /// The center's code.
    pub code: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoClearBody {
    pub enabled: bool,
    /// The types cleared automatically (none: nothing is cleared).
    #[serde(default)]
    #[schema(value_type = Vec<super::openapi_names::ClearableTypeName>)]
    pub ticket_types: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AutoClearView {
    pub center: String,
    pub enabled: bool,
    pub ticket_types: Vec<String>,
}

/// `PUT /v1/admin/centers/{code}/auto-clear`: tickets of the listed types screened `clear`
/// are resolved `no_conflict` without a person.
#[utoipa::path(put, path = "/v1/admin/centers/{code}/auto-clear", tag = "operators", params(CenterPath), request_body = AutoClearBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Set", body = AutoClearView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "No such center", body = ErrorBody),
        (status = 422, description = "A ticket type that is never cleared automatically", body = ErrorBody),
    ))]
pub async fn put_auto_clear(
    state: web::Data<AppState>,
    who: Operator,
    path: web::Path<CenterPath>,
    body: crate::http::optional_json::Object<AutoClearBody>,
) -> Result<HttpResponse, ApiError> {
    let code = path.into_inner().code;
    let body = body.into_inner();
    let policy = state
        .app
        .set_auto_clear(
            &code,
            AutoClearInput {
                enabled: body.enabled,
                ticket_types: body.ticket_types,
            },
            &who.0.audit_name(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(AutoClearView {
        center: code,
        enabled: policy.enabled,
        ticket_types: policy
            .ticket_types
            .into_iter()
            .map(|t| type_name(t).to_owned())
            .collect(),
    }))
}
