//! The work site: its address, its polygons (WKT, one or several, with stray text; else
//! GeoJSON), its buffered outline and its point, each checked for coordinates written latitude
//! first.

use aegis_workflows::Problem;
use aegis_workflows::geometry::Polygon;
use aegis_workflows::ticket::Location;
use serde_json::{Map, Value};

use super::{Reader, geojson};
use crate::formats::lenient_json::{field, number_of, section, text, text_of, texts_of};

impl Reader<'_> {
    pub(super) fn location(&mut self) -> Location {
        let site = section(self.doc, &["workSite", "worksite"]);
        let get = |names: &[&str]| site.and_then(|s| text(s, names));
        let address = get(&["fullAddress"]).or_else(|| {
            let parts: Vec<String> = [
                "addressNumber",
                "addressPrefix",
                "addressStreetName",
                "addressStreetType",
                "addressSuffix",
            ]
            .iter()
            .filter_map(|k| get(&[k]))
            .collect();
            // A number and a street type are not an address without the street's name.
            get(&["addressStreetName"])
                .is_some()
                .then(|| parts.join(" "))
        });
        let country = get(&["countryCode"]).map(|c| c.to_ascii_uppercase());
        let state = get(&["stateProvince", "state"]).map(|s| s.to_ascii_uppercase());
        let geo = section(self.doc, &["geography", "geometry"]);
        let (mut areas, mut buffers) = match geo {
            Some(g) => (
                self.polygons(g, "workSite", &["workSiteWkt", "workSiteArea"]),
                self.polygons(g, "buffered", &["bufferedWkt", "bufferedArea"]),
            ),
            None => (Vec::new(), Vec::new()),
        };
        // GeoJSON stands in for the WKT only where the WKT gives nothing: a center may send
        // either, and where it sends both the specification makes them the same shapes.
        let mut geojson_points = Vec::new();
        if let Some(g) = geo
            && areas.is_empty()
            && let Some(section) = field(g, &["geoJson"])
        {
            let shapes = self.geojson(section);
            areas = shapes.sites;
            if buffers.is_empty() {
                buffers = shapes.buffers;
            }
            geojson_points = shapes.points;
        }
        if let Some(srid) = geo.and_then(|g| field(g, &["srid"])).and_then(number_of)
            && srid != 4326.0
            && srid != 4269.0
        {
            self.warn(
                "geography.srid",
                "unknown_value",
                format!("srid {srid} is neither 4326 (WGS 84) nor 4269 (NAD 83): coordinates read as longitude and latitude in degrees"),
            );
        }
        let (mut latitude, mut longitude) = geo.map_or((None, None), |g| {
            self.point(g, &areas, country.as_deref(), state.as_deref())
        });
        // Without corners, a site the GeoJSON gives as a point is the ticket's point (a site
        // given by polygons alone is anchored by them, as for every format: `DigArea`).
        if latitude.is_none()
            && let Some(&(lon, lat)) = geojson_points.first()
        {
            (latitude, longitude) = (Some(lat), Some(lon));
        }
        Location {
            state,
            county: get(&["county"]),
            city: get(&["place", "city"]),
            address,
            cross_street: get(&["intersection"]),
            latitude,
            longitude,
            polygon_wkt: Polygon::wkt_of_all(&areas),
            buffer_wkt: Polygon::wkt_of_all(&buffers),
        }
    }

    /// The polygons under the first of `names` (one WKT text or an array of them): each read
    /// up to the end of its geometry; one that does not read is a warning and left out; one
    /// written latitude first is turned around.
    pub(super) fn polygons(
        &mut self,
        geo: &Map<String, Value>,
        what: &str,
        names: &[&str],
    ) -> Vec<Polygon> {
        let mut out = Vec::new();
        for (i, raw) in texts_of(field(geo, names)).iter().enumerate() {
            let path = format!("geography.{what}Wkt[{i}]");
            let (wkt, stray) = geometry_text(raw);
            if !stray.is_empty() {
                let shown: String = stray.chars().take(40).collect();
                self.warn(
                    &path,
                    "invalid_format",
                    format!("{path} has text after its geometry ('{shown}'): ignored"),
                );
            }
            match Polygon::parse_all(wkt) {
                Ok(ps) => {
                    for p in ps {
                        let (p, swapped) = longitude_first(p);
                        if swapped {
                            self.warn(
                                &path,
                                "swapped_coordinates",
                                format!(
                                    "{path} is written latitude first: read the other way round"
                                ),
                            );
                        }
                        out.push(p);
                    }
                }
                Err(e) => self.warn(
                    &path,
                    "invalid_format",
                    format!("{path} is not a polygon Aegis can read ({e}): left out"),
                ),
            }
        }
        out
    }

    /// The shapes of `geometry.geoJson`, each polygon written latitude first turned around;
    /// a feature Aegis cannot use is a warning.
    pub(super) fn geojson(&mut self, section: &Value) -> geojson::Shapes {
        let mut shapes = geojson::read(section);
        for why in std::mem::take(&mut shapes.left_out) {
            self.warn(
                "geography.geoJson",
                "invalid_format",
                format!("geography.geoJson: {why}: left out"),
            );
        }
        let mut swapped = false;
        for list in [&mut shapes.sites, &mut shapes.buffers] {
            *list = std::mem::take(list)
                .into_iter()
                .map(|p| {
                    let (p, s) = longitude_first(p);
                    swapped |= s;
                    p
                })
                .collect();
        }
        for pt in &mut shapes.points {
            let (lon, lat, s) = unswap(pt.0, pt.1, &shapes.sites, false);
            *pt = (lon, lat);
            swapped |= s;
        }
        if swapped {
            self.warn(
                "geography.geoJson",
                "swapped_coordinates",
                "geography.geoJson has positions written latitude first: read the other way round",
            );
        }
        shapes
    }

    /// The work site's point: the middle of the corners the center gives (`longitude`,
    /// `latitude` and the secondary pair), each checked for being swapped.
    pub(super) fn point(
        &mut self,
        g: &Map<String, Value>,
        areas: &[Polygon],
        country: Option<&str>,
        state: Option<&str>,
    ) -> (Option<f64>, Option<f64>) {
        let mut num = |name: &str| -> Option<f64> {
            let v = field(g, &[name])?;
            let n = number_of(v);
            if n.is_none() && text_of(v).is_some() {
                self.problems.push(Problem::new(
                    format!("geography.{name}"),
                    "invalid_format",
                    format!("geography.{name} {v} is not a number"),
                ));
            }
            n
        };
        let first = num("longitude").zip(num("latitude"));
        let second = num("secondaryLongitude").zip(num("secondaryLatitude"));
        let north_american = matches!(country, Some("US" | "CA" | "MX"))
            || (country.is_none() && state.is_some_and(|s| s.len() == 2));
        let mut corners = Vec::new();
        let mut swapped = false;
        for (lon, lat) in [first, second].into_iter().flatten() {
            let (lon, lat, s) = unswap(lon, lat, areas, north_american);
            swapped |= s;
            corners.push((lon, lat));
        }
        if swapped {
            self.warn(
                "geography.latitude",
                "swapped_coordinates",
                "geography's latitude and longitude are swapped (by their ranges, the work site's polygon or its country): read the other way round",
            );
        }
        let valid = |&(lon, lat): &(f64, f64)| {
            (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)
        };
        match corners.as_slice() {
            [a, b]
                if valid(a) && valid(b) && (a.0 - b.0).abs() < 0.5 && (a.1 - b.1).abs() < 0.5 =>
            {
                (Some((a.1 + b.1) / 2.0), Some((a.0 + b.0) / 2.0))
            }
            [a, ..] => (Some(a.1), Some(a.0)),
            [] => (None, None),
        }
    }
}

/// The geometry at the start of `raw` (up to the parenthesis that closes it) and whatever
/// follows it.
pub(super) fn geometry_text(raw: &str) -> (&str, &str) {
    let mut depth = 0usize;
    let mut opened = false;
    for (i, c) in raw.char_indices() {
        match c {
            '(' => {
                depth += 1;
                opened = true;
            }
            ')' => {
                depth = depth.saturating_sub(1);
                if opened && depth == 0 {
                    let end = i + c.len_utf8();
                    return (&raw[..end], raw[end..].trim());
                }
            }
            _ => {}
        }
    }
    (raw, "")
}

/// A polygon whose every vertex reads as (latitude, longitude) in North America, or whose
/// first coordinates are beyond ±90 only as latitudes could not be: written latitude first.
fn latitude_first(p: &Polygon) -> bool {
    let pts = || p.rings.iter().flatten();
    let mut any = false;
    let mut all_plausible_swapped = true;
    let mut out_of_range = false;
    for &(x, y) in pts() {
        any = true;
        out_of_range |= y.abs() > 90.0;
        all_plausible_swapped &= (5.0..=85.0).contains(&x) && (-180.0..=-50.0).contains(&y);
    }
    any && (all_plausible_swapped
        || (out_of_range && pts().all(|&(x, y)| x.abs() <= 90.0 && y.abs() <= 180.0)))
}

/// The polygon longitude first, and whether it had to be turned round.
fn longitude_first(p: Polygon) -> (Polygon, bool) {
    if latitude_first(&p) {
        (p.swapped(), true)
    } else {
        (p, false)
    }
}

/// The point as longitude and latitude, and whether it was swapped: by the ranges (a
/// "latitude" beyond ±90), by the ticket's own polygon (the swapped point lies at it, the given
/// one does not), or by the continent (a North American site with a positive longitude and a
/// negative latitude).
fn unswap(lon: f64, lat: f64, areas: &[Polygon], north_american: bool) -> (f64, f64, bool) {
    if lat.abs() > 90.0 && lon.abs() <= 90.0 {
        return (lat, lon, true);
    }
    if !areas.is_empty() {
        let near = |x: f64, y: f64| {
            areas.iter().any(|p| {
                let (cx, cy) = p.centroid();
                (cx - x).abs() < 0.5 && (cy - y).abs() < 0.5
            })
        };
        if !near(lon, lat) && near(lat, lon) {
            return (lat, lon, true);
        }
        return (lon, lat, false);
    }
    if north_american && lon > 0.0 && lat < 0.0 {
        return (lat, lon, true);
    }
    (lon, lat, false)
}
