//! The `Screener` port over the stored layers: the active versions indexed in memory
//! (`aegis-screening`), each center's automatic clearing, and a task that polls the database's
//! screening generation and rebuilds what changed, so an import on any node reaches this one
//! within seconds and without a restart. A layer version already indexed is reused.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aegis_actors::ports::{Screener, StoreError};
use aegis_screening::{Facility, LayerIndex, LayerMeta, ScreeningSet};
use aegis_workflows::Ticket;
use aegis_workflows::geometry::DigArea;
use aegis_workflows::screening::{AutoClear, FacilityClass, Screening};
use parking_lot::RwLock;

use crate::db::{AnyConn, Db, facilities};
use crate::telemetry::names;

/// What screens now.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The database's generation this was built from (`-1`: nothing loaded yet).
    pub generation: i64,
    pub set: ScreeningSet,
    pub auto_clear: HashMap<String, AutoClear>,
}

#[derive(Debug)]
pub struct LayerScreener {
    current: RwLock<Arc<Loaded>>,
}

impl Screener for LayerScreener {
    fn screen(&self, ticket: &Ticket) -> Screening {
        let started = Instant::now();
        let area = DigArea::of(&ticket.location);
        let loaded = self.current();
        let screening = loaded.set.screen(area.as_ref());
        metrics::histogram!(names::SCREENING_SECONDS).record(started.elapsed().as_secs_f64());
        screening
    }

    fn auto_clear(&self, center: &str) -> AutoClear {
        self.current()
            .auto_clear
            .get(center)
            .cloned()
            .unwrap_or_default()
    }
}

impl LayerScreener {
    /// Nothing loaded yet: every ticket is `unknown` until the first load.
    pub fn empty() -> Arc<Self> {
        Arc::new(Self {
            current: RwLock::new(Arc::new(Loaded {
                generation: -1,
                ..Loaded::default()
            })),
        })
    }

    pub fn current(&self) -> Arc<Loaded> {
        self.current.read().clone()
    }

    /// Loads what screens when the database's generation moved since the last load. Returns
    /// whether anything changed.
    pub async fn refresh(&self, db: &Db) -> Result<bool, StoreError> {
        let before = self.current();
        let next = db
            .with_read(move |c| {
                let generation = facilities::generation(c)?;
                if generation == before.generation {
                    return Ok(None);
                }
                load(c, generation, &before).map(Some)
            })
            .await?;
        let Some(next) = next else {
            return Ok(false);
        };
        let layers: Vec<String> = next
            .set
            .layers
            .iter()
            .map(|l| format!("{}@{}", l.meta.name, l.meta.version))
            .collect();
        let bytes: usize = next.set.layers.iter().map(|l| l.memory_bytes()).sum();
        // Layers are named by operators, never by a request: a bounded label.
        for l in &before_layers(&self.current()) {
            if !next.set.layers.iter().any(|n| n.meta.name == *l) {
                metrics::gauge!(names::FACILITY_FEATURES, "layer" => l.clone()).set(0.0);
                metrics::gauge!(names::FACILITY_VERSION, "layer" => l.clone()).set(0.0);
            }
        }
        for l in &next.set.layers {
            metrics::gauge!(names::FACILITY_FEATURES, "layer" => l.meta.name.clone())
                .set(l.facility_count() as f64);
            metrics::gauge!(names::FACILITY_VERSION, "layer" => l.meta.name.clone())
                .set(f64::from(l.meta.version));
        }
        metrics::gauge!(names::FACILITY_INDEX_BYTES).set(bytes as f64);
        tracing::info!(
            generation = next.generation,
            ?layers,
            index_bytes = bytes,
            "facility layers loaded"
        );
        *self.current.write() = Arc::new(next);
        Ok(true)
    }

    /// Polls the generation every `every` until the runtime stops.
    pub fn watch(self: &Arc<Self>, db: Db, every: Duration) {
        let me = self.clone();
        actix_web::rt::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = me.refresh(&db).await {
                    tracing::warn!(error = %e, "facility layers could not be refreshed; the loaded ones keep screening");
                }
            }
        });
    }
}

fn before_layers(loaded: &Loaded) -> Vec<String> {
    loaded
        .set
        .layers
        .iter()
        .map(|l| l.meta.name.clone())
        .collect()
}

/// Builds what screens at `generation`, reusing the layer versions `before` already indexed.
fn load(conn: &mut AnyConn, generation: i64, before: &Loaded) -> Result<Loaded, StoreError> {
    let mut layers = Vec::new();
    for view in facilities::layers(conn)? {
        let Some(version) = view.active_version else {
            continue;
        };
        let class = FacilityClass::parse(&view.class).ok_or_else(|| {
            StoreError::Corrupt(format!("layer {}: class {}", view.name, view.class).into())
        })?;
        let meta = LayerMeta {
            name: view.name.clone(),
            version,
            class,
            buffer_ft: view.buffer_ft,
            close_ft: view.close_ft,
        };
        if let Some(same) = before.set.layers.iter().find(|l| l.meta == meta) {
            layers.push(same.clone());
            continue;
        }
        let rows = facilities::features(conn, &view.name, version)?;
        let mut list = Vec::with_capacity(rows.len());
        for (_, id, wkb, attributes) in rows {
            let geometry = geometry_of(&wkb).map_err(|e| {
                StoreError::Corrupt(format!("layer {} v{version}, {id}: {e}", view.name).into())
            })?;
            list.push(Facility {
                id,
                geometry,
                attributes: attributes.into_boxed_str(),
            });
        }
        let index = LayerIndex::build(meta, list)
            .map_err(|e| StoreError::Corrupt(format!("layer {}: {e}", view.name).into()))?;
        layers.push(Arc::new(index));
    }
    let coverage = match facilities::coverage(conn)? {
        Some(text) => Some(
            multipolygon_of(&text)
                .map_err(|e| StoreError::Corrupt(format!("facility coverage: {e}").into()))?,
        ),
        None => None,
    };
    Ok(Loaded {
        generation,
        set: ScreeningSet { layers, coverage },
        auto_clear: facilities::auto_clear_all(conn)?,
    })
}

/// A stored geometry (WKB, WGS 84).
pub fn geometry_of(wkb: &[u8]) -> Result<geo::Geometry<f64>, gdal::errors::GdalError> {
    crate::facilities::gis_file::quiet_gdal();
    gdal::vector::Geometry::from_wkb(wkb)?.to_geo()
}

/// A GeoJSON Polygon or MultiPolygon as one multipolygon.
pub fn multipolygon_of(geojson: &str) -> Result<geo::MultiPolygon<f64>, String> {
    crate::facilities::gis_file::quiet_gdal();
    let g = gdal::vector::Geometry::from_geojson(geojson)
        .and_then(|g| g.to_geo())
        .map_err(|e| e.to_string())?;
    match g {
        geo::Geometry::Polygon(p) => Ok(geo::MultiPolygon::new(vec![p])),
        geo::Geometry::MultiPolygon(m) => Ok(m),
        _ => Err("not a Polygon or MultiPolygon".into()),
    }
}
