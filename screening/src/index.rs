//! One layer version's facilities as an R-tree: every line and polygon broken into segments,
//! every point kept as a point, each knowing its facility; polygons also kept whole, for a dig
//! area that lies inside one (a substation fence around the ticket). Coordinates are longitude
//! and latitude, stored as offsets from the layer's own origin (so that `f32` keeps them to a
//! few centimetres) with longitude scaled by the cosine of the layer's latitude, so that the
//! tree's nearest-first order is nearly the ground's.

use std::sync::Arc;

use aegis_workflows::screening::FacilityClass;
use geo::{Coord, Geometry, LineString, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, PointDistance, RTree, RTreeObject};

/// A facility as read from the member's GIS, in longitude and latitude.
#[derive(Debug, Clone)]
pub struct Facility {
    pub id: String,
    pub geometry: Geometry<f64>,
    /// Its attributes as JSON (an object), kept as text until a screening lists it.
    pub attributes: Box<str>,
}

/// What a layer version is.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerMeta {
    pub name: String,
    pub version: u32,
    pub class: FacilityClass,
    pub buffer_ft: f64,
    pub close_ft: f64,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BuildError {
    #[error("facility {0}: a coordinate is not a finite longitude and latitude")]
    BadCoordinate(String),
    #[error("facility {0}: an empty geometry")]
    Empty(String),
    #[error("the layer has more than {0} facilities")]
    TooMany(usize),
}

/// A piece of a facility in the tree.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Piece {
    pub a: [f32; 2],
    /// Equal to `a` for a point.
    pub b: [f32; 2],
    pub facility: u32,
}

impl RTreeObject for Piece {
    type Envelope = AABB<[f32; 2]>;

    fn envelope(&self) -> Self::Envelope {
        AABB::from_corners(self.a, self.b)
    }
}

impl PointDistance for Piece {
    fn distance_2(&self, p: &[f32; 2]) -> f32 {
        let (ax, ay, bx, by) = (self.a[0], self.a[1], self.b[0], self.b[1]);
        let (dx, dy) = (bx - ax, by - ay);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            (((p[0] - ax) * dx + (p[1] - ay) * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (cx, cy) = (ax + t * dx - p[0], ay + t * dy - p[1]);
        cx * cx + cy * cy
    }
}

/// Facilities at most per layer: ids are `u32`, with room to spare.
pub const MAX_FACILITIES: usize = 50_000_000;

/// The stored-coordinate space: offsets from the origin, longitude scaled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Space {
    pub lon0: f64,
    pub lat0: f64,
    pub kx: f64,
}

impl Space {
    #[inline]
    pub fn tree_point(&self, lon: f64, lat: f64) -> [f32; 2] {
        [
            ((lon - self.lon0) * self.kx) as f32,
            (lat - self.lat0) as f32,
        ]
    }

    #[inline]
    pub fn lon_lat(&self, p: [f32; 2]) -> (f64, f64) {
        (
            f64::from(p[0]) / self.kx + self.lon0,
            f64::from(p[1]) + self.lat0,
        )
    }
}

/// One layer version, indexed.
#[derive(Debug)]
pub struct LayerIndex {
    pub meta: LayerMeta,
    pub(crate) space: Space,
    pub(crate) pieces: RTree<Piece>,
    /// Polygon facilities whole, by their envelopes (tree space; the data is the position in
    /// `polygon_shapes`), for containment.
    pub(crate) polygons: RTree<GeomWithData<Rectangle<[f32; 2]>, u32>>,
    pub(crate) polygon_shapes: Vec<(u32, Polygon<f64>)>,
    pub(crate) ids: Vec<Box<str>>,
    pub(crate) attributes: Vec<Box<str>>,
    /// Longitude/latitude bounds of everything in the layer.
    pub extent: Option<geo::Rect<f64>>,
    pub vertices: usize,
}

fn finite(c: &Coord<f64>) -> bool {
    c.x.is_finite()
        && c.y.is_finite()
        && (-180.0..=180.0).contains(&c.x)
        && (-90.0..=90.0).contains(&c.y)
}

impl LayerIndex {
    /// Indexes `facilities`; their order is their position (`seq`) in the version.
    pub fn build(meta: LayerMeta, facilities: Vec<Facility>) -> Result<Self, BuildError> {
        if facilities.len() > MAX_FACILITIES {
            return Err(BuildError::TooMany(MAX_FACILITIES));
        }
        let mut extent: Option<geo::Rect<f64>> = None;
        for f in &facilities {
            let Some(r) = geo::BoundingRect::bounding_rect(&f.geometry) else {
                return Err(BuildError::Empty(f.id.clone()));
            };
            if !finite(&r.min()) || !finite(&r.max()) {
                return Err(BuildError::BadCoordinate(f.id.clone()));
            }
            extent = Some(match extent {
                None => r,
                Some(e) => geo::Rect::new(
                    Coord {
                        x: e.min().x.min(r.min().x),
                        y: e.min().y.min(r.min().y),
                    },
                    Coord {
                        x: e.max().x.max(r.max().x),
                        y: e.max().y.max(r.max().y),
                    },
                ),
            });
        }
        let (lon0, lat0) = extent.map_or((0.0, 0.0), |e| {
            let c = e.center();
            (c.x, c.y)
        });
        let space = Space {
            lon0,
            lat0,
            kx: lat0.to_radians().cos().max(0.01),
        };
        let mut b = Builder {
            space,
            pieces: Vec::new(),
            polygons: Vec::new(),
            shapes: Vec::new(),
            vertices: 0,
        };
        let mut ids = Vec::with_capacity(facilities.len());
        let mut attributes = Vec::with_capacity(facilities.len());
        for (seq, f) in facilities.into_iter().enumerate() {
            let seq = u32::try_from(seq).map_err(|_| BuildError::TooMany(MAX_FACILITIES))?;
            b.add(f.geometry, seq);
            ids.push(f.id.into_boxed_str());
            attributes.push(f.attributes);
        }
        let Builder {
            pieces,
            polygons,
            shapes: polygon_shapes,
            vertices,
            ..
        } = b;
        Ok(Self {
            meta,
            space,
            pieces: RTree::bulk_load(pieces),
            polygons: RTree::bulk_load(polygons),
            polygon_shapes,
            ids,
            attributes,
            extent,
            vertices,
        })
    }

    pub fn facility_count(&self) -> usize {
        self.ids.len()
    }

    pub fn segment_count(&self) -> usize {
        self.pieces.size()
    }

    /// About how much memory the index takes (the tree's pieces and nodes, ids, attributes
    /// and whole polygons).
    pub fn memory_bytes(&self) -> usize {
        let pieces = self.pieces.size() * std::mem::size_of::<Piece>();
        // rstar's nodes: a child vector per node, about one envelope and pointer per entry.
        let nodes = self.pieces.size() * (std::mem::size_of::<AABB<[f32; 2]>>() + 16) / 4;
        let text: usize = self
            .ids
            .iter()
            .chain(&self.attributes)
            .map(|s| s.len() + 16)
            .sum();
        let polygons: usize = self
            .polygon_shapes
            .iter()
            .map(|(_, p)| {
                (p.exterior().0.len() + p.interiors().iter().map(|h| h.0.len()).sum::<usize>()) * 16
                    + 64
            })
            .sum();
        pieces + nodes + text + polygons
    }
}

/// Collects a layer's pieces.
struct Builder {
    space: Space,
    pieces: Vec<Piece>,
    polygons: Vec<GeomWithData<Rectangle<[f32; 2]>, u32>>,
    shapes: Vec<(u32, Polygon<f64>)>,
    vertices: usize,
}

impl Builder {
    fn point(&mut self, c: Coord<f64>, seq: u32) {
        self.vertices += 1;
        let p = self.space.tree_point(c.x, c.y);
        self.pieces.push(Piece {
            a: p,
            b: p,
            facility: seq,
        });
    }

    fn line(&mut self, ls: &LineString<f64>, seq: u32) {
        if ls.0.len() == 1 {
            self.point(ls.0[0], seq);
            return;
        }
        self.vertices += ls.0.len();
        for w in ls.0.windows(2) {
            self.pieces.push(Piece {
                a: self.space.tree_point(w[0].x, w[0].y),
                b: self.space.tree_point(w[1].x, w[1].y),
                facility: seq,
            });
        }
    }

    fn polygon(&mut self, p: Polygon<f64>, seq: u32) {
        self.line(p.exterior(), seq);
        for hole in p.interiors() {
            self.line(hole, seq);
        }
        if let Some(r) = geo::BoundingRect::bounding_rect(&p)
            && let Ok(at) = u32::try_from(self.shapes.len())
        {
            self.polygons.push(GeomWithData::new(
                Rectangle::from_corners(
                    self.space.tree_point(r.min().x, r.min().y),
                    self.space.tree_point(r.max().x, r.max().y),
                ),
                at,
            ));
            self.shapes.push((seq, p));
        }
    }

    fn add(&mut self, geometry: Geometry<f64>, seq: u32) {
        let mut stack = vec![geometry];
        while let Some(g) = stack.pop() {
            match g {
                Geometry::Point(p) => self.point(p.0, seq),
                Geometry::MultiPoint(mp) => {
                    for p in mp.0 {
                        self.point(p.0, seq);
                    }
                }
                Geometry::Line(l) => self.line(&LineString::from(vec![l.start, l.end]), seq),
                Geometry::LineString(ls) => self.line(&ls, seq),
                Geometry::MultiLineString(ml) => {
                    for ls in &ml.0 {
                        self.line(ls, seq);
                    }
                }
                Geometry::Polygon(p) => self.polygon(p, seq),
                Geometry::MultiPolygon(mp) => {
                    for p in mp.0 {
                        self.polygon(p, seq);
                    }
                }
                Geometry::Rect(r) => self.polygon(r.to_polygon(), seq),
                Geometry::Triangle(t) => self.polygon(t.to_polygon(), seq),
                Geometry::GeometryCollection(gc) => stack.extend(gc.0),
            }
        }
    }
}

/// Every active layer's index, and where the member's map is known to be complete.
#[derive(Debug, Clone, Default)]
pub struct ScreeningSet {
    pub layers: Vec<Arc<LayerIndex>>,
    /// The mapped coverage set by operators; `None`: the layers' extents grown by the largest
    /// `close_ft`.
    pub coverage: Option<geo::MultiPolygon<f64>>,
}
