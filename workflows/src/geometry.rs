//! Dig-area geometry: parsing the WKT polygons centers send and measuring them.
//!
//! Dig areas are small (metres to a few kilometres), so an equirectangular projection around
//! the polygon's own latitude is accurate to well under a percent and needs no GIS library.

use std::fmt;

/// Mean Earth radius in metres (IUGG).
const EARTH_RADIUS_M: f64 = 6_371_008.8;
/// A dig area never needs more vertices than this; it also bounds parsing work.
pub const MAX_VERTICES: usize = 10_000;

/// A polygon in longitude/latitude degrees: an outer ring and optional holes.
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    pub rings: Vec<Vec<(f64, f64)>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WktError(pub String);

impl fmt::Display for WktError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a ticket digs: its polygons (a ticket may carry several), else its point.
#[derive(Debug, Clone, PartialEq)]
pub enum DigArea {
    Polygons(Vec<Polygon>),
    Point { lon: f64, lat: f64 },
}

impl DigArea {
    /// The dig area a location describes: its polygon text (`POLYGON` or `MULTIPOLYGON`), else
    /// its point; `None` when it has neither (or the polygon text does not parse and there is no
    /// point to fall back on).
    pub fn of(location: &crate::ticket::Location) -> Option<Self> {
        // An absurd polygon (miles across) is not where anyone digs: the point stands in.
        if let Some(polygons) = location
            .polygon_wkt
            .as_deref()
            .and_then(|w| Polygon::parse_all(w).ok())
            .filter(|ps| !ps.iter().any(Polygon::is_absurd))
        {
            return Some(Self::Polygons(polygons));
        }
        match (location.longitude, location.latitude) {
            (Some(lon), Some(lat))
                if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) =>
            {
                Some(Self::Point { lon, lat })
            }
            _ => None,
        }
    }

    /// A representative (longitude, latitude): the first polygon's centroid, or the point.
    pub fn anchor(&self) -> (f64, f64) {
        match self {
            Self::Polygons(p) => p.first().map_or((0.0, 0.0), Polygon::centroid),
            Self::Point { lon, lat } => (*lon, *lat),
        }
    }
}

/// A dig area wider or taller than this is not a dig area (a typo in a coordinate, a
/// polygon around a county): it is refused as a place.
pub const MAX_SPAN_MILES: f64 = 30.0;

/// Rings longer than this are not checked for crossing themselves (the check is quadratic).
const MAX_CHECKED_RING: usize = 2_000;

impl Polygon {
    /// Its extent in miles (east–west, north–south).
    pub fn span_miles(&self) -> (f64, f64) {
        let (mut minx, mut maxx, mut miny, mut maxy) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, y) in self.rings.iter().flatten() {
            minx = minx.min(x);
            maxx = maxx.max(x);
            miny = miny.min(y);
            maxy = maxy.max(y);
        }
        let lat = ((miny + maxy) / 2.0).to_radians();
        let per_degree = EARTH_RADIUS_M * std::f64::consts::PI / 180.0 / 1_609.344;
        (
            (maxx - minx) * per_degree * lat.cos(),
            (maxy - miny) * per_degree,
        )
    }

    /// More than [`MAX_SPAN_MILES`] across.
    pub fn is_absurd(&self) -> bool {
        let (w, h) = self.span_miles();
        w > MAX_SPAN_MILES || h > MAX_SPAN_MILES
    }

    /// Whether a ring's outline crosses itself (a "bow tie"): two of its edges that are not
    /// neighbours intersect. Rings longer than 2,000 vertices are not checked.
    pub fn crosses_itself(&self) -> bool {
        self.rings.iter().any(|r| ring_crosses_itself(r))
    }

    /// Parses `POLYGON(...)` or `MULTIPOLYGON(((...)), ((...)))` into its polygons, at most
    /// [`MAX_VERTICES`] vertices in all.
    pub fn parse_all(text: &str) -> Result<Vec<Self>, WktError> {
        let t = text.trim();
        let is_multi = t
            .get(..12)
            .is_some_and(|p| p.eq_ignore_ascii_case("MULTIPOLYGON"));
        if !is_multi {
            return Self::parse_wkt(t).map(|p| vec![p]);
        }
        let inner = t[12..]
            .trim()
            .strip_prefix('(')
            .and_then(|b| b.strip_suffix(')'))
            .ok_or_else(|| WktError("MULTIPOLYGON must be wrapped in parentheses".into()))?;
        let mut polygons = Vec::new();
        let mut vertices = 0usize;
        let mut rest = inner.trim();
        while !rest.is_empty() {
            // One polygon: from its '(' to the ')' that closes it.
            let mut depth = 0usize;
            let mut end = None;
            for (i, c) in rest.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth = depth
                            .checked_sub(1)
                            .ok_or_else(|| WktError("unbalanced parentheses".into()))?;
                        if depth == 0 {
                            end = Some(i);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let end = end.ok_or_else(|| WktError("a polygon is not closed with ')'".into()))?;
            let p = Self::parse_wkt(&format!("POLYGON{}", &rest[..=end]))?;
            vertices += p.rings.iter().map(Vec::len).sum::<usize>();
            if vertices > MAX_VERTICES {
                return Err(WktError(format!("more than {MAX_VERTICES} vertices")));
            }
            polygons.push(p);
            rest = rest[end + 1..].trim_start();
            if let Some(r) = rest.strip_prefix(',') {
                rest = r.trim_start();
            } else if !rest.is_empty() {
                return Err(WktError("unexpected text between polygons".into()));
            }
        }
        if polygons.is_empty() {
            return Err(WktError("MULTIPOLYGON has no polygon".into()));
        }
        Ok(polygons)
    }

    /// The polygon as WKT `POLYGON((x y, …), …)`, coordinates as given (longitude first).
    pub fn to_wkt(&self) -> String {
        format!("POLYGON{}", self.rings_wkt())
    }

    fn rings_wkt(&self) -> String {
        let rings: Vec<String> = self
            .rings
            .iter()
            .map(|r| {
                let pts: Vec<String> = r.iter().map(|(x, y)| format!("{x} {y}")).collect();
                format!("({})", pts.join(", "))
            })
            .collect();
        format!("({})", rings.join(", "))
    }

    /// One polygon as `POLYGON`, several as one `MULTIPOLYGON`; `None` for none.
    pub fn wkt_of_all(polygons: &[Self]) -> Option<String> {
        match polygons {
            [] => None,
            [one] => Some(one.to_wkt()),
            many => {
                let parts: Vec<String> = many.iter().map(Self::rings_wkt).collect();
                Some(format!("MULTIPOLYGON({})", parts.join(", ")))
            }
        }
    }

    /// The same polygon with each vertex's two coordinates exchanged (a sender that wrote
    /// latitude first).
    pub fn swapped(&self) -> Self {
        Self {
            rings: self
                .rings
                .iter()
                .map(|r| r.iter().map(|&(x, y)| (y, x)).collect())
                .collect(),
        }
    }

    /// Parses `POLYGON((x y, x y, ...), (hole...))`. Coordinates are longitude then latitude.
    pub fn parse_wkt(text: &str) -> Result<Self, WktError> {
        let t = text.trim();
        let upper_prefix = t.get(..7).map(str::to_ascii_uppercase);
        if upper_prefix.as_deref() != Some("POLYGON") {
            return Err(WktError("expected a WKT POLYGON".into()));
        }
        let body = t[7..].trim();
        let inner = body
            .strip_prefix('(')
            .and_then(|b| b.strip_suffix(')'))
            .ok_or_else(|| WktError("POLYGON must be wrapped in parentheses".into()))?;
        let mut rings = Vec::new();
        let mut vertices = 0usize;
        let mut rest = inner.trim();
        while !rest.is_empty() {
            let open = rest
                .strip_prefix('(')
                .ok_or_else(|| WktError("each ring must start with '('".into()))?;
            let close = open
                .find(')')
                .ok_or_else(|| WktError("ring is not closed with ')'".into()))?;
            let ring = parse_ring(&open[..close])?;
            vertices += ring.len();
            if vertices > MAX_VERTICES {
                return Err(WktError(format!("more than {MAX_VERTICES} vertices")));
            }
            rings.push(ring);
            rest = open[close + 1..].trim_start();
            if let Some(r) = rest.strip_prefix(',') {
                rest = r.trim_start();
            } else if !rest.is_empty() {
                return Err(WktError("unexpected text between rings".into()));
            }
        }
        if rings.is_empty() {
            return Err(WktError("POLYGON has no ring".into()));
        }
        Ok(Self { rings })
    }

    /// Area in square metres: the outer ring less its holes.
    pub fn area_m2(&self) -> f64 {
        let lat0 = self.centroid().1.to_radians();
        let mut area = 0.0;
        for (i, ring) in self.rings.iter().enumerate() {
            let a = ring_area_m2(ring, lat0).abs();
            if i == 0 {
                area += a;
            } else {
                area -= a;
            }
        }
        area.max(0.0)
    }

    /// Every ring in metres east and north of the centroid (the same equirectangular
    /// projection the area uses), for drawing the dig area to scale.
    pub fn local_metres(&self) -> Vec<Vec<(f64, f64)>> {
        let (lon0, lat0) = self.centroid();
        let k = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
        let cos = lat0.to_radians().cos();
        self.rings
            .iter()
            .map(|r| {
                r.iter()
                    .map(|(lon, lat)| ((lon - lon0) * k * cos, (lat - lat0) * k))
                    .collect()
            })
            .collect()
    }

    /// The mean of the outer ring's distinct vertices, as (longitude, latitude).
    pub fn centroid(&self) -> (f64, f64) {
        let ring = &self.rings[0];
        let pts = if ring.len() > 1 && ring.first() == ring.last() {
            &ring[..ring.len() - 1]
        } else {
            &ring[..]
        };
        let n = pts.len().max(1) as f64;
        let (sx, sy) = pts
            .iter()
            .fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x, sy + y));
        (sx / n, sy / n)
    }
}

fn parse_ring(text: &str) -> Result<Vec<(f64, f64)>, WktError> {
    let mut ring = Vec::new();
    for pair in text.split(',') {
        let mut it = pair.split_whitespace();
        let (Some(x), Some(y)) = (it.next(), it.next()) else {
            return Err(WktError(format!("bad coordinate pair '{}'", pair.trim())));
        };
        // A third ordinate (Z) is allowed by WKT and ignored; a fourth is not.
        if it.nth(1).is_some() {
            return Err(WktError(format!("bad coordinate pair '{}'", pair.trim())));
        }
        let x: f64 = x
            .parse()
            .map_err(|_| WktError(format!("bad longitude '{x}'")))?;
        let y: f64 = y
            .parse()
            .map_err(|_| WktError(format!("bad latitude '{y}'")))?;
        if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
            return Err(WktError(format!("coordinate ({x} {y}) is off the globe")));
        }
        ring.push((x, y));
    }
    if ring.len() < 4 {
        return Err(WktError("a ring needs at least 4 points".into()));
    }
    if ring.first() != ring.last() {
        return Err(WktError("a ring must end where it starts".into()));
    }
    Ok(ring)
}

fn ring_crosses_itself(ring: &[(f64, f64)]) -> bool {
    let n = ring.len().saturating_sub(1);
    if !(4..=MAX_CHECKED_RING).contains(&n) {
        return false;
    }
    let orient = |a: (f64, f64), b: (f64, f64), c: (f64, f64)| {
        let v = (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0);
        if v > 0.0 {
            1
        } else if v < 0.0 {
            -1
        } else {
            0
        }
    };
    let on = |a: (f64, f64), b: (f64, f64), c: (f64, f64)| {
        c.0 >= a.0.min(b.0) && c.0 <= a.0.max(b.0) && c.1 >= a.1.min(b.1) && c.1 <= a.1.max(b.1)
    };
    let cross = |p1, p2, p3, p4| {
        let (d1, d2, d3, d4) = (
            orient(p3, p4, p1),
            orient(p3, p4, p2),
            orient(p1, p2, p3),
            orient(p1, p2, p4),
        );
        (d1 * d2 < 0 && d3 * d4 < 0)
            || (d1 == 0 && on(p3, p4, p1))
            || (d2 == 0 && on(p3, p4, p2))
            || (d3 == 0 && on(p1, p2, p3))
            || (d4 == 0 && on(p1, p2, p4))
    };
    for i in 0..n {
        for j in i + 2..n {
            // The first and last edges meet at the closing vertex: neighbours.
            if i == 0 && j == n - 1 {
                continue;
            }
            if cross(ring[i], ring[i + 1], ring[j], ring[j + 1]) {
                return true;
            }
        }
    }
    false
}

fn ring_area_m2(ring: &[(f64, f64)], lat0: f64) -> f64 {
    let kx = EARTH_RADIUS_M * lat0.cos() * std::f64::consts::PI / 180.0;
    let ky = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
    let mut sum = 0.0;
    for w in ring.windows(2) {
        let (x1, y1) = (w[0].0 * kx, w[0].1 * ky);
        let (x2, y2) = (w[1].0 * kx, w[1].1 * ky);
        sum += x1 * y2 - x2 * y1;
    }
    sum / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polygons_written_as_wkt_read_back_the_same() {
        let a = Polygon::parse_wkt("POLYGON((-84.1 33.9, -84.0 33.9, -84.0 34.0, -84.1 33.9))")
            .unwrap();
        let b = Polygon::parse_wkt("POLYGON((1 2, 3 2, 3 4, 1 2), (1.5 2.5, 2 2.5, 2 3, 1.5 2.5))")
            .unwrap();
        assert_eq!(Polygon::parse_all(&a.to_wkt()).unwrap(), vec![a.clone()]);
        let both = Polygon::wkt_of_all(&[a.clone(), b.clone()]).unwrap();
        assert!(both.starts_with("MULTIPOLYGON((("), "{both}");
        assert_eq!(Polygon::parse_all(&both).unwrap(), vec![a.clone(), b]);
        assert_eq!(Polygon::wkt_of_all(&[]), None);
        assert_eq!(a.swapped().rings[0][0], (33.9, -84.1));
    }

    #[test]
    fn several_polygons_and_a_point_are_dig_areas() {
        let many = Polygon::parse_all(
            "MULTIPOLYGON(((0 0, 0.001 0, 0.001 0.001, 0 0.001, 0 0)), ((1 1, 1.001 1, 1.001 1.001, 1 1, 1 1), (1.0002 1.0002, 1.0004 1.0002, 1.0004 1.0004, 1.0002 1.0002)), ((2 2, 2.001 2, 2.001 2.001, 2 2)))",
        )
        .unwrap();
        assert_eq!(many.len(), 3);
        assert_eq!(many[1].rings.len(), 2);
        assert_eq!(
            Polygon::parse_all("POLYGON((0 0, 1 0, 1 1, 0 0))")
                .unwrap()
                .len(),
            1
        );
        for bad in [
            "MULTIPOLYGON()",
            "MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0))",
            "MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)) x ((0 0, 1 0, 1 1, 0 0)))",
            "MULTIPOLYGON((0 0, 1 0, 1 1, 0 0))",
        ] {
            assert!(Polygon::parse_all(bad).is_err(), "{bad}");
        }
        let mut l = crate::ticket::Location {
            latitude: Some(37.0),
            longitude: Some(-122.0),
            ..Default::default()
        };
        assert_eq!(
            DigArea::of(&l),
            Some(DigArea::Point {
                lon: -122.0,
                lat: 37.0
            })
        );
        l.polygon_wkt = Some("POLYGON((0 0, 0.01 0, 0.01 0.01, 0 0))".into());
        assert!(matches!(DigArea::of(&l), Some(DigArea::Polygons(p)) if p.len() == 1));
        l.polygon_wkt = Some("garbage".into());
        assert!(matches!(DigArea::of(&l), Some(DigArea::Point { .. })));
        l.latitude = None;
        assert_eq!(DigArea::of(&l), None);
    }

    #[test]
    fn measures_the_emergency_example_block() {
        let p = Polygon::parse_wkt(
            "POLYGON((-122.2341 37.7811,-122.2329 37.7811,-122.2329 37.7801,-122.2341 37.7801,-122.2341 37.7811))",
        )
        .unwrap();
        // 0.0012° of longitude at 37.78° ≈ 105.5 m, 0.001° of latitude ≈ 111.2 m.
        let a = p.area_m2();
        assert!((a - 105.5 * 111.2).abs() < 150.0, "area {a}");
        let (x, y) = p.centroid();
        assert!((x + 122.2335).abs() < 1e-9 && (y - 37.7806).abs() < 1e-9);
    }

    #[test]
    fn holes_are_subtracted() {
        let outer = "(0 0, 0.001 0, 0.001 0.001, 0 0.001, 0 0)";
        let hole = "(0.0002 0.0002, 0.0004 0.0002, 0.0004 0.0004, 0.0002 0.0004, 0.0002 0.0002)";
        let full = Polygon::parse_wkt(&format!("POLYGON({outer})"))
            .unwrap()
            .area_m2();
        let holed = Polygon::parse_wkt(&format!("polygon({outer}, {hole})"))
            .unwrap()
            .area_m2();
        assert!((full - holed - full * 0.04).abs() < 1.0);
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in [
            "",
            "POINT(1 2)",
            "POLYGON(1 2, 3 4)",
            "POLYGON((0 0, 1 0, 1 1))",
            "POLYGON((0 0, 1 0, 1 1, 0 1))",
            "POLYGON((0 0, 1 0, x 1, 0 0))",
            "POLYGON((0 0, 1 0, 1 1, 0 0)",
            "POLYGON((0 0, 1 0, 1 91, 0 0))",
            "POLYGON((0 0, 1 0, 1 1, 0 0)) junk",
        ] {
            assert!(Polygon::parse_wkt(bad).is_err(), "accepted {bad:?}");
        }
    }
}
