//! Facility layers as stored (contract §10): layers, their versions, each version's features
//! as WKB rows, the mapped coverage, each center's automatic clearing, and the generation every
//! node polls to know when what screens has changed. An import writes its version, its rows and
//! the layer's switch to it in one transaction; nothing here ever deletes a version.

use std::collections::HashMap;

use aegis_actors::ports::StoreError;
use aegis_workflows::screening::{AutoClear, FacilityClass};
use aegis_workflows::ticket::TicketType;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use serde::Serialize;

use super::first_row::OneRow;
use super::schema::{
    auto_clear, facilities, facility_coverage, facility_layers, facility_versions,
    screening_generation,
};
use super::time::{from_db, to_db};
use super::tx::Tx;
use super::{AnyConn, store_err};
use crate::{with_conn, with_tx};

/// Rows per insert statement: under SQLite's and PostgreSQL's bound-parameter limits.
const ROWS_PER_INSERT: usize = 2_000;

/// A layer's settings as an import sets them.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerSettings {
    pub name: String,
    pub class: FacilityClass,
    pub buffer_ft: f64,
    pub close_ft: f64,
}

/// Where a version came from and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionSource {
    pub imported_by: String,
    pub format: String,
    pub crs: String,
    pub sha256: String,
    pub bytes: i64,
    pub vertices: i64,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub extent: [f64; 4],
}

/// One feature to store: its id, WKB in WGS 84 longitude/latitude, attributes as JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct FacilityRow {
    pub feature_id: String,
    pub wkb: Vec<u8>,
    pub attributes: String,
}

/// A version as listed.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VersionView {
    pub version: u32,
    pub class: String,
    pub buffer_ft: f64,
    pub close_ft: f64,
    pub imported_by: String,
    pub imported_at: DateTime<Utc>,
    pub format: String,
    /// The CRS the file was in (reprojected to WGS 84 on import).
    pub source_crs: String,
    pub source_sha256: String,
    pub source_bytes: i64,
    pub features: i64,
    pub vertices: i64,
    /// `[min_lon, min_lat, max_lon, max_lat]` in WGS 84.
    pub extent: [f64; 4],
}

/// A layer as listed: its settings, the version that screens (none when retired) and, for one
/// layer's page, every version.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LayerView {
    pub name: String,
    pub class: String,
    pub buffer_ft: f64,
    pub close_ft: f64,
    pub active_version: Option<u32>,
    pub retired_by: Option<String>,
    pub retired_at: Option<DateTime<Utc>>,
    /// The active version (or, retired, the last one).
    pub current: Option<VersionView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<Vec<VersionView>>,
}

type VersionRow = (
    String,
    i64,
    String,
    f64,
    f64,
    String,
    i64,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    (f64, f64, f64, f64),
);

fn version_view(r: VersionRow) -> VersionView {
    let (
        _layer,
        version,
        class,
        buffer_ft,
        close_ft,
        imported_by,
        imported_at,
        format,
        source_crs,
        source_sha256,
        source_bytes,
        features,
        vertices,
        (a, b, c, d),
    ) = r;
    VersionView {
        version: u32::try_from(version).unwrap_or(u32::MAX),
        class,
        buffer_ft,
        close_ft,
        imported_by,
        imported_at: from_db(imported_at),
        format,
        source_crs,
        source_sha256,
        source_bytes,
        features,
        vertices,
        extent: [a, b, c, d],
    }
}

macro_rules! version_columns {
    () => {
        (
            facility_versions::layer,
            facility_versions::version,
            facility_versions::class,
            facility_versions::buffer_ft,
            facility_versions::close_ft,
            facility_versions::imported_by,
            facility_versions::imported_at,
            facility_versions::source_format,
            facility_versions::source_crs,
            facility_versions::source_sha256,
            facility_versions::source_bytes,
            facility_versions::features,
            facility_versions::vertices,
            (
                facility_versions::min_lon,
                facility_versions::min_lat,
                facility_versions::max_lon,
                facility_versions::max_lat,
            ),
        )
    };
}

fn bump_generation(tx: &mut Tx<'_>) -> Result<(), DieselError> {
    with_tx!(tx, |c| diesel::update(
        screening_generation::table.filter(screening_generation::id.eq(1i64))
    )
    .set(screening_generation::generation.eq(screening_generation::generation + 1i64))
    .execute(c))?;
    Ok(())
}

/// Stores `rows` as the layer's next version and makes it the one that screens. Returns the
/// version number.
pub fn import(
    tx: &mut Tx<'_>,
    layer: &LayerSettings,
    source: &VersionSource,
    rows: &[FacilityRow],
    now: DateTime<Utc>,
) -> Result<u32, DieselError> {
    let at = to_db(now);
    let class = layer.class.as_str();
    let last: Option<i64> = with_tx!(tx, |c| facility_versions::table
        .filter(facility_versions::layer.eq(&layer.name))
        .select(diesel::dsl::max(facility_versions::version))
        .the::<Option<i64>>(c))?;
    let version = last.unwrap_or(0) + 1;
    let features = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    with_tx!(tx, |c| {
        diesel::insert_into(facility_versions::table)
            .values((
                facility_versions::layer.eq(&layer.name),
                facility_versions::version.eq(version),
                facility_versions::class.eq(class),
                facility_versions::buffer_ft.eq(layer.buffer_ft),
                facility_versions::close_ft.eq(layer.close_ft),
                facility_versions::imported_by.eq(&source.imported_by),
                facility_versions::imported_at.eq(at),
                facility_versions::source_format.eq(&source.format),
                facility_versions::source_crs.eq(&source.crs),
                facility_versions::source_sha256.eq(&source.sha256),
                facility_versions::source_bytes.eq(source.bytes),
                facility_versions::features.eq(features),
                facility_versions::vertices.eq(source.vertices),
                facility_versions::min_lon.eq(source.extent[0]),
                facility_versions::min_lat.eq(source.extent[1]),
                facility_versions::max_lon.eq(source.extent[2]),
                facility_versions::max_lat.eq(source.extent[3]),
            ))
            .execute(c)?;
        for (n, chunk) in rows.chunks(ROWS_PER_INSERT).enumerate() {
            let first = n * ROWS_PER_INSERT;
            let values: Vec<_> = chunk
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    (
                        facilities::layer.eq(&layer.name),
                        facilities::version.eq(version),
                        facilities::seq.eq(i64::try_from(first + i).unwrap_or(i64::MAX)),
                        facilities::feature_id.eq(&r.feature_id),
                        facilities::geometry.eq(&r.wkb),
                        facilities::attributes.eq(&r.attributes),
                    )
                })
                .collect();
            diesel::insert_into(facilities::table)
                .values(values)
                .execute(c)?;
        }
        diesel::insert_into(facility_layers::table)
            .values((
                facility_layers::name.eq(&layer.name),
                facility_layers::class.eq(class),
                facility_layers::buffer_ft.eq(layer.buffer_ft),
                facility_layers::close_ft.eq(layer.close_ft),
                facility_layers::active_version.eq(Some(version)),
                facility_layers::updated_at.eq(at),
            ))
            .on_conflict(facility_layers::name)
            .do_update()
            .set((
                facility_layers::class.eq(class),
                facility_layers::buffer_ft.eq(layer.buffer_ft),
                facility_layers::close_ft.eq(layer.close_ft),
                facility_layers::active_version.eq(Some(version)),
                facility_layers::retired_by.eq(None::<String>),
                facility_layers::retired_at.eq(None::<i64>),
                facility_layers::updated_at.eq(at),
            ))
            .execute(c)?;
        Ok::<(), DieselError>(())
    })?;
    bump_generation(tx)?;
    Ok(u32::try_from(version).unwrap_or(u32::MAX))
}

/// Stops the layer screening (its versions stay). `false` when there is no such layer or it
/// was already retired.
pub fn retire(
    tx: &mut Tx<'_>,
    name: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<bool, DieselError> {
    let n = with_tx!(tx, |c| diesel::update(
        facility_layers::table
            .filter(facility_layers::name.eq(name))
            .filter(facility_layers::active_version.is_not_null())
    )
    .set((
        facility_layers::active_version.eq(None::<i64>),
        facility_layers::retired_by.eq(Some(by)),
        facility_layers::retired_at.eq(Some(to_db(now))),
        facility_layers::updated_at.eq(to_db(now)),
    ))
    .execute(c))?;
    if n > 0 {
        bump_generation(tx)?;
    }
    Ok(n > 0)
}

/// Makes a retired layer screen again with its last version. `false` when there is no such
/// layer, it is active already, or it has no version to go back to.
pub fn reactivate(tx: &mut Tx<'_>, name: &str, now: DateTime<Utc>) -> Result<bool, DieselError> {
    let last: Option<i64> = with_tx!(tx, |c| facility_versions::table
        .filter(facility_versions::layer.eq(name))
        .select(diesel::dsl::max(facility_versions::version))
        .first(c))?;
    let Some(last) = last else {
        return Ok(false);
    };
    let n = with_tx!(tx, |c| diesel::update(
        facility_layers::table
            .filter(facility_layers::name.eq(name))
            .filter(facility_layers::active_version.is_null())
    )
    .set((
        facility_layers::active_version.eq(Some(last)),
        facility_layers::retired_by.eq(None::<String>),
        facility_layers::retired_at.eq(None::<i64>),
        facility_layers::updated_at.eq(to_db(now)),
    ))
    .execute(c))?;
    if n > 0 {
        bump_generation(tx)?;
    }
    Ok(n > 0)
}

type LayerRow = (
    String,
    String,
    f64,
    f64,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

fn layer_rows(conn: &mut AnyConn, name: Option<&str>) -> Result<Vec<LayerRow>, StoreError> {
    with_conn!(conn, |c| {
        let mut q = facility_layers::table
            .select((
                facility_layers::name,
                facility_layers::class,
                facility_layers::buffer_ft,
                facility_layers::close_ft,
                facility_layers::active_version,
                facility_layers::retired_by,
                facility_layers::retired_at,
            ))
            .order(facility_layers::name)
            .into_boxed();
        if let Some(n) = name {
            q = q.filter(facility_layers::name.eq(n.to_owned()));
        }
        q.load::<LayerRow>(c)
    })
    .map_err(store_err)
}

fn versions_of(conn: &mut AnyConn, name: &str) -> Result<Vec<VersionView>, StoreError> {
    let rows: Vec<VersionRow> = with_conn!(conn, |c| facility_versions::table
        .filter(facility_versions::layer.eq(name))
        .order(facility_versions::version.desc())
        .select(version_columns!())
        .load(c))
    .map_err(store_err)?;
    Ok(rows.into_iter().map(version_view).collect())
}

fn layer_view(row: LayerRow, versions: Vec<VersionView>, all: bool) -> LayerView {
    let (name, class, buffer_ft, close_ft, active, retired_by, retired_at) = row;
    let active_version = active.and_then(|v| u32::try_from(v).ok());
    let current = match active_version {
        Some(v) => versions.iter().find(|x| x.version == v).cloned(),
        None => versions.first().cloned(),
    };
    LayerView {
        name,
        class,
        buffer_ft,
        close_ft,
        active_version,
        retired_by,
        retired_at: retired_at.map(from_db),
        current,
        versions: all.then_some(versions),
    }
}

/// Every layer, retired ones too, with the version that screens.
pub fn layers(conn: &mut AnyConn) -> Result<Vec<LayerView>, StoreError> {
    let rows = layer_rows(conn, None)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let versions = versions_of(conn, &row.0)?;
        out.push(layer_view(row, versions, false));
    }
    Ok(out)
}

/// One layer with its whole import history.
pub fn layer(conn: &mut AnyConn, name: &str) -> Result<Option<LayerView>, StoreError> {
    let Some(row) = layer_rows(conn, Some(name))?.into_iter().next() else {
        return Ok(None);
    };
    let versions = versions_of(conn, name)?;
    Ok(Some(layer_view(row, versions, true)))
}

/// A stored feature: its position, id, WKB and attributes.
pub type StoredFacility = (i64, String, Vec<u8>, String);

/// The features of one version, in order.
pub fn features(
    conn: &mut AnyConn,
    layer: &str,
    version: u32,
) -> Result<Vec<StoredFacility>, StoreError> {
    with_conn!(conn, |c| facilities::table
        .filter(facilities::layer.eq(layer))
        .filter(facilities::version.eq(i64::from(version)))
        .order(facilities::seq)
        .select((
            facilities::seq,
            facilities::feature_id,
            facilities::geometry,
            facilities::attributes,
        ))
        .load(c))
    .map_err(store_err)
}

/// Some features of one version, by position (what a screening listed, for the map).
pub fn features_at(
    conn: &mut AnyConn,
    layer: &str,
    version: u32,
    seqs: &[i64],
) -> Result<Vec<StoredFacility>, StoreError> {
    with_conn!(conn, |c| facilities::table
        .filter(facilities::layer.eq(layer))
        .filter(facilities::version.eq(i64::from(version)))
        .filter(facilities::seq.eq_any(seqs))
        .select((
            facilities::seq,
            facilities::feature_id,
            facilities::geometry,
            facilities::attributes,
        ))
        .load(c))
    .map_err(store_err)
}

/// The generation of what screens: it changes whenever a layer, the coverage or a center's
/// automatic clearing does.
pub fn generation(conn: &mut AnyConn) -> Result<i64, StoreError> {
    with_conn!(conn, |c| screening_generation::table
        .filter(screening_generation::id.eq(1i64))
        .select(screening_generation::generation)
        .the::<i64>(c))
    .map_err(store_err)
}

/// Sets (or, `None`, clears) the mapped coverage, a GeoJSON MultiPolygon.
pub fn set_coverage(
    tx: &mut Tx<'_>,
    multipolygon: Option<&str>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), DieselError> {
    with_tx!(tx, |c| {
        diesel::delete(facility_coverage::table).execute(c)?;
        if let Some(m) = multipolygon {
            diesel::insert_into(facility_coverage::table)
                .values((
                    facility_coverage::id.eq(1i64),
                    facility_coverage::multipolygon.eq(m),
                    facility_coverage::set_by.eq(by),
                    facility_coverage::set_at.eq(to_db(now)),
                ))
                .execute(c)?;
        }
        Ok::<(), DieselError>(())
    })?;
    bump_generation(tx)
}

/// The mapped coverage operators set, as GeoJSON text.
pub fn coverage(conn: &mut AnyConn) -> Result<Option<String>, StoreError> {
    with_conn!(conn, |c| facility_coverage::table
        .select(facility_coverage::multipolygon)
        .one::<String>(c))
    .map_err(store_err)
}

pub fn set_auto_clear(
    tx: &mut Tx<'_>,
    center: &str,
    policy: &AutoClear,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), DieselError> {
    let types = serde_json::to_string(&policy.ticket_types)
        .map_err(|e| DieselError::SerializationError(Box::new(e)))?;
    with_tx!(tx, |c| diesel::insert_into(auto_clear::table)
        .values((
            auto_clear::center.eq(center),
            auto_clear::enabled.eq(policy.enabled),
            auto_clear::ticket_types.eq(&types),
            auto_clear::set_by.eq(by),
            auto_clear::set_at.eq(to_db(now)),
        ))
        .on_conflict(auto_clear::center)
        .do_update()
        .set((
            auto_clear::enabled.eq(policy.enabled),
            auto_clear::ticket_types.eq(&types),
            auto_clear::set_by.eq(by),
            auto_clear::set_at.eq(to_db(now)),
        ))
        .execute(c))?;
    bump_generation(tx)
}

/// Every center's automatic clearing that was ever set.
pub fn auto_clear_all(conn: &mut AnyConn) -> Result<HashMap<String, AutoClear>, StoreError> {
    let rows: Vec<(String, bool, String)> = with_conn!(conn, |c| auto_clear::table
        .select((
            auto_clear::center,
            auto_clear::enabled,
            auto_clear::ticket_types,
        ))
        .load(c))
    .map_err(store_err)?;
    rows.into_iter()
        .map(|(center, enabled, types)| {
            let ticket_types: Vec<TicketType> = serde_json::from_str(&types)
                .map_err(|e| StoreError::Corrupt(format!("auto-clear of {center}: {e}").into()))?;
            Ok((
                center,
                AutoClear {
                    enabled,
                    ticket_types,
                },
            ))
        })
        .collect()
}
