//! What is buried around a dig area, drawn: the dig area (white, as proposed excavation is
//! marked in the field) to scale with the facilities within `close_ft` around it in APWA
//! colours, each numbered at its nearest point and listed with its layer, id and distance, the
//! center's own buffered outline when it sent one (dotted), a scale bar in feet and north up.
//! Everything is inline SVG: no tiles, nothing fetched.

use aegis_screening::LocalFrame;
use aegis_workflows::geometry::{DigArea, Polygon};
use aegis_workflows::priority::{ConsequenceWeights, Danger, most_dangerous};
use aegis_workflows::screening::{Category, FacilityClass, Screening};
use aegis_workflows::ticket::Location;
use geo::{ClosestPoint, Coord, Geometry, MapCoords, Point};
use maud::{Markup, html};

use crate::app::facilities::{BuriedNear, NearShape};

const W: f64 = 360.0;
const H: f64 = 300.0;
const PAD: f64 = 14.0;
/// Facilities numbered on the map (and listed) at most; the rest are counted.
const NUMBERED: usize = 12;
/// Around a dig area the map shows at least this much.
const MIN_RADIUS_FT: f64 = 60.0;
const MAX_RADIUS_FT: f64 = 320.0;

/// A round length for the scale bar: about a quarter of the drawing's width.
fn nice(feet: f64) -> f64 {
    let exp = 10f64.powf(feet.max(1.0).log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * exp)
        .take_while(|v| *v <= feet)
        .last()
        .unwrap_or(exp)
}

fn category_line(s: &Screening) -> Markup {
    let (text, class) = match s.category {
        Category::Conflict => ("Conflict: a facility inside its tolerance zone", "conflict"),
        Category::Close => ("Close: facilities within the screening distance", "close"),
        Category::Clear => (
            "Clear: nothing of ours within the screening distance",
            "clear",
        ),
        Category::Unknown => ("Unknown: the map does not say", "unknown"),
    };
    let why = match s.unknown {
        Some(aegis_workflows::screening::Unknown::NoLayer) => " (no facility layer is loaded)",
        Some(aegis_workflows::screening::Unknown::NoGeometry) => " (the ticket has no location)",
        Some(aegis_workflows::screening::Unknown::OutsideCoverage) => {
            " (the dig area is outside the mapped coverage)"
        }
        None => "",
    };
    html! { p class=(format!("screen {class}")) data-screening=(s.category.as_str()) { strong { (text) } (why) } }
}

/// The center's buffered outline of the dig area (Open Ticket's `bufferedWkt`), when it sent
/// one that reads.
pub fn center_buffer(location: &Location) -> Vec<Polygon> {
    location
        .buffer_wkt
        .as_deref()
        .and_then(|w| Polygon::parse_all(w).ok())
        .unwrap_or_default()
}

/// The section: the verdict, the most dangerous facility, the map and its legend, or why
/// there is no map.
pub fn section(
    location: &Location,
    near: Option<&BuriedNear>,
    weights: &ConsequenceWeights,
) -> Markup {
    let area = DigArea::of(location);
    let buffer = center_buffer(location);
    let danger = near.and_then(|n| most_dangerous(&n.screening, weights));
    let ordered = near.map(|n| danger_first(&n.facilities, danger.as_ref()));
    html! {
        @match near {
            Some(n) => (category_line(&n.screening)),
            None => p class="note" { "Not screened yet." },
        }
        @if let Some(d) = &danger {
            p class=(if d.in_zone { "danger conflict" } else { "danger" }) data-danger=(d.layer.class.as_str()) {
                "Most dangerous: " strong { (d.in_words()) } " (" (d.layer.name) ")"
            }
        }
        @match &area {
            Some(a) => (map(a, &buffer, ordered.as_deref().unwrap_or(&[]))),
            None => p class="note" data-no-place { (no_place(location)) },
        }
        @if let Some(n) = near {
            (layers_table(n))
        }
    }
}

/// Why a ticket has nothing to map, in the ticket's own terms.
fn no_place(l: &Location) -> String {
    match (l.latitude, l.longitude) {
        (Some(lat), Some(lon)) if !(-90.0..=90.0).contains(&lat) => format!(
            "Nothing to map: the ticket's latitude {lat} is beyond ±90 (longitude {lon}), and it draws no dig area that reads."
        ),
        (Some(lat), Some(lon)) if !(-180.0..=180.0).contains(&lon) => format!(
            "Nothing to map: the ticket's longitude {lon} is beyond ±180 (latitude {lat}), and it draws no dig area that reads."
        ),
        (Some(_), None) | (None, Some(_)) => {
            "Nothing to map: the ticket gives only half a point (latitude or longitude) and no dig area that reads.".into()
        }
        _ if l.polygon_wkt.is_some() => {
            "Nothing to map: the ticket's dig area does not read (see its problems) and it gives no point.".into()
        }
        _ => "Nothing to map: the ticket gives no point or dig area, only words.".into(),
    }
}

/// The facilities as the map numbers them: the most dangerous first, then every transmission
/// line (however far down their distance puts them), then the rest by distance.
fn danger_first(near: &[NearShape], danger: Option<&Danger<'_>>) -> Vec<NearShape> {
    let first = danger.and_then(|d| near.iter().position(|f| f.layer == d.layer.name));
    let transmission = |f: &NearShape| {
        matches!(
            f.class,
            FacilityClass::GasTransmission | FacilityClass::ElectricTransmission
        )
    };
    let mut out: Vec<NearShape> = first.map(|i| near[i].clone()).into_iter().collect();
    let rest = near.iter().enumerate().filter(|(i, _)| Some(*i) != first);
    let (lines, others): (Vec<_>, Vec<_>) = rest.partition(|(_, f)| transmission(f));
    out.extend(lines.into_iter().chain(others).map(|(_, f)| f.clone()));
    out
}

fn layers_table(n: &BuriedNear) -> Markup {
    html! {
        @if !n.screening.layers.is_empty() {
            table class="queue layers" {
                thead { tr { th scope="col" { "Layer" } th scope="col" { "Nearest" } th scope="col" { "In zone" } } }
                tbody {
                    @for l in &n.screening.layers {
                        tr {
                            td { span class="swatch" style=(format!("background:{}", l.class.apwa_colour())) {} " " (l.name) " v" (l.version) }
                            td { @match l.nearest_ft { Some(d) => (feet(d)), None => "—" } }
                            td { (l.within_buffer) " within " (feet(l.buffer_ft)) }
                        }
                    }
                }
            }
        }
    }
}

fn feet(d: f64) -> String {
    if d >= 5_280.0 {
        format!("{:.1} mi", d / 5_280.0)
    } else {
        format!("{d:.0} ft")
    }
}

/// The dig area in feet around its anchor, and a point of it (for nearest points).
fn local_area(area: &DigArea, frame: &LocalFrame) -> (Vec<Vec<Coord<f64>>>, Point<f64>) {
    match area {
        DigArea::Point { lon, lat } => {
            let (x, y) = frame.feet(*lon, *lat);
            (Vec::new(), Point::new(x, y))
        }
        DigArea::Polygons(ps) => {
            let rings: Vec<Vec<Coord<f64>>> = ps
                .iter()
                .flat_map(|p| p.rings.iter())
                .map(|r| {
                    r.iter()
                        .map(|(lon, lat)| {
                            let (x, y) = frame.feet(*lon, *lat);
                            Coord { x, y }
                        })
                        .collect()
                })
                .collect();
            let n = rings.iter().map(Vec::len).sum::<usize>().max(1) as f64;
            let (sx, sy) = rings
                .iter()
                .flatten()
                .fold((0.0, 0.0), |(a, b), c| (a + c.x, b + c.y));
            (rings, Point::new(sx / n, sy / n))
        }
    }
}

struct Drawn {
    class: FacilityClass,
    geometry: Geometry<f64>,
    marker: Option<Point<f64>>,
}

/// The drawing's projection: feet around the dig area to SVG pixels, north up.
struct View {
    cx: f64,
    cy: f64,
    scale: f64,
    radius: f64,
}

impl View {
    /// The view that holds the dig area (and the center's outline) and the numbered
    /// facilities' nearest points, with room around.
    fn around(points: impl Iterator<Item = (f64, f64)>) -> Self {
        let (mut minx, mut maxx, mut miny, mut maxy) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (x, y) in points {
            (minx, maxx) = (minx.min(x), maxx.max(x));
            (miny, maxy) = (miny.min(y), maxy.max(y));
        }
        let (cx, cy) = ((minx + maxx) / 2.0, (miny + maxy) / 2.0);
        let radius =
            ((maxx - minx).max(maxy - miny) / 2.0 * 1.35).clamp(MIN_RADIUS_FT, MAX_RADIUS_FT);
        let scale = ((W - 2.0 * PAD) / (2.0 * radius)).min((H - 3.0 * PAD) / (2.0 * radius));
        Self {
            cx,
            cy,
            scale,
            radius,
        }
    }

    fn x(&self, x: f64) -> f64 {
        W / 2.0 + (x - self.cx) * self.scale
    }

    /// SVG's y grows downwards.
    fn y(&self, y: f64) -> f64 {
        (H - PAD) / 2.0 + (self.cy - y) * self.scale
    }

    fn path(&self, cs: &[Coord<f64>], close: bool) -> String {
        let mut d = String::new();
        for (i, c) in cs.iter().enumerate() {
            let op = if i == 0 { "M" } else { "L" };
            d.push_str(&format!("{op}{:.1},{:.1} ", self.x(c.x), self.y(c.y)));
        }
        if close {
            d.push('Z');
        }
        d
    }

    fn rings(&self, rings: &[Vec<Coord<f64>>]) -> String {
        rings
            .iter()
            .map(|r| self.path(r, true))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The facilities in feet around the dig area, the first [`NUMBERED`] with a marker at their
/// point nearest to it.
fn drawn(near: &[NearShape], frame: &LocalFrame, centre: Point<f64>) -> Vec<Drawn> {
    near.iter()
        .enumerate()
        .map(|(i, f)| {
            let geometry = f.geometry.map_coords(|c| {
                let (x, y) = frame.feet(c.x, c.y);
                Coord { x, y }
            });
            let marker = (i < NUMBERED).then(|| match geometry.closest_point(&centre) {
                geo::Closest::Intersection(p) | geo::Closest::SinglePoint(p) => p,
                geo::Closest::Indeterminate => centre,
            });
            Drawn {
                class: f.class,
                geometry,
                marker,
            }
        })
        .collect()
}

fn map(area: &DigArea, buffer: &[Polygon], near: &[NearShape]) -> Markup {
    let (lon0, lat0) = area.anchor();
    let frame = LocalFrame::at(lon0, lat0);
    let (rings, centre) = local_area(area, &frame);
    let buffer_rings = if buffer.is_empty() {
        Vec::new()
    } else {
        local_area(&DigArea::Polygons(buffer.to_vec()), &frame).0
    };
    let drawn = drawn(near, &frame, centre);
    let points = rings
        .iter()
        .chain(&buffer_rings)
        .flatten()
        .map(|c| (c.x, c.y))
        .chain([(centre.x(), centre.y())])
        .chain(
            drawn
                .iter()
                .filter_map(|d| d.marker)
                .map(|m| (m.x(), m.y())),
        );
    let view = View::around(points);
    let dig = DigDrawing {
        area: view.rings(&rings),
        buffer: view.rings(&buffer_rings),
        centre,
    };
    let label = format!(
        "Map of the dig area and {} facilit{} within the screening distance; north is up",
        near.len(),
        if near.len() == 1 { "y" } else { "ies" }
    );
    html! {
        (svg(&view, &dig, &drawn, &label))
        @if !dig.buffer.is_empty() {
            p class="note" { "Dotted: the call center's buffered outline of the dig area." }
        }
        (legend(near, &drawn))
    }
}

/// The dig area as drawn: its outline (empty for a point), the center's, and its middle.
struct DigDrawing {
    area: String,
    buffer: String,
    centre: Point<f64>,
}

fn svg(view: &View, dig: &DigDrawing, drawn: &[Drawn], label: &str) -> Markup {
    let mut shapes = Vec::new();
    for d in drawn {
        let width = match d.class {
            FacilityClass::GasTransmission | FacilityClass::ElectricTransmission => 7.0,
            FacilityClass::GasService => 2.0,
            _ => 3.0,
        };
        shape(&d.geometry, view, d.class.apwa_colour(), width, &mut shapes);
    }
    let bar_ft = nice(view.radius / 2.0);
    let bar_px = bar_ft * view.scale;
    let (cx, cy) = (
        format!("{:.1}", view.x(dig.centre.x())),
        format!("{:.1}", view.y(dig.centre.y())),
    );
    html! {
        svg class="facility-map" viewBox=(format!("0 0 {W} {H}")) width="100%" role="img" aria-label=(label) {
            defs { clipPath id="map-clip" { rect x="0" y="0" width=(W) height=(H) {} } }
            rect x="0" y="0" width=(W) height=(H) fill="#1b2026" {}
            g clip-path="url(#map-clip)" {
                @for s in &shapes { (s) }
                @if !dig.buffer.is_empty() {
                    path class="center-buffer" d=(dig.buffer) fill="none" stroke="#ffffffaa" stroke-width="1.5" stroke-dasharray="2 4" fill-rule="evenodd" {}
                }
                @if dig.area.is_empty() {
                    circle cx=(cx) cy=(cy) r="7" fill="none" stroke="#ffffff" stroke-width="2.5" {}
                    circle cx=(cx) cy=(cy) r="2" fill="#ffffff" {}
                } @else {
                    path d=(dig.area) fill="#ffffff22" stroke="#ffffff" stroke-width="2.5" stroke-dasharray="6 4" fill-rule="evenodd" {}
                }
                (markers(view, drawn))
            }
            rect x=(PAD - 4.0) y=(H - PAD - 14.0) width=(bar_px + 60.0) height="20" fill="#1b2026cc" {}
            line x1=(PAD) y1=(H - PAD) x2=(PAD + bar_px) y2=(H - PAD) stroke="#eef1f4" stroke-width="3" {}
            text x=(PAD + bar_px + 6.0) y=(H - PAD + 4.0) fill="#eef1f4" font-size="12" { (format!("{bar_ft} ft")) }
            text x=(W - PAD - 10.0) y=(PAD + 10.0) fill="#b8c2cc" font-size="12" { "N↑" }
        }
    }
}

/// Each numbered facility's number at its point nearest the dig area.
fn markers(view: &View, drawn: &[Drawn]) -> Markup {
    html! {
        @for (i, d) in drawn.iter().enumerate() {
            @if let Some(m) = d.marker {
                g class="marker" {
                    circle cx=(format!("{:.1}", view.x(m.x()))) cy=(format!("{:.1}", view.y(m.y()))) r="11" fill="#111418" stroke=(d.class.apwa_colour()) stroke-width="2" {}
                    text x=(format!("{:.1}", view.x(m.x()))) y=(format!("{:.1}", view.y(m.y()) + 4.5)) text-anchor="middle" font-size="13" font-weight="700" fill="#eef1f4" { (i + 1) }
                    @if matches!(d.class, FacilityClass::GasTransmission | FacilityClass::ElectricTransmission) {
                        text class="line-label" x=(format!("{:.1}", view.x(m.x()) + 14.0)) y=(format!("{:.1}", view.y(m.y()) - 8.0)) font-size="12" font-weight="700" fill=(d.class.apwa_colour()) stroke="#111418" stroke-width="3" paint-order="stroke" {
                            (d.class.as_str().replace('_', " ").to_uppercase())
                        }
                    }
                }
            }
        }
    }
}

/// The numbered facilities listed under the map, and how many more there are.
fn legend(near: &[NearShape], drawn: &[Drawn]) -> Markup {
    let listed = drawn.iter().filter(|d| d.marker.is_some()).count();
    html! {
        @if listed > 0 {
            ol class="near" {
                @for (f, _) in near.iter().zip(drawn).filter(|(_, d)| d.marker.is_some()) {
                    li {
                        span class="swatch" style=(format!("background:{}", f.class.apwa_colour())) {}
                        " " strong { (feet(f.distance_ft)) } " · " (f.layer) " · " (f.id)
                    }
                }
            }
            @if near.len() > listed {
                p class="note" { (near.len() - listed) " more within the screening distance (see the layers below)." }
            }
        }
    }
}

/// Appends the SVG of one facility.
fn shape(g: &Geometry<f64>, view: &View, colour: &str, width: f64, out: &mut Vec<Markup>) {
    match g {
        Geometry::Point(p) => out.push(html! {
            circle cx=(format!("{:.1}", view.x(p.x()))) cy=(format!("{:.1}", view.y(p.y()))) r="5" fill=(colour) {}
        }),
        Geometry::MultiPoint(mp) => {
            for p in mp {
                shape(&Geometry::Point(*p), view, colour, width, out);
            }
        }
        Geometry::LineString(l) => out.push(html! {
            path d=(view.path(&l.0, false)) fill="none" stroke=(colour) stroke-width=(width) stroke-linecap="round" {}
        }),
        Geometry::MultiLineString(ml) => {
            for l in ml {
                shape(&Geometry::LineString(l.clone()), view, colour, width, out);
            }
        }
        Geometry::Polygon(p) => {
            let d: String = std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(|r| view.path(&r.0, true))
                .collect::<Vec<_>>()
                .join(" ");
            out.push(html! {
                path d=(d) fill=(format!("{colour}55")) stroke=(colour) stroke-width="2" fill-rule="evenodd" {}
            });
        }
        Geometry::MultiPolygon(mp) => {
            for p in mp {
                shape(&Geometry::Polygon(p.clone()), view, colour, width, out);
            }
        }
        Geometry::GeometryCollection(gc) => {
            for g in gc {
                shape(g, view, colour, width, out);
            }
        }
        Geometry::Line(l) => shape(
            &Geometry::LineString(geo::LineString::from(vec![l.start, l.end])),
            view,
            colour,
            width,
            out,
        ),
        Geometry::Rect(r) => shape(&Geometry::Polygon(r.to_polygon()), view, colour, width, out),
        Geometry::Triangle(t) => {
            shape(&Geometry::Polygon(t.to_polygon()), view, colour, width, out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_bars_are_round() {
        assert_eq!(nice(37.0), 20.0);
        assert_eq!(nice(120.0), 100.0);
        assert_eq!(nice(260.0), 200.0);
    }

    #[test]
    fn a_main_beside_a_point_is_drawn_in_its_colour_numbered_and_listed() {
        let area = DigArea::Point {
            lon: -122.0311,
            lat: 37.9779,
        };
        let frame = LocalFrame::at(-122.0311, 37.9779);
        let (dlon, _) = frame.degrees_for(1.0);
        let main = NearShape {
            layer: "gas-mains".into(),
            version: 3,
            class: FacilityClass::GasDistribution,
            id: "M-1".into(),
            distance_ft: 120.0,
            geometry: Geometry::LineString(geo::LineString::from(vec![
                (-122.0311 + 120.0 * dlon, 37.97),
                (-122.0311 + 120.0 * dlon, 37.99),
            ])),
        };
        let svg = map(&area, &[], std::slice::from_ref(&main)).into_string();
        assert!(svg.contains("stroke=\"#FFD100\""), "gas is yellow: {svg}");
        assert!(svg.contains(">1</text>"), "numbered: {svg}");
        assert!(svg.contains("120 ft</strong> · gas-mains · M-1"), "{svg}");
        assert!(svg.contains(" ft</text>"), "a scale bar in feet: {svg}");
        assert!(!svg.contains("http"), "nothing fetched: {svg}");
        assert!(!svg.contains("center-buffer"), "no buffer was sent: {svg}");
    }

    #[test]
    fn the_centers_buffer_is_drawn_dotted_around_the_dig_area_and_said_to_be_its() {
        let dig = Polygon::parse_wkt(
            "POLYGON((-122.0312 37.9778, -122.0310 37.9778, -122.0310 37.9780, -122.0312 37.9778))",
        )
        .unwrap();
        let buffer = Polygon::parse_wkt(
            "POLYGON((-122.0316 37.9774, -122.0306 37.9774, -122.0306 37.9784, -122.0316 37.9784, -122.0316 37.9774))",
        )
        .unwrap();
        let location = Location {
            buffer_wkt: Some(buffer.to_wkt()),
            ..Location::default()
        };
        assert_eq!(center_buffer(&location), vec![buffer.clone()]);
        assert!(center_buffer(&Location::default()).is_empty());
        let svg = map(&DigArea::Polygons(vec![dig]), &[buffer], &[]).into_string();
        assert!(svg.contains("class=\"center-buffer\""), "{svg}");
        assert!(svg.contains("stroke-dasharray=\"2 4\""), "dotted: {svg}");
        assert!(svg.contains("buffered outline"), "{svg}");
    }
}
