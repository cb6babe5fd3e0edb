//! Operators' use cases on what is buried (contract §10): importing a layer from the member's
//! GIS (all or nothing: a bad file changes nothing and lists what is wrong), listing layers and
//! their versions, retiring one, setting the mapped coverage and each center's automatic
//! clearing. Whatever changes here reaches every node's screener through the database's
//! screening generation; this node's is refreshed at once.

use aegis_actors::ports::StoreError;
use aegis_workflows::Problem;
use aegis_workflows::screening::{AutoClear, FacilityClass};
use aegis_workflows::ticket::TicketType;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::App;
use super::errors::{Refusal, refusal};
use super::patterns::ATTR;
use crate::db::facilities::{self as stored, LayerSettings, LayerView, VersionSource};
use crate::facilities::gis_file::{self, AttrMap, Format, ReadError, ReadOptions};
use crate::facilities::layer_screener::multipolygon_of;

/// Ticket types a center may clear automatically (an emergency or a cancellation never is).
pub const CLEARABLE: [TicketType; 5] = [
    TicketType::Normal,
    TicketType::Update,
    TicketType::Remark,
    TicketType::Design,
    TicketType::ShortNotice,
];

#[derive(Debug, thiserror::Error)]
pub enum FacilitiesError {
    #[error("{} problem(s)", .0.len())]
    Invalid(Vec<Problem>),
    #[error(transparent)]
    Unreadable(#[from] ReadError),
    #[error("the file is {size} bytes, more than facilities.max_bytes ({max})")]
    TooLarge { size: usize, max: usize },
    #[error("no such layer")]
    NoSuchLayer,
    #[error("no such center")]
    NoSuchCenter,
    #[error("another import is running on this node")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

refusal!(FacilitiesError, self => match self {
    Self::Invalid(problems) => Refusal::problems(problems),
    Self::Unreadable(ReadError::Features {
        problems,
        truncated,
    }) => {
        let listed: Vec<Problem> = problems
            .iter()
            .map(|p| {
                let id =
                    p.id.as_deref()
                        .map_or_else(String::new, |id| format!(" (id {id})"));
                Problem::new(
                    format!("features[{}]", p.index),
                    "unreadable_feature",
                    format!("feature {}{id}: {}", p.index, p.reason),
                )
            })
            .collect();
        let mut r = Refusal::problems(&listed);
        r.details = Some(json!({
            "problems": listed,
            "features": problems,
            "truncated": truncated,
        }));
        r
    }
    Self::Unreadable(e) => {
        Refusal::problems(&[Problem::new("file", read_error_code(e), e.to_string())])
    }
    Self::TooLarge { .. } => {
        Refusal::problems(&[Problem::new("file", "too_large", self.to_string())])
    }
    Self::NoSuchLayer => Refusal::not_found("facility layer"),
    Self::NoSuchCenter => Refusal::not_found("center"),
    // Not a failure of the server: one import at a time is the rule, as for a
    // resource being changed by someone else.
    Self::Busy => Refusal::conflict("IMPORT_RUNNING", self.to_string()).retry_after(5),
    Self::Store(e) => e.refusal(),
    Self::Internal(e) => Refusal::internal(e),
});

fn read_error_code(e: &ReadError) -> &'static str {
    match e {
        ReadError::NotReadable { .. } => "unreadable_file",
        ReadError::NoCrs => "no_crs",
        ReadError::UnknownCrs(_) => "unknown_crs",
        ReadError::SeveralLayers(_) => "several_layers",
        ReadError::NoSuchLayer(_) => "no_such_source_layer",
        ReadError::Empty => "empty",
        ReadError::Features { .. } => "unreadable_feature",
    }
}

/// A layer import as asked: the file and how to read it.
#[derive(Debug, Clone)]
pub struct ImportLayer {
    pub name: String,
    pub class: Option<String>,
    pub buffer_ft: Option<f64>,
    pub close_ft: Option<f64>,
    pub crs: Option<String>,
    pub source_layer: Option<String>,
    /// `known=column` pairs.
    pub attrs: Vec<String>,
    pub format: Format,
    pub bytes: Vec<u8>,
    pub by: String,
}

/// The most a zone may be: a mile is already far beyond any tolerance zone.
const MAX_ZONE_FT: f64 = 5_280.0;

/// Whether `name` may name a layer: it appears in URLs, metrics and the trail.
pub fn valid_layer_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
}

/// The settings an import gives the layer: what was asked, else what the layer has, else the
/// class's defaults (§10); every problem at once.
fn settings_for(
    req: &ImportLayer,
    existing: Option<&LayerView>,
) -> Result<LayerSettings, Vec<Problem>> {
    let mut problems = Vec::new();
    if !valid_layer_name(&req.name) {
        problems.push(Problem::new(
            "name",
            "invalid",
            "a layer name is 1 to 64 lower-case letters, digits, `_` or `-`",
        ));
    }
    let class = match (req.class.as_deref(), existing) {
        (Some(c), _) => FacilityClass::parse(c).or_else(|| {
            problems.push(Problem::new(
                "class",
                "invalid",
                format!(
                    "`{c}` is not a facility class ({})",
                    FacilityClass::ALL.map(FacilityClass::as_str).join(", ")
                ),
            ));
            None
        }),
        (None, Some(l)) => FacilityClass::parse(&l.class),
        (None, None) => {
            problems.push(Problem::new(
                "class",
                "required",
                "a new layer needs its class (gas_distribution, water…)",
            ));
            None
        }
    };
    let keep =
        existing.filter(|l| req.class.is_none() || Some(l.class.as_str()) == req.class.as_deref());
    let buffer_ft = req
        .buffer_ft
        .or(keep.map(|l| l.buffer_ft))
        .or(class.map(FacilityClass::default_buffer_ft));
    let close_ft = req.close_ft.or(keep.map(|l| l.close_ft)).or(Some(250.0));
    for (field, v) in [("buffer_ft", buffer_ft), ("close_ft", close_ft)] {
        if let Some(v) = v
            && !(v.is_finite() && (0.0..=MAX_ZONE_FT).contains(&v))
        {
            problems.push(Problem::new(
                field,
                "out_of_range",
                format!("{field} is between 0 and {MAX_ZONE_FT} feet"),
            ));
        }
    }
    if let (Some(b), Some(c)) = (buffer_ft, close_ft)
        && c < b
    {
        problems.push(Problem::new(
            "close_ft",
            "below_buffer",
            format!("close_ft ({c}) is never below buffer_ft ({b})"),
        ));
    }
    // The reader's own words first (they name the unknown attribute); the published pattern
    // then refuses what the reader would forgive (spaces around the name, a blank column).
    if let Err(e) = AttrMap::parse(req.attrs.iter().map(String::as_str)) {
        problems.push(Problem::new("attr", "invalid", e));
    } else {
        problems.extend(
            req.attrs
                .iter()
                .enumerate()
                .filter_map(|(i, a)| super::patterns::shape(&format!("attr[{i}]"), a, ATTR)),
        );
    }
    match (class, buffer_ft, close_ft) {
        (Some(class), Some(buffer_ft), Some(close_ft)) if problems.is_empty() => {
            Ok(LayerSettings {
                name: req.name.clone(),
                class,
                buffer_ft,
                close_ft,
            })
        }
        _ => Err(problems),
    }
}

/// An import checked and read, ready to store.
#[derive(Debug)]
struct PreparedImport {
    layer: LayerSettings,
    source: VersionSource,
    rows: Vec<crate::db::facilities::FacilityRow>,
}

impl PreparedImport {
    /// Stores it as the layer's next version, which screens from then on.
    fn store(
        &self,
        tx: &mut crate::db::tx::Tx<'_>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<u32, diesel::result::Error> {
        stored::import(tx, &self.layer, &self.source, &self.rows, now)
    }
}

/// Checks an import against the layer as it is (`existing`) and reads the whole file: every
/// problem, or what to store. Blocking (GDAL): run it off the async threads. The HTTP API, the
/// console, `aegis facilities import` and the demo network all come through here.
fn prepare_import(
    req: ImportLayer,
    existing: Option<&LayerView>,
    max_bytes: usize,
) -> Result<PreparedImport, FacilitiesError> {
    if req.bytes.len() > max_bytes {
        return Err(FacilitiesError::TooLarge {
            size: req.bytes.len(),
            max: max_bytes,
        });
    }
    let layer = settings_for(&req, existing).map_err(FacilitiesError::Invalid)?;
    let attrs = AttrMap::parse(req.attrs.iter().map(String::as_str))
        .map_err(|e| FacilitiesError::Invalid(vec![Problem::new("attr", "invalid", e)]))?;
    let options = ReadOptions {
        format: req.format,
        crs: req.crs.clone().filter(|c| !c.trim().is_empty()),
        source_layer: req.source_layer.clone().filter(|l| !l.trim().is_empty()),
        attrs,
    };
    let sha256 = hex::encode(Sha256::digest(&req.bytes));
    let bytes = i64::try_from(req.bytes.len()).unwrap_or(i64::MAX);
    let read = gis_file::read(req.bytes, &options)?;
    Ok(PreparedImport {
        layer,
        source: VersionSource {
            imported_by: req.by,
            format: req.format.as_str().to_owned(),
            crs: read.crs,
            sha256,
            bytes,
            vertices: i64::try_from(read.vertices).unwrap_or(i64::MAX),
            extent: read.extent,
        },
        rows: read.rows,
    })
}

/// The automatic clearing asked for a center.
#[derive(Debug, Clone)]
pub struct AutoClearInput {
    pub enabled: bool,
    pub ticket_types: Vec<String>,
}

impl App {
    /// Reads the file whole and, when every feature reads, stores it as the layer's next
    /// version and makes it the one that screens, in one transaction.
    pub async fn import_layer(&self, req: ImportLayer) -> Result<LayerView, FacilitiesError> {
        let max = self.settings.facilities.max_bytes;
        if req.bytes.len() > max {
            return Err(FacilitiesError::TooLarge {
                size: req.bytes.len(),
                max,
            });
        }
        let Ok(_one_at_a_time) = self.imports.try_acquire() else {
            return Err(FacilitiesError::Busy);
        };
        let name = req.name.clone();
        let existing = if valid_layer_name(&name) {
            self.db.with_read(move |c| stored::layer(c, &name)).await?
        } else {
            None
        };
        let prepared =
            tokio::task::spawn_blocking(move || prepare_import(req, existing.as_ref(), max))
                .await
                .map_err(|e| FacilitiesError::Internal(format!("reading a layer file: {e}")))??;
        let now = self.now();
        let name = prepared.layer.name.clone();
        let features = prepared.rows.len();
        let write = move |tx: &mut crate::db::tx::Tx<'_>| prepared.store(tx, now);
        // PostgreSQL takes concurrent writers: a large import runs in its own transaction and
        // leaves the writer (and the webhooks behind it) alone. SQLite has one writer.
        let version = match self.db.backend() {
            crate::db::Backend::Postgres => {
                self.db
                    .with_read(move |c| crate::db::tx::in_transaction(c, write))
                    .await?
            }
            crate::db::Backend::Sqlite => self.store.writer().run(write).await?,
        };
        tracing::info!(layer = %name, version, features, "facility layer imported");
        self.refresh_screener().await;
        self.db
            .with_read(move |c| stored::layer(c, &name))
            .await?
            .ok_or(FacilitiesError::NoSuchLayer)
    }

    /// Every layer with the version that screens.
    pub async fn facility_layers(&self) -> Result<Vec<LayerView>, StoreError> {
        self.db.with_read(stored::layers).await
    }

    /// One layer with its import history.
    pub async fn facility_layer(&self, name: &str) -> Result<LayerView, FacilitiesError> {
        let name = name.to_owned();
        self.db
            .with_read(move |c| stored::layer(c, &name))
            .await?
            .ok_or(FacilitiesError::NoSuchLayer)
    }

    /// Stops a layer screening; its versions are kept.
    pub async fn retire_layer(&self, name: &str, by: &str) -> Result<LayerView, FacilitiesError> {
        let view = self.facility_layer(name).await?;
        if view.active_version.is_some() {
            let (name, by, now) = (name.to_owned(), by.to_owned(), self.now());
            self.store
                .writer()
                .run(move |tx| stored::retire(tx, &name, &by, now))
                .await?;
            self.refresh_screener().await;
        }
        self.facility_layer(name).await
    }

    /// Makes a retired layer screen again with its last version (what retiring stopped); an
    /// active layer is left as it is.
    pub async fn reactivate_layer(
        &self,
        name: &str,
        by: &str,
    ) -> Result<LayerView, FacilitiesError> {
        let view = self.facility_layer(name).await?;
        if view.active_version.is_none() {
            let (layer, now) = (name.to_owned(), self.now());
            let done = self
                .store
                .writer()
                .run(move |tx| stored::reactivate(tx, &layer, now))
                .await?;
            if done {
                tracing::info!(layer = %name, by = %by, "facility layer active again");
            }
            self.refresh_screener().await;
        }
        self.facility_layer(name).await
    }

    /// Sets the mapped coverage (a GeoJSON Polygon or MultiPolygon in WGS 84), or clears it
    /// (`None`: the layers' extents again).
    pub async fn set_facility_coverage(
        &self,
        geometry: Option<serde_json::Value>,
        by: &str,
    ) -> Result<(), FacilitiesError> {
        let text = match geometry {
            Some(g) => {
                let shaped = coverage_shape(&g);
                if !shaped.is_empty() {
                    return Err(FacilitiesError::Invalid(shaped));
                }
                let text = g.to_string();
                let shape = multipolygon_of(&text).map_err(|e| {
                    FacilitiesError::Invalid(vec![Problem::new(
                        "geometry",
                        "invalid",
                        format!("the coverage is a GeoJSON Polygon or MultiPolygon in WGS 84: {e}"),
                    )])
                })?;
                if shape.0.is_empty() {
                    return Err(FacilitiesError::Invalid(vec![Problem::new(
                        "geometry",
                        "invalid",
                        "the coverage has no polygon",
                    )]));
                }
                if let Err(e) = geo::Validation::check_validation(&shape) {
                    return Err(FacilitiesError::Invalid(vec![Problem::new(
                        "geometry",
                        "invalid",
                        format!("the coverage is broken: {e}"),
                    )]));
                }
                let in_range = geo::CoordsIter::coords_iter(&shape)
                    .all(|c| (-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y));
                if !in_range {
                    return Err(FacilitiesError::Invalid(vec![Problem::new(
                        "geometry",
                        "out_of_range",
                        "coordinates are longitude and latitude in WGS 84",
                    )]));
                }
                Some(text)
            }
            None => None,
        };
        let (by, now) = (by.to_owned(), self.now());
        self.store
            .writer()
            .run(move |tx| stored::set_coverage(tx, text.as_deref(), &by, now))
            .await?;
        self.refresh_screener().await;
        Ok(())
    }

    /// The mapped coverage operators set, as GeoJSON.
    pub async fn facility_coverage(&self) -> Result<Option<serde_json::Value>, FacilitiesError> {
        let text = self.db.with_read(stored::coverage).await?;
        text.map(|t| serde_json::from_str(&t))
            .transpose()
            .map_err(|e| FacilitiesError::Store(StoreError::Corrupt(e.to_string().into())))
    }

    /// Turns a center's automatic clearing on or off, for the listed ticket types.
    pub async fn set_auto_clear(
        &self,
        center: &str,
        input: AutoClearInput,
        by: &str,
    ) -> Result<AutoClear, FacilitiesError> {
        let mut problems = Vec::new();
        let mut ticket_types = Vec::new();
        for (i, t) in input.ticket_types.iter().enumerate() {
            match CLEARABLE.into_iter().find(|c| type_name(*c) == t) {
                Some(c) if !ticket_types.contains(&c) => ticket_types.push(c),
                Some(_) => {}
                None => problems.push(Problem::new(
                    format!("ticket_types[{i}]"),
                    "invalid",
                    format!(
                        "`{t}` is not a type cleared automatically ({})",
                        CLEARABLE.map(type_name).join(", ")
                    ),
                )),
            }
        }
        if !problems.is_empty() {
            return Err(FacilitiesError::Invalid(problems));
        }
        if !self.center_exists(center).await? {
            return Err(FacilitiesError::NoSuchCenter);
        }
        let policy = AutoClear {
            enabled: input.enabled,
            ticket_types,
        };
        let (center, by, now, p) = (center.to_owned(), by.to_owned(), self.now(), policy.clone());
        self.store
            .writer()
            .run(move |tx| stored::set_auto_clear(tx, &center, &p, &by, now))
            .await?;
        self.refresh_screener().await;
        Ok(policy)
    }

    /// Every center's automatic clearing that was set.
    pub async fn auto_clear_policies(
        &self,
    ) -> Result<std::collections::HashMap<String, AutoClear>, StoreError> {
        self.db.with_read(stored::auto_clear_all).await
    }

    /// What screens on this node now: the layers (name, version, facilities, index memory).
    pub fn screening_loaded(&self) -> Vec<(String, u32, usize, usize)> {
        let Some(screener) = &self.screener else {
            return Vec::new();
        };
        screener
            .current()
            .set
            .layers
            .iter()
            .map(|l| {
                (
                    l.meta.name.clone(),
                    l.meta.version,
                    l.facility_count(),
                    l.memory_bytes(),
                )
            })
            .collect()
    }

    async fn refresh_screener(&self) {
        let Some(screener) = &self.screener else {
            return;
        };
        if let Err(e) = screener.refresh(&self.db).await {
            tracing::warn!(error = %e, "the facility layers could not be reloaded now; the next poll will");
        }
    }

    async fn center_exists(&self, code: &str) -> Result<bool, StoreError> {
        let code = code.to_owned();
        self.db
            .with_read(move |c| crate::db::centers::exists(c, &code))
            .await
    }
}

/// What the published schema says of a coverage geometry (a GeoJSON Polygon or MultiPolygon:
/// rings of at least four [longitude, latitude] positions), checked before GDAL reads it, which
/// would take less.
fn coverage_shape(g: &serde_json::Value) -> Vec<Problem> {
    use serde_json::Value;
    let position = |p: &Value| match p.as_array().map(Vec::as_slice) {
        Some([lon, lat]) => lon
            .as_f64()
            .zip(lat.as_f64())
            .is_some_and(|(x, y)| (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)),
        _ => false,
    };
    let ring = |r: &Value| {
        r.as_array()
            .is_some_and(|ps| ps.len() >= 4 && ps.iter().all(position))
    };
    let polygon = |p: &Value| {
        p.as_array()
            .is_some_and(|rs| !rs.is_empty() && rs.iter().all(ring))
    };
    let coordinates = &g["coordinates"];
    let fits = match g["type"].as_str() {
        Some("Polygon") => polygon(coordinates),
        Some("MultiPolygon") => coordinates
            .as_array()
            .is_some_and(|ps| !ps.is_empty() && ps.iter().all(polygon)),
        _ => false,
    };
    if fits {
        Vec::new()
    } else {
        vec![Problem::new(
            "geometry",
            "invalid",
            "the coverage is a GeoJSON Polygon or MultiPolygon: rings of at least four [longitude, latitude] positions in WGS 84",
        )]
    }
}

/// A ticket type's wire name (`short_notice`).
pub fn type_name(t: TicketType) -> &'static str {
    t.as_str()
}

/// A facility near a dig area, for the map: its layer, class, id, distance and shape.
#[derive(Debug, Clone)]
pub struct NearShape {
    pub layer: String,
    pub version: u32,
    pub class: FacilityClass,
    pub id: String,
    pub distance_ft: f64,
    /// Longitude/latitude.
    pub geometry: geo::Geometry<f64>,
}

/// What the map of a ticket shows: its screening and the shapes of what it listed.
#[derive(Debug, Clone)]
pub struct BuriedNear {
    pub screening: aegis_workflows::screening::Screening,
    /// Nearest first.
    pub facilities: Vec<NearShape>,
}

impl App {
    /// The screening of a workflow with the shapes of the facilities it listed (`None`: not
    /// screened yet). Shapes come from the very versions the screening used.
    pub async fn buried_near(&self, workflow_id: &str) -> Result<Option<BuriedNear>, StoreError> {
        let id = workflow_id.to_owned();
        self.db
            .with_read(move |c| {
                let Some(screening) = crate::db::read::workflows::screening_of(c, &id)? else {
                    return Ok(None);
                };
                let mut facilities = Vec::new();
                for l in &screening.layers {
                    let seqs: Vec<i64> = l.facilities.iter().map(|f| i64::from(f.seq)).collect();
                    if seqs.is_empty() {
                        continue;
                    }
                    let rows = stored::features_at(c, &l.name, l.version, &seqs)?;
                    for (seq, _, wkb, _) in rows {
                        let Some(f) = l.facilities.iter().find(|f| i64::from(f.seq) == seq) else {
                            continue;
                        };
                        let geometry = crate::facilities::layer_screener::geometry_of(&wkb)
                            .map_err(|e| StoreError::Corrupt(format!("{}: {e}", l.name).into()))?;
                        facilities.push(NearShape {
                            layer: l.name.clone(),
                            version: l.version,
                            class: l.class,
                            id: f.id.clone(),
                            distance_ft: f.distance_ft,
                            geometry,
                        });
                    }
                }
                facilities.sort_by(|a, b| a.distance_ft.total_cmp(&b.distance_ft));
                Ok(Some(BuriedNear {
                    screening,
                    facilities,
                }))
            })
            .await
    }
}
