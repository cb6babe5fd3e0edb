//! Screening a dig area against every active layer (contract §10): per layer, the distance in
//! feet from the dig area (its polygons, else its point) to the nearest facility and the
//! facilities within `close_ft`, nearest first; then the category. Distances are measured in a
//! local plane centred on the dig area ([`LocalFrame`]), where a dig area and the facilities
//! around it are both small enough for the plane to be exact to well under a foot.

use std::collections::HashMap;

use aegis_workflows::geometry::{DigArea, Polygon as DigPolygon};
use aegis_workflows::screening::{
    Category, LayerScreening, MAX_LISTED, NearFacility, Screening, Unknown,
};
use geo::{
    Contains, Coord, Distance, Euclidean, Intersects, LineString, MultiPolygon, Point, Polygon,
};
use rstar::AABB;

use crate::index::{LayerIndex, Piece, ScreeningSet};
use crate::local::LocalFrame;

/// Beyond this many candidates the nearest facility of a far layer is not looked for further
/// (it is miles away; only distances within 1,000 ft need to be right).
const NEAREST_LOOKS: usize = 4_096;

/// The dig area in the local plane (feet).
enum Area {
    Polygons(MultiPolygon<f64>),
    Point(Point<f64>),
}

impl Area {
    fn distance_to_segment(&self, a: Coord<f64>, b: Coord<f64>) -> f64 {
        let line = geo::Line::new(a, b);
        match self {
            Self::Polygons(mp) => {
                mp.0.iter()
                    .map(|p| Euclidean.distance(&line, p))
                    .fold(f64::INFINITY, f64::min)
            }
            Self::Point(p) => Euclidean.distance(&line, p),
        }
    }

    fn distance_to_point(&self, c: Coord<f64>) -> f64 {
        let q = Point::from(c);
        match self {
            Self::Polygons(mp) => {
                mp.0.iter()
                    .map(|p| Euclidean.distance(&q, p))
                    .fold(f64::INFINITY, f64::min)
            }
            Self::Point(p) => Euclidean.distance(&q, p),
        }
    }

    fn intersects_polygon(&self, facility: &Polygon<f64>) -> bool {
        match self {
            Self::Polygons(mp) => mp.0.iter().any(|p| p.intersects(facility)),
            Self::Point(p) => facility.contains(p) || facility.intersects(p),
        }
    }

    /// The greatest distance from the origin to any vertex.
    fn radius(&self) -> f64 {
        match self {
            Self::Polygons(mp) => {
                mp.0.iter()
                    .flat_map(|p| p.exterior().0.iter())
                    .map(|c| c.x.hypot(c.y))
                    .fold(0.0, f64::max)
            }
            Self::Point(p) => p.x().hypot(p.y()),
        }
    }
}

fn local_polygon(frame: &LocalFrame, p: &DigPolygon) -> Polygon<f64> {
    let ring = |r: &Vec<(f64, f64)>| {
        LineString::from(
            r.iter()
                .map(|(lon, lat)| {
                    let (x, y) = frame.feet(*lon, *lat);
                    Coord { x, y }
                })
                .collect::<Vec<_>>(),
        )
    };
    let mut rings = p.rings.iter();
    let exterior = rings
        .next()
        .map(ring)
        .unwrap_or_else(|| LineString::new(vec![]));
    Polygon::new(exterior, rings.map(ring).collect())
}

/// The dig area's longitude/latitude bounds.
fn bounds(area: &DigArea) -> (f64, f64, f64, f64) {
    match area {
        DigArea::Point { lon, lat } => (*lon, *lat, *lon, *lat),
        DigArea::Polygons(ps) => ps.iter().flat_map(|p| p.rings.iter().flatten()).fold(
            (
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ),
            |(a, b, c, d), (x, y)| (a.min(*x), b.min(*y), c.max(*x), d.max(*y)),
        ),
    }
}

impl LayerIndex {
    /// What this layer says about `area` (already in `frame`'s plane as `local`).
    fn screen_area(&self, area: &DigArea, frame: &LocalFrame, local: &Area) -> LayerScreening {
        let meta = &self.meta;
        let (min_lon, min_lat, max_lon, max_lat) = bounds(area);
        // Everything within close_ft, with room for the plane's curvature and f32 rounding.
        let reach = meta.close_ft.max(meta.buffer_ft) * 1.02 + 3.0;
        let (dlon, dlat) = frame.degrees_for(reach);
        let s = &self.space;
        let envelope = AABB::from_corners(
            s.tree_point(min_lon - dlon, min_lat - dlat),
            s.tree_point(max_lon + dlon, max_lat + dlat),
        );
        let mut nearest: HashMap<u32, f64> = HashMap::new();
        let note = |facility: u32, d: f64, nearest: &mut HashMap<u32, f64>| {
            let best = nearest.entry(facility).or_insert(d);
            *best = best.min(d);
        };
        let to_local = |p: [f32; 2]| {
            let (lon, lat) = s.lon_lat(p);
            let (x, y) = frame.feet(lon, lat);
            Coord { x, y }
        };
        for piece in self.pieces.locate_in_envelope_intersecting(envelope) {
            let d = self.piece_distance(piece, local, &to_local);
            note(piece.facility, d, &mut nearest);
        }
        // A dig area inside a polygon facility (a station's fence) touches it, however far
        // its boundary.
        for hit in self.polygons.locate_in_envelope_intersecting(envelope) {
            if let Some((seq, shape)) = self.polygon_shapes.get(hit.data as usize) {
                let seq = *seq;
                let projected = local_polygon(
                    frame,
                    &DigPolygon {
                        rings: std::iter::once(shape.exterior())
                            .chain(shape.interiors())
                            .map(|r| r.0.iter().map(|c| (c.x, c.y)).collect())
                            .collect(),
                    },
                );
                if local.intersects_polygon(&projected) {
                    note(seq, 0.0, &mut nearest);
                }
            }
        }
        let mut within: Vec<(u32, f64)> = nearest
            .iter()
            .map(|(f, d)| (*f, *d))
            .filter(|(_, d)| *d <= meta.close_ft)
            .collect();
        within.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        let within_buffer = within.iter().filter(|(_, d)| *d <= meta.buffer_ft).count();
        // The box holds every facility within `reach` of the dig area, and no more is certain:
        // a nearest beyond it is looked for in the tree's nearest-first order.
        let mut best = nearest.values().copied().fold(f64::INFINITY, f64::min);
        if best > reach {
            best = best.min(self.farther_nearest(frame, local, &to_local));
        }
        let facilities = within
            .iter()
            .take(MAX_LISTED)
            .map(|(seq, d)| NearFacility {
                id: self.ids[*seq as usize].to_string(),
                seq: *seq,
                distance_ft: round_tenth(*d),
                attributes: serde_json::from_str(&self.attributes[*seq as usize])
                    .unwrap_or_default(),
            })
            .collect();
        LayerScreening {
            name: meta.name.clone(),
            version: meta.version,
            class: meta.class,
            buffer_ft: meta.buffer_ft,
            close_ft: meta.close_ft,
            nearest_ft: best.is_finite().then(|| round_tenth(best)),
            within_buffer,
            facilities,
        }
    }

    fn piece_distance(
        &self,
        piece: &Piece,
        local: &Area,
        to_local: &impl Fn([f32; 2]) -> Coord<f64>,
    ) -> f64 {
        let a = to_local(piece.a);
        if piece.a == piece.b {
            local.distance_to_point(a)
        } else {
            local.distance_to_segment(a, to_local(piece.b))
        }
    }

    /// The nearest facility beyond the search box: pieces in the tree's nearest-first order
    /// from the dig area's origin, until none left can be nearer than the best found.
    fn farther_nearest(
        &self,
        frame: &LocalFrame,
        local: &Area,
        to_local: &impl Fn([f32; 2]) -> Coord<f64>,
    ) -> f64 {
        let (lon0, lat0) = frame.origin();
        let from = self.space.tree_point(lon0, lat0);
        let radius = local.radius();
        // Tree units are degrees of latitude (longitude scaled near the layer's latitude); a
        // generous lower bound on feet per unit keeps the stop rule safe across the layer.
        let ft_per_unit = frame.ft_per_degree_lat() * 0.9;
        let mut best = f64::INFINITY;
        for (n, (piece, d2)) in self
            .pieces
            .nearest_neighbor_iter_with_distance_2(from)
            .enumerate()
        {
            let lower = f64::from(d2).sqrt() * ft_per_unit - radius;
            if lower > best || n >= NEAREST_LOOKS {
                break;
            }
            best = best.min(self.piece_distance(piece, local, to_local));
        }
        best
    }
}

fn round_tenth(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

impl ScreeningSet {
    /// Screens a ticket's dig area (`None`: it has none) against every active layer.
    pub fn screen(&self, area: Option<&DigArea>) -> Screening {
        if self.layers.is_empty() {
            return Screening::unknown(Unknown::NoLayer, Vec::new());
        }
        let Some(area) = area else {
            return Screening::unknown(Unknown::NoGeometry, Vec::new());
        };
        let (lon0, lat0) = area.anchor();
        let frame = LocalFrame::at(lon0, lat0);
        let local = match area {
            DigArea::Point { lon, lat } => {
                let (x, y) = frame.feet(*lon, *lat);
                Area::Point(Point::new(x, y))
            }
            DigArea::Polygons(ps) => Area::Polygons(MultiPolygon::new(
                ps.iter().map(|p| local_polygon(&frame, p)).collect(),
            )),
        };
        let layers: Vec<LayerScreening> = self
            .layers
            .iter()
            .map(|l| l.screen_area(area, &frame, &local))
            .collect();
        let found = Screening::from_layers(layers);
        // A facility inside a tolerance zone is there whatever the map's coverage says; any
        // other verdict is only as good as the map, and outside it nobody knows.
        if found.category == Category::Conflict || self.covers(area, &frame, &local) {
            return found;
        }
        Screening::unknown(Unknown::OutsideCoverage, found.layers)
    }

    /// Whether the member's map covers the dig area: inside the coverage operators set, or
    /// else inside some layer's extent grown by the largest `close_ft`.
    fn covers(&self, area: &DigArea, frame: &LocalFrame, local: &Area) -> bool {
        if let Some(coverage) = &self.coverage {
            let projected = MultiPolygon::new(
                coverage
                    .0
                    .iter()
                    .map(|p| {
                        local_polygon(
                            frame,
                            &DigPolygon {
                                rings: std::iter::once(p.exterior())
                                    .chain(p.interiors())
                                    .map(|r| r.0.iter().map(|c| (c.x, c.y)).collect())
                                    .collect(),
                            },
                        )
                    })
                    .collect(),
            );
            return match local {
                Area::Point(p) => projected.contains(p),
                Area::Polygons(mp) => mp.0.iter().all(|p| projected.contains(p)),
            };
        }
        let grow = self
            .layers
            .iter()
            .map(|l| l.meta.close_ft)
            .fold(0.0, f64::max);
        let (dlon, dlat) = frame.degrees_for(grow);
        let (min_lon, min_lat, max_lon, max_lat) = bounds(area);
        self.layers.iter().filter_map(|l| l.extent).any(|e| {
            min_lon >= e.min().x - dlon
                && max_lon <= e.max().x + dlon
                && min_lat >= e.min().y - dlat
                && max_lat <= e.max().y + dlat
        })
    }
}
