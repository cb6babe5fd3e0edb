//! `/admin/facilities` (operators): the facility layers — class and zones, the version that
//! screens with its counts, extent and source, every earlier import — each center's automatic
//! clearing, and a form importing a file from the browser (the API's import: all or nothing,
//! every problem listed), retiring a layer (once confirmed) or making a retired one active again. An officer is answered 403 and sees none of it.

use std::time::Duration;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use aegis_workflows::screening::FacilityClass;
use chrono_tz::Tz;
use futures::StreamExt;
use maud::{Markup, html};
use serde::Deserialize;

use super::confirm::{self, Confirm};
use super::session::SignedIn;
use super::time::{when, zone};
use super::{Needs, Operator, given, layout, refused, require, require_form, see_other};
use crate::app::facilities::{FacilitiesError, ImportLayer};
use crate::app::views::{LayerView, VersionView};
use crate::app::{Refusal, UseCaseError};
use crate::facilities::gis_file::Format;
use crate::web::page::respond;
use crate::web::state::AppState;
use crate::web::status::status_of;

/// The largest text field of the form read (the file has `facilities.max_bytes`).
const FIELD_BYTES: usize = 4 * 1024;

pub async fn page(state: web::Data<AppState>, req: HttpRequest, who: Operator) -> HttpResponse {
    let who = who.0;
    let imported = req.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "imported")
            .map(|(_, v)| v.into_owned())
    });
    show(&state, &who, StatusCode::OK, imported.as_deref(), None).await
}

async fn show(
    state: &AppState,
    who: &SignedIn,
    status: StatusCode,
    imported: Option<&str>,
    problem: Option<&Refusal>,
) -> HttpResponse {
    let layers = match state.app.facility_layers().await {
        Ok(l) => l,
        Err(e) => return refused(who, &e, "/admin/facilities"),
    };
    let mut history = Vec::with_capacity(layers.len());
    for l in &layers {
        match state.app.facility_layer(&l.name).await {
            Ok(full) => history.push(full.versions.unwrap_or_default()),
            Err(e) => return refused(who, &e, "/admin/facilities"),
        }
    }
    let policies = match state.app.auto_clear_policies().await {
        Ok(p) => p,
        Err(e) => return refused(who, &e, "/admin/facilities"),
    };
    let mut policies: Vec<_> = policies.into_iter().collect();
    policies.sort_by(|a, b| a.0.cmp(&b.0));
    let loaded = state.app.screening_loaded();
    let tz = zone(state);
    respond(
        status,
        layout(
            who,
            "Facility layers",
            html! {
                h1 { "Facility layers" }
                @if let Some(name) = imported {
                    p class="ok" role="status" { "Imported " strong { (name) } ": it screens every new ticket from now on." }
                }
                @if let Some(r) = problem {
                    section class="gone" role="alert" {
                        p { strong { "Nothing was imported. " } (r.message) }
                        (problem_list(r))
                    }
                }
                @if layers.is_empty() {
                    p { "No layer yet: every ticket is screened " strong { "unknown" } ". Import the member's GIS export below." }
                }
                @for (l, versions) in layers.iter().zip(&history) {
                    (layer_card(who, l, versions, &loaded, tz))
                }
                h2 { "Import a layer" }
                (import_form(who))
                h2 { "Automatic clearing" }
                @if policies.is_empty() {
                    p class="note" { "No center clears tickets automatically (set it with PUT /v1/admin/centers/{code}/auto-clear)." }
                } @else {
                    table class="queue" {
                        thead { tr { th scope="col" { "Center" } th scope="col" { "Clears" } } }
                        tbody {
                            @for (center, p) in &policies {
                                tr {
                                    td { (center) }
                                    td {
                                        @if p.enabled && !p.ticket_types.is_empty() {
                                            (p.ticket_types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")) " tickets screened clear"
                                        } @else { "nothing (off)" }
                                    }
                                }
                            }
                        }
                    }
                }
            },
        ),
    )
}

fn problem_list(r: &Refusal) -> Markup {
    let problems = r
        .details
        .as_ref()
        .and_then(|d| d.get("problems"))
        .and_then(|p| p.as_array())
        .cloned()
        .unwrap_or_default();
    html! {
        @if !problems.is_empty() {
            ul {
                @for p in &problems {
                    li { (p.get("message").and_then(|m| m.as_str()).unwrap_or("")) }
                }
            }
        }
    }
}

fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
    } else {
        format!("{} KiB", bytes.div_ceil(1024))
    }
}

fn extent(v: &VersionView) -> String {
    format!(
        "{:.5}, {:.5} to {:.5}, {:.5}",
        v.extent[1], v.extent[0], v.extent[3], v.extent[2]
    )
}

fn layer_card(
    who: &SignedIn,
    l: &LayerView,
    versions: &[VersionView],
    loaded: &[(String, u32, usize, usize)],
    tz: Tz,
) -> Markup {
    let colour = FacilityClass::parse(&l.class).map_or("#5c6670", FacilityClass::apwa_colour);
    let here = loaded.iter().find(|(n, ..)| *n == l.name);
    html! {
        section class="card" data-layer=(l.name) aria-label=(format!("Layer {}", l.name)) {
            h2 { span class="swatch" style=(format!("background:{colour}")) {} " " (l.name) }
            table {
                tr { th scope="row" { "Class" } td { (l.class.replace('_', " ")) } }
                tr { th scope="row" { "Zones" } td { "conflict within " (l.buffer_ft) " ft · close within " (l.close_ft) " ft" } }
                tr { th scope="row" { "Screening" } td {
                    @match l.active_version {
                        Some(v) => { "version " (v) @if let Some((_, lv, _, bytes)) = here { @if *lv == v { " (loaded here, index " (size(*bytes)) ")" } } }
                        None => { "retired" @if let Some(by) = &l.retired_by { " by " (by) } }
                    }
                } }
                @if let Some(v) = &l.current {
                    tr { th scope="row" { "Features" } td { (v.features) " (" (v.vertices) " vertices)" } }
                    tr { th scope="row" { "Extent" } td { (extent(v)) } }
                    tr { th scope="row" { "Source" } td { (v.format) " in " (v.source_crs) } }
                }
            }
            details {
                summary { "Import history (" (versions.len()) ")" }
                ol class="timeline" {
                    @for v in versions {
                        li {
                            span class="when" { (when(v.imported_at, tz)) }
                            " · v" (v.version) " by " (v.imported_by) " · " (v.features) " features · "
                            (v.format) " in " (v.source_crs) " · "
                            span class="hash" { (v.source_sha256.chars().take(12).collect::<String>()) }
                        }
                    }
                }
            }
            @if l.active_version.is_some() {
                form method="post" action=(format!("/admin/facilities/{}/retire", l.name)) {
                    input type="hidden" name="csrf" value=(who.csrf);
                    button type="submit" class="small" data-action="retire" { "Retire " (l.name) "…" }
                }
            } @else if let Some(v) = &l.current {
                form method="post" action=(format!("/admin/facilities/{}/reactivate", l.name)) {
                    input type="hidden" name="csrf" value=(who.csrf);
                    button type="submit" class="small secondary" data-action="reactivate" { "Make active again (version " (v.version) ")" }
                }
            }
        }
    }
}

fn import_form(who: &SignedIn) -> Markup {
    html! {
        form method="post" action="/admin/facilities" enctype="multipart/form-data" aria-label="Import a layer" {
            input type="hidden" name="csrf" value=(who.csrf);
            label for="l-name" { "Layer name" }
            input id="l-name" name="name" type="text" required maxlength="64" pattern="[a-z0-9][a-z0-9_\\-]*" placeholder="gas-mains";
            label for="l-class" { "Class" }
            select id="l-class" name="class" {
                option value="" { "keep the layer's (a new layer needs one)" }
                @for c in FacilityClass::ALL {
                    option value=(c.as_str()) { (c.as_str().replace('_', " ")) }
                }
            }
            label for="l-buffer" { "Tolerance zone, feet (empty: the class's default)" }
            input id="l-buffer" name="buffer_ft" type="text" inputmode="decimal" maxlength="10";
            label for="l-close" { "Close within, feet (empty: 250)" }
            input id="l-close" name="close_ft" type="text" inputmode="decimal" maxlength="10";
            label for="l-crs" { "CRS, when the file does not say (EPSG:2227…)" }
            input id="l-crs" name="crs" type="text" maxlength="200";
            label for="l-attr" { "Column mappings (pressure=MAOP, one per line or comma-separated)" }
            input id="l-attr" name="attr" type="text" maxlength="1000";
            label for="l-file" { "File: GeoJSON, zipped shapefile (.zip with its .prj) or GeoPackage" }
            input id="l-file" name="file" type="file" required accept=".geojson,.json,.zip,.gpkg";
            button type="submit" data-action="import" { "Import" }
        }
    }
}

/// The import form's fields as read.
#[derive(Debug, Default)]
struct Upload {
    csrf: String,
    name: String,
    class: String,
    buffer_ft: String,
    close_ft: String,
    crs: String,
    attr: String,
    file_name: String,
    file: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
enum UploadError {
    #[error("the form could not be read: {0}")]
    Unreadable(String),
    #[error("the file is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the upload did not arrive in time")]
    TimedOut,
}

async fn read_upload(mut form: Multipart, max: usize) -> Result<Upload, UploadError> {
    let mut u = Upload::default();
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| UploadError::Unreadable(e.to_string()))?;
        let name = field.name().unwrap_or_default().to_owned();
        let limit = if name == "file" { max } else { FIELD_BYTES };
        if name == "file" {
            u.file_name = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .unwrap_or_default()
                .to_owned();
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| UploadError::Unreadable(e.to_string()))?;
            if bytes.len() + chunk.len() > limit {
                return Err(UploadError::TooLarge(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = || String::from_utf8_lossy(&bytes).trim().to_owned();
        match name.as_str() {
            "csrf" => u.csrf = text(),
            "name" => u.name = text(),
            "class" => u.class = text(),
            "buffer_ft" => u.buffer_ft = text(),
            "close_ft" => u.close_ft = text(),
            "crs" => u.crs = text(),
            "attr" => u.attr = text(),
            "file" => u.file = bytes,
            _ => {}
        }
    }
    Ok(u)
}

fn feet_field(field: &str, s: &str) -> Result<Option<f64>, FacilitiesError> {
    match given(s) {
        None => Ok(None),
        Some(v) => v.parse::<f64>().map(Some).map_err(|_| {
            FacilitiesError::Invalid(vec![aegis_workflows::Problem::new(
                field,
                "invalid",
                format!("{field} is a number of feet, not `{v}`"),
            )])
        }),
    }
}

pub async fn import(state: web::Data<AppState>, req: HttpRequest, form: Multipart) -> HttpResponse {
    // Nobody unsigned or an officer reads a byte of the file.
    if let Err(answer) = require(&state, &req, Needs::Operator).await {
        return answer;
    }
    let settings = &state.app.settings().facilities;
    let timeout = Duration::from_millis(settings.read_timeout_ms);
    let upload = match tokio::time::timeout(timeout, read_upload(form, settings.max_bytes)).await {
        Ok(Ok(u)) => u,
        Ok(Err(e)) => return upload_refused(&state, &req, &e).await,
        Err(_) => return upload_refused(&state, &req, &UploadError::TimedOut).await,
    };
    let who = match require_form(&state, &req, Needs::Operator, &upload.csrf).await {
        Ok(w) => w,
        Err(answer) => return answer,
    };
    let result = async {
        let format =
            Format::from_file_name(std::path::Path::new(&upload.file_name)).ok_or_else(|| {
                FacilitiesError::Invalid(vec![aegis_workflows::Problem::new(
                    "file",
                    "unsupported",
                    "choose a .geojson, .zip (a zipped shapefile) or .gpkg file",
                )])
            })?;
        let request = ImportLayer {
            name: upload.name.clone(),
            class: given(&upload.class),
            buffer_ft: feet_field("buffer_ft", &upload.buffer_ft)?,
            close_ft: feet_field("close_ft", &upload.close_ft)?,
            crs: given(&upload.crs),
            source_layer: None,
            attrs: upload.attr.split([',', '\n']).filter_map(given).collect(),
            format,
            bytes: upload.file,
            by: who.user.audit_name(),
        };
        state.app.import_layer(request).await
    }
    .await;
    match result {
        Ok(layer) => see_other(&format!("/admin/facilities?imported={}", layer.name)),
        Err(e) => {
            let r = e.refusal();
            show(&state, &who, status_of(r.kind), None, Some(&r)).await
        }
    }
}

async fn upload_refused(state: &AppState, req: &HttpRequest, e: &UploadError) -> HttpResponse {
    let who = match require(state, req, Needs::Operator).await {
        Ok(w) => w,
        Err(answer) => return answer,
    };
    let (status, r) = match e {
        UploadError::TooLarge(_) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Refusal::problems(&[aegis_workflows::Problem::new(
                "file",
                "too_large",
                e.to_string(),
            )]),
        ),
        UploadError::TimedOut => (
            StatusCode::REQUEST_TIMEOUT,
            Refusal::new(
                crate::app::Kind::Malformed,
                "REQUEST_TIMEOUT",
                e.to_string(),
            ),
        ),
        UploadError::Unreadable(_) => (StatusCode::BAD_REQUEST, Refusal::malformed(e.to_string())),
    };
    show(state, &who, status, None, Some(&r)).await
}

#[derive(Debug, Deserialize)]
pub struct RetireForm {
    #[serde(default)]
    csrf: String,
    /// `yes` once the operator saw what retiring stops.
    #[serde(default)]
    confirm: String,
}

/// `POST /admin/facilities/{name}/retire`: first what retiring stops, then, confirmed, the
/// API's retirement.
pub async fn retire(
    state: web::Data<AppState>,
    req: HttpRequest,
    name: web::Path<String>,
    form: web::Form<RetireForm>,
) -> HttpResponse {
    let who = match require_form(&state, &req, Needs::Operator, &form.csrf).await {
        Ok(w) => w,
        Err(answer) => return answer,
    };
    if !confirm::confirmed(&form.confirm, None) {
        return match state.app.facility_layer(&name).await {
            Ok(layer) => confirm_retire(&who, &layer),
            Err(e) => refused(&who, &e, "/admin/facilities"),
        };
    }
    match state.app.retire_layer(&name, &who.user.audit_name()).await {
        Ok(_) => see_other("/admin/facilities"),
        Err(e) => refused(&who, &e, "/admin/facilities"),
    }
}

fn confirm_retire(who: &SignedIn, l: &LayerView) -> HttpResponse {
    let class = l.class.replace('_', " ");
    let features = l.current.as_ref().map_or(0, |v| v.features);
    confirm::page(
        who,
        Confirm {
            title: format!("Retire {}?", l.name),
            consequences: html! {
                p { "Every node stops screening with its " strong { (features) " " (class) " feature(s)" } " within seconds: "
                    "tickets from then on are screened as if no " (class) " were mapped there, so nothing near them raises a conflict." }
                p { "Its versions are kept: " strong { "Make active again" } " brings the last one back." }
            },
            action: format!("/admin/facilities/{}/retire", l.name),
            keep: Vec::new(),
            reason: None,
            button: "Yes, retire it",
            data_action: "confirm-retire",
            back: "/admin/facilities".to_owned(),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct ReactivateForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /admin/facilities/{name}/reactivate`: the API's reactivation (nothing to confirm: it
/// can be retired again).
pub async fn reactivate(
    state: web::Data<AppState>,
    req: HttpRequest,
    name: web::Path<String>,
    form: web::Form<ReactivateForm>,
) -> HttpResponse {
    let who = match require_form(&state, &req, Needs::Operator, &form.csrf).await {
        Ok(w) => w,
        Err(answer) => return answer,
    };
    match state
        .app
        .reactivate_layer(&name, &who.user.audit_name())
        .await
    {
        Ok(_) => see_other("/admin/facilities"),
        Err(e) => refused(&who, &e, "/admin/facilities"),
    }
}
