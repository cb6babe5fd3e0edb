//! Reading what a member's GIS exports (contract §10): RFC 7946 GeoJSON, a zipped shapefile
//! with its `.prj`, or a GeoPackage, through GDAL, from the bytes in memory (`/vsimem`). Every
//! feature is reprojected through PROJ (GDAL's coordinate transformation) from the CRS the file
//! declares, or the one the operator names, to WGS 84 longitude/latitude; a file whose CRS
//! cannot be determined is refused, never guessed. Every unreadable feature is listed; the
//! caller stores nothing unless the whole file reads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Once;

use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::vector::{FieldValue, Layer, LayerAccess};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use geo::{BoundingRect, CoordsIter, Validation};
use serde::Serialize;

use crate::db::facilities::FacilityRow;

/// Problems listed at most (§10).
pub const MAX_PROBLEMS: usize = 100;

/// The formats a layer is imported from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    ZippedShapefile,
    GeoPackage,
}

impl Format {
    pub const MEDIA_TYPES: [(&'static str, Format); 3] = [
        ("application/geo+json", Self::GeoJson),
        ("application/zip", Self::ZippedShapefile),
        ("application/geopackage+sqlite3", Self::GeoPackage),
    ];

    /// The format a request's media type names (`application/json` is taken as GeoJSON).
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        let m = media_type.trim().to_ascii_lowercase();
        if m == "application/json" {
            return Some(Self::GeoJson);
        }
        Self::MEDIA_TYPES
            .into_iter()
            .find(|(name, _)| *name == m)
            .map(|(_, f)| f)
    }

    /// The format a file's name says.
    pub fn from_file_name(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "geojson" | "json" => Some(Self::GeoJson),
            "zip" => Some(Self::ZippedShapefile),
            "gpkg" => Some(Self::GeoPackage),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::GeoJson => "geojson",
            Self::ZippedShapefile => "shapefile",
            Self::GeoPackage => "geopackage",
        }
    }

    fn driver(self) -> &'static str {
        match self {
            Self::GeoJson => "GeoJSON",
            Self::ZippedShapefile => "ESRI Shapefile",
            Self::GeoPackage => "GPKG",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::GeoJson => "geojson",
            Self::ZippedShapefile => "zip",
            Self::GeoPackage => "gpkg",
        }
    }
}

/// The attributes Aegis knows by name; a GIS's own column names are mapped onto them.
pub const KNOWN_ATTRIBUTES: [&str; 8] = [
    "id",
    "material",
    "diameter",
    "pressure",
    "voltage",
    "install_year",
    "owner",
    "critical",
];

/// Known attribute → the file's column holding it (`attr pressure=MAOP`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttrMap(pub BTreeMap<String, String>);

impl AttrMap {
    /// Parses `known=column` pairs; an unknown name or a malformed pair is an error.
    pub fn parse<'a>(pairs: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut map = BTreeMap::new();
        for pair in pairs {
            let Some((known, column)) = pair.split_once('=') else {
                return Err(format!("`{pair}` is not NAME=COLUMN"));
            };
            let known = known.trim();
            let column = column.trim();
            if !KNOWN_ATTRIBUTES.contains(&known) {
                return Err(format!(
                    "`{known}` is not an attribute Aegis knows ({})",
                    KNOWN_ATTRIBUTES.join(", ")
                ));
            }
            if column.is_empty() {
                return Err(format!("`{pair}` names no column"));
            }
            map.insert(known.to_owned(), column.to_owned());
        }
        Ok(Self(map))
    }
}

/// How to read a file.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadOptions {
    pub format: Format,
    /// The CRS when the file declares none, or to override a wrong one (`EPSG:2227`, WKT…).
    pub crs: Option<String>,
    /// The layer to read when the file holds several.
    pub source_layer: Option<String>,
    pub attrs: AttrMap,
}

/// A feature that could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FeatureProblem {
    /// Its position in the file (from 0).
    pub index: usize,
    /// Its id, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub reason: String,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ReadError {
    #[error("the file is not a readable {format}: {reason}")]
    NotReadable {
        format: &'static str,
        reason: String,
    },
    #[error(
        "the file does not say which coordinate reference system it is in; name it with `crs` (for example EPSG:2227)"
    )]
    NoCrs,
    #[error("`{0}` is not a coordinate reference system PROJ knows")]
    UnknownCrs(String),
    #[error("the file holds {} layers ({}); name one with `source_layer`", .0.len(), .0.join(", "))]
    SeveralLayers(Vec<String>),
    #[error("the file has no layer `{0}`")]
    NoSuchLayer(String),
    #[error("the file holds no features")]
    Empty,
    #[error("{} feature(s) cannot be read", .problems.len())]
    Features {
        problems: Vec<FeatureProblem>,
        /// Whether more problems were found than are listed.
        truncated: bool,
    },
}

/// A file read whole: its features as rows to store, and what the version records.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadLayer {
    pub rows: Vec<FacilityRow>,
    /// The CRS the file was in, as an authority code where PROJ can tell (`EPSG:2227`).
    pub crs: String,
    pub vertices: usize,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub extent: [f64; 4],
}

/// Routes GDAL's complaints to the log (once per process).
pub fn quiet_gdal() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // GDAL writes its complaints to stderr; they belong in the log, and the reasons a
        // caller needs come back as errors anyway.
        gdal::config::set_error_handler(|class, code, msg| {
            tracing::debug!(?class, code, msg, "gdal");
        });
    });
}

/// A name in GDAL's in-memory file system for an import's bytes.
fn mem_path(format: Format) -> PathBuf {
    PathBuf::from(format!(
        "/vsimem/aegis-import-{}.{}",
        uuid::Uuid::new_v4(),
        format.extension()
    ))
}

/// Reads a whole layer from `bytes`.
pub fn read(mut bytes: Vec<u8>, options: &ReadOptions) -> Result<ReadLayer, ReadError> {
    quiet_gdal();
    let format = options.format;
    let not_readable = |reason: String| ReadError::NotReadable {
        format: format.as_str(),
        reason,
    };
    let mem = mem_path(format);
    // GDAL reads the bytes where they are and never frees them: handing it the buffer would
    // have it freed by C's allocator, not the one that allocated it (mimalloc in the binary).
    // Declared before the dataset, the file outlives it.
    let _file = gdal::vsi::create_mem_file_from_ref(&mem, &mut bytes)
        .map_err(|e| not_readable(e.to_string()))?;
    let path = match format {
        Format::ZippedShapefile => {
            let zip = PathBuf::from(format!("/vsizip/{}", mem.display()));
            let inside =
                gdal::vsi::read_dir(&zip, true).map_err(|e| not_readable(e.to_string()))?;
            if !inside
                .iter()
                .any(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("shp")))
            {
                return Err(not_readable("the archive holds no .shp file".into()));
            }
            zip
        }
        _ => mem.clone(),
    };
    let drivers = [format.driver()];
    let dataset = Dataset::open_ex(
        &path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
            allowed_drivers: Some(&drivers),
            ..DatasetOptions::default()
        },
    )
    .map_err(|e| not_readable(e.to_string()))?;
    let mut layer = pick_layer(&dataset, options.source_layer.as_deref())?;
    let source = source_crs(&layer, options.crs.as_deref())?;
    let crs = crs_name(&source);
    let mut wgs84 = SpatialRef::from_epsg(4326).map_err(|e| not_readable(e.to_string()))?;
    wgs84.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let transform = CoordTransform::new(&source, &wgs84)
        .map_err(|e| ReadError::UnknownCrs(format!("{crs} (no transformation to WGS 84: {e})")))?;
    read_features(&mut layer, &transform, &options.attrs, format, crs)
}

fn pick_layer<'d>(dataset: &'d Dataset, wanted: Option<&str>) -> Result<Layer<'d>, ReadError> {
    if let Some(name) = wanted {
        return dataset
            .layer_by_name(name)
            .map_err(|_| ReadError::NoSuchLayer(name.to_owned()));
    }
    match dataset.layer_count() {
        0 => Err(ReadError::Empty),
        1 => dataset.layer(0).map_err(|e| ReadError::NotReadable {
            format: "file",
            reason: e.to_string(),
        }),
        _ => Err(ReadError::SeveralLayers(
            dataset.layers().map(|l| l.name()).collect(),
        )),
    }
}

fn source_crs(layer: &Layer<'_>, named: Option<&str>) -> Result<SpatialRef, ReadError> {
    let mut srs = match named {
        Some(def) => SpatialRef::from_definition(def.trim())
            .map_err(|_| ReadError::UnknownCrs(def.to_owned()))?,
        None => layer.spatial_ref().ok_or(ReadError::NoCrs)?,
    };
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    Ok(srs)
}

/// `EPSG:2227` where PROJ can identify it, else the CRS's own name.
fn crs_name(srs: &SpatialRef) -> String {
    let mut probe = srs.clone();
    if probe.auth_code().is_err() {
        let _ = probe.auto_identify_epsg();
    }
    match (probe.auth_name(), probe.auth_code()) {
        (Some(auth), Ok(code)) => format!("{auth}:{code}"),
        _ => srs.name().unwrap_or_else(|| "a custom CRS".into()),
    }
}

/// A field's value as JSON (dates as ISO 8601 text).
fn json_of(value: FieldValue) -> serde_json::Value {
    use serde_json::Value;
    match value {
        FieldValue::IntegerValue(i) => Value::from(i),
        FieldValue::Integer64Value(i) => Value::from(i),
        FieldValue::RealValue(r) => {
            serde_json::Number::from_f64(r).map_or(Value::Null, Value::Number)
        }
        FieldValue::StringValue(s) => Value::from(s),
        FieldValue::IntegerListValue(v) => Value::from(v),
        FieldValue::Integer64ListValue(v) => Value::from(v),
        FieldValue::RealListValue(v) => Value::from(v),
        FieldValue::StringListValue(v) => Value::from(v),
        FieldValue::DateValue(d) => Value::from(d.to_string()),
        FieldValue::DateTimeValue(d) => Value::from(d.to_rfc3339()),
    }
}

/// Folds a column name for matching known attributes: `INSTALL_YEAR`, `InstallYear` and
/// `install year` all name `install_year`.
fn folded(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Which known attribute a column holds, by the operator's mapping or by its name.
fn known_of<'a>(column: &str, attrs: &'a AttrMap) -> Option<&'a str> {
    if let Some((known, _)) = attrs.0.iter().find(|(_, c)| c.as_str() == column) {
        return Some(known.as_str());
    }
    let f = folded(column);
    if ["id", "fid", "globalid"].contains(&f.as_str()) {
        return attrs.0.contains_key("id").then_some("").or(Some("id"));
    }
    KNOWN_ATTRIBUTES
        .iter()
        .find(|k| folded(k) == f && !attrs.0.contains_key(**k))
        .copied()
}

/// Typed where the meaning is known: numbers for diameter, pressure and voltage, an integer
/// year, a boolean for critical. A value that does not parse is kept as the file gives it.
fn typed(known: &str, value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    let text = match &value {
        Value::String(s) => s.trim().to_owned(),
        _ => return critical_of_number(known, value),
    };
    match known {
        "diameter" | "pressure" | "voltage" => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(value, Value::Number),
        "install_year" => text.parse::<i64>().map_or(value, Value::from),
        "critical" => match text.to_ascii_lowercase().as_str() {
            "y" | "yes" | "true" | "t" | "1" => Value::Bool(true),
            "n" | "no" | "false" | "f" | "0" => Value::Bool(false),
            _ => value,
        },
        _ => value,
    }
}

fn critical_of_number(known: &str, value: serde_json::Value) -> serde_json::Value {
    match (known, value.as_i64()) {
        ("critical", Some(n)) => serde_json::Value::Bool(n != 0),
        _ => value,
    }
}

struct Problems {
    list: Vec<FeatureProblem>,
    found: usize,
}

impl Problems {
    fn push(&mut self, index: usize, id: Option<String>, reason: String) {
        self.found += 1;
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(FeatureProblem { index, id, reason });
        }
    }
}

fn read_features(
    layer: &mut Layer<'_>,
    transform: &CoordTransform,
    attrs: &AttrMap,
    format: Format,
    crs: String,
) -> Result<ReadLayer, ReadError> {
    let mut rows = Vec::new();
    let mut problems = Problems {
        list: Vec::new(),
        found: 0,
    };
    let mut vertices = 0usize;
    let mut extent: Option<geo::Rect<f64>> = None;
    for (index, feature) in layer.features().enumerate() {
        let (id, attributes) = attributes_of(&feature, attrs, format, index);
        match shape_of(&feature, transform) {
            Ok((shape, wkb)) => {
                if let Some(r) = shape.bounding_rect() {
                    extent = Some(extent.map_or(r, |e| union(e, r)));
                }
                vertices += shape.coords_count();
                rows.push(FacilityRow {
                    feature_id: id,
                    wkb,
                    attributes: serde_json::Value::Object(attributes).to_string(),
                });
            }
            Err(reason) => problems.push(index, Some(id), reason),
        }
    }
    if problems.found > 0 {
        return Err(ReadError::Features {
            truncated: problems.found > problems.list.len(),
            problems: problems.list,
        });
    }
    let Some(extent) = extent.filter(|_| !rows.is_empty()) else {
        return Err(ReadError::Empty);
    };
    Ok(ReadLayer {
        rows,
        crs,
        vertices,
        extent: [
            extent.min().x,
            extent.min().y,
            extent.max().x,
            extent.max().y,
        ],
    })
}

fn union(e: geo::Rect<f64>, r: geo::Rect<f64>) -> geo::Rect<f64> {
    geo::Rect::new(
        geo::coord! { x: e.min().x.min(r.min().x), y: e.min().y.min(r.min().y) },
        geo::coord! { x: e.max().x.max(r.max().x), y: e.max().y.max(r.max().y) },
    )
}

/// A feature's id (its mapped `id` column, a GeoJSON feature's own id, else its position) and
/// its attributes, the known ones under their names and typed.
fn attributes_of(
    feature: &gdal::vector::Feature<'_>,
    attrs: &AttrMap,
    format: Format,
    index: usize,
) -> (String, serde_json::Map<String, serde_json::Value>) {
    let mut attributes = serde_json::Map::new();
    let mut id = None;
    for (column, value) in feature.fields() {
        let Some(value) = value.map(json_of) else {
            continue;
        };
        match known_of(&column, attrs) {
            Some("id") => {
                id = Some(match &value {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
            }
            Some("") | None => {
                attributes.insert(column, value);
            }
            Some(known) => {
                attributes.insert(known.to_owned(), typed(known, value));
            }
        }
    }
    // A GeoJSON feature's own `id` is GDAL's feature id when it is a number.
    if id.is_none() && format == Format::GeoJson {
        id = feature.fid().map(|f| f.to_string());
    }
    (id.unwrap_or_else(|| index.to_string()), attributes)
}

/// A feature's shape in WGS 84 and its WKB, or why it cannot screen.
fn shape_of(
    feature: &gdal::vector::Feature<'_>,
    transform: &CoordTransform,
) -> Result<(geo::Geometry<f64>, Vec<u8>), String> {
    let Some(geometry) = feature.geometry() else {
        return Err("it has no geometry".into());
    };
    if geometry.is_empty() {
        return Err("its geometry is empty".into());
    }
    let mut g = geometry.clone();
    g.flatten_to_2d();
    g.transform_inplace(transform)
        .map_err(|e| format!("it cannot be reprojected to WGS 84: {e}"))?;
    let shape = g
        .to_geo()
        .map_err(|e| format!("its geometry ({}) is not supported: {e}", g.geometry_name()))?;
    if let Some(reason) = unusable(&shape) {
        return Err(reason);
    }
    let wkb = g
        .wkb()
        .map_err(|e| format!("its geometry cannot be stored: {e}"))?;
    Ok((shape, wkb))
}

/// Why a reprojected geometry cannot screen: a coordinate that is not a longitude and
/// latitude (the file's CRS was wrong), or a shape that is broken.
fn unusable(shape: &geo::Geometry<f64>) -> Option<String> {
    for c in shape.coords_iter() {
        if !(c.x.is_finite()
            && c.y.is_finite()
            && (-180.0..=180.0).contains(&c.x)
            && (-90.0..=90.0).contains(&c.y))
        {
            return Some(format!(
                "a coordinate reprojects to ({}, {}), not a longitude and latitude: is the file's CRS right?",
                c.x, c.y
            ));
        }
    }
    match shape.check_validation() {
        Ok(()) => None,
        Err(e) => Some(format!("its geometry is broken: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_mappings_name_known_attributes_only() {
        let m = AttrMap::parse(["pressure=MAOP", "id = ASSET_ID"]).unwrap_or_default();
        assert_eq!(m.0.get("pressure").map(String::as_str), Some("MAOP"));
        assert_eq!(m.0.get("id").map(String::as_str), Some("ASSET_ID"));
        assert!(AttrMap::parse(["colour=C"]).is_err());
        assert!(AttrMap::parse(["pressure"]).is_err());
        assert!(AttrMap::parse(["pressure="]).is_err());
    }

    #[test]
    fn columns_are_matched_to_known_attributes_by_mapping_or_name() {
        let m = AttrMap::parse(["pressure=MAOP"]).unwrap_or_default();
        assert_eq!(known_of("MAOP", &m), Some("pressure"));
        assert_eq!(known_of("INSTALL_YEAR", &m), Some("install_year"));
        assert_eq!(known_of("GlobalID", &m), Some("id"));
        // Mapped elsewhere, a column called `pressure` is kept as it is.
        assert_eq!(known_of("PRESSURE", &m), None);
        assert_eq!(known_of("colour", &m), None);
        let by_id = AttrMap::parse(["id=ASSET"]).unwrap_or_default();
        assert_eq!(known_of("FID", &by_id), Some(""));
    }

    #[test]
    fn known_values_are_typed_and_others_kept() {
        use serde_json::json;
        assert_eq!(typed("pressure", json!("60")), json!(60.0));
        assert_eq!(typed("pressure", json!("high")), json!("high"));
        assert_eq!(typed("install_year", json!("1978")), json!(1978));
        assert_eq!(typed("critical", json!("Y")), json!(true));
        assert_eq!(typed("critical", json!(0)), json!(false));
        assert_eq!(typed("owner", json!("PG&E")), json!("PG&E"));
    }
}
