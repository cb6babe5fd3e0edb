//! The synthetic history's world: the demo's facility network (the same generator that lays
//! out the demo's layers), indexed as the server indexes a member's layers, with the mapped
//! coverage around it, so generated tickets are screened exactly as live ones are and their
//! damage can depend on what is really buried under them.

use std::sync::Arc;

use aegis_screening::{LayerIndex, LayerMeta, LocalFrame, ScreeningSet};
use aegis_workflows::geometry::DigArea;
use aegis_workflows::screening::{Screening, Unknown};
use aegis_workflows::ticket::Location;
use rand::Rng;
use rand::rngs::StdRng;

use crate::facilities::synthetic::{
    DEMO_CENTER, DEMO_NETWORK, LAYERS, facilities_of, network_in_memory,
};

/// Miles across the street grid (the urban part, where every utility runs).
const GRID_MILES: f64 = DEMO_NETWORK.extent_miles;
/// Miles across the square tickets are drawn from: outside the grid, open land where only the
/// transmission corridor and the long-haul fibre pass; the member's map covers all of it.
const WORLD_MILES: f64 = DEMO_NETWORK.rural_miles;
/// Of the tickets, this share digs inside the grid (people dig where people live).
const IN_GRID: f64 = 0.5;

/// The network, indexed, and where tickets dig.
pub struct World {
    set: ScreeningSet,
    frame: LocalFrame,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("layers", &self.set.layers.len())
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    #[error("laying out the synthetic network: {0}")]
    Layout(#[from] std::io::Error),
    #[error("reading the synthetic network back: {0}")]
    Read(String),
    #[error("indexing the synthetic network: {0}")]
    Index(#[from] aegis_screening::BuildError),
}

impl World {
    /// Lays out and indexes the demo's network (the same one for every seed of the history, as
    /// a member's map is the same whatever tickets come).
    pub fn new() -> Result<Self, WorldError> {
        let network = network_in_memory(DEMO_CENTER, DEMO_NETWORK)?;
        let mut layers = Vec::with_capacity(LAYERS.len());
        for ((name, class), (_, geojson)) in LAYERS.into_iter().zip(network) {
            let facilities = facilities_of(&geojson).map_err(WorldError::Read)?;
            let meta = LayerMeta {
                name: name.to_owned(),
                version: 1,
                class,
                buffer_ft: class.default_buffer_ft(),
                close_ft: 250.0,
            };
            layers.push(Arc::new(LayerIndex::build(meta, facilities)?));
        }
        let frame = LocalFrame::at(DEMO_CENTER.0, DEMO_CENTER.1);
        let half = WORLD_MILES * 5_280.0 / 2.0;
        let (dlon, dlat) = frame.degrees_for(half);
        let (x, y) = DEMO_CENTER;
        let square = geo::Polygon::new(
            geo::LineString::from(vec![
                (x - dlon, y - dlat),
                (x + dlon, y - dlat),
                (x + dlon, y + dlat),
                (x - dlon, y + dlat),
                (x - dlon, y - dlat),
            ]),
            Vec::new(),
        );
        Ok(Self {
            set: ScreeningSet {
                layers,
                coverage: Some(geo::MultiPolygon::new(vec![square])),
            },
            frame,
        })
    }

    /// Where a ticket digs: half inside the grid, half anywhere in the mapped square.
    pub fn place(&self, rng: &mut StdRng) -> (f64, f64) {
        let miles = if rng.random::<f64>() < IN_GRID {
            GRID_MILES
        } else {
            WORLD_MILES
        };
        let half = miles * 5_280.0 / 2.0;
        let (dlon, dlat) = self.frame.degrees_for(half);
        let (x, y) = self.frame.origin();
        (
            x + rng.random_range(-1.0..1.0) * dlon,
            y + rng.random_range(-1.0..1.0) * dlat,
        )
    }

    /// What is really buried near the ticket's dig area.
    pub fn screen(&self, location: &Location) -> Screening {
        self.set.screen(DigArea::of(location).as_ref())
    }

    /// What a member without a GIS export knows: nothing.
    pub fn unmapped() -> Screening {
        Screening::unknown(Unknown::NoLayer, Vec::new())
    }
}
