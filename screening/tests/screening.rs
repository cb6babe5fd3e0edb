//! Screening with geometry known by construction. Offsets in feet are turned into degrees with
//! the geodesists' series for the length of a degree (not the closed form the screening's own
//! plane uses), so an expected distance is never the code's own output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use aegis_screening::{Facility, LayerIndex, LayerMeta, ScreeningSet};
use aegis_workflows::geometry::{DigArea, Polygon as DigPolygon};
use aegis_workflows::screening::{Category, FacilityClass, Unknown};
use geo::{Geometry, LineString, Point, Polygon, coord};
use proptest::prelude::*;

/// Where the tests dig: Walnut Creek, California.
const LON0: f64 = -122.0311;
const LAT0: f64 = 37.9779;

fn metres_per_degree_lat(phi: f64) -> f64 {
    let p = phi.to_radians();
    111_132.954 - 559.822 * (2.0 * p).cos() + 1.175 * (4.0 * p).cos()
}

fn metres_per_degree_lon(phi: f64) -> f64 {
    let p = phi.to_radians();
    111_412.84 * p.cos() - 93.5 * (3.0 * p).cos() + 0.118 * (5.0 * p).cos()
}

/// The point `east` and `north` feet from the origin.
fn at(east: f64, north: f64) -> (f64, f64) {
    (
        LON0 + east * 0.3048 / metres_per_degree_lon(LAT0),
        LAT0 + north * 0.3048 / metres_per_degree_lat(LAT0),
    )
}

fn line(points: &[(f64, f64)]) -> Geometry<f64> {
    Geometry::LineString(LineString::from(
        points
            .iter()
            .map(|(e, n)| {
                let (x, y) = at(*e, *n);
                coord! { x: x, y: y }
            })
            .collect::<Vec<_>>(),
    ))
}

fn point(e: f64, n: f64) -> Geometry<f64> {
    let (x, y) = at(e, n);
    Geometry::Point(Point::new(x, y))
}

fn square(cx: f64, cy: f64, half: f64) -> Vec<(f64, f64)> {
    vec![
        (cx - half, cy - half),
        (cx + half, cy - half),
        (cx + half, cy + half),
        (cx - half, cy + half),
        (cx - half, cy - half),
    ]
}

fn polygon_geometry(ring: &[(f64, f64)]) -> Geometry<f64> {
    Geometry::Polygon(Polygon::new(
        LineString::from(
            ring.iter()
                .map(|(e, n)| {
                    let (x, y) = at(*e, *n);
                    coord! { x: x, y: y }
                })
                .collect::<Vec<_>>(),
        ),
        vec![],
    ))
}

fn dig(rings: &[Vec<(f64, f64)>]) -> DigArea {
    DigArea::Polygons(
        rings
            .iter()
            .map(|r| DigPolygon {
                rings: vec![r.iter().map(|(e, n)| at(*e, *n)).collect()],
            })
            .collect(),
    )
}

fn dig_point(e: f64, n: f64) -> DigArea {
    let (lon, lat) = at(e, n);
    DigArea::Point { lon, lat }
}

fn layer(name: &str, class: FacilityClass, facilities: Vec<Geometry<f64>>) -> Arc<LayerIndex> {
    let facilities = facilities
        .into_iter()
        .enumerate()
        .map(|(i, geometry)| Facility {
            id: format!("{name}-{i}"),
            geometry,
            attributes: format!("{{\"material\": \"m{i}\"}}").into(),
        })
        .collect();
    Arc::new(
        LayerIndex::build(
            LayerMeta {
                name: name.into(),
                version: 1,
                class,
                buffer_ft: class.default_buffer_ft(),
                close_ft: 250.0,
            },
            facilities,
        )
        .unwrap(),
    )
}

fn set(layers: Vec<Arc<LayerIndex>>) -> ScreeningSet {
    ScreeningSet {
        layers,
        coverage: None,
    }
}

/// A main running east–west 300 ft north of the origin, 2,000 ft long, and a far-away one so
/// the layer's extent covers the tests' dig areas.
fn main_300_north() -> Arc<LayerIndex> {
    layer(
        "gas",
        FacilityClass::GasDistribution,
        vec![
            line(&[(-1_000.0, 300.0), (1_000.0, 300.0)]),
            line(&[(-3_000.0, -3_000.0), (-2_990.0, -3_000.0)]),
        ],
    )
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn a_point_300_ft_from_a_main_is_300_ft_from_it() {
    let s = set(vec![main_300_north()]).screen(Some(&dig_point(0.0, 0.0)));
    let l = &s.layers[0];
    assert!(close(l.nearest_ft.unwrap(), 300.0, 0.5), "{l:?}");
    assert_eq!(l.facilities.len(), 0, "300 ft is beyond close_ft 250");
    assert_eq!(s.category, Category::Clear);
    let s = set(vec![main_300_north()]).screen(Some(&dig_point(200.0, 100.0)));
    let l = &s.layers[0];
    assert!(close(l.nearest_ft.unwrap(), 200.0, 0.5), "{l:?}");
    assert_eq!(l.facilities[0].id, "gas-0");
    assert_eq!(l.facilities[0].attributes["material"], "m0");
    assert_eq!(s.category, Category::Close);
}

#[test]
fn distances_within_a_thousand_feet_are_right_to_a_foot_in_every_direction() {
    // A facility that is a point, at known offsets: the distance is the hypotenuse.
    for (e, n) in [
        (0.0, 999.0),
        (999.0, 0.0),
        (-600.0, 800.0),
        (700.0, -700.0),
        (3.0, 4.0),
    ] {
        let l = layer(
            "poles",
            FacilityClass::ElectricDistribution,
            vec![
                point(e, n),
                point(-3_000.0, -3_000.0),
                point(3_000.0, 3_000.0),
            ],
        );
        let s = set(vec![l]).screen(Some(&dig_point(0.0, 0.0)));
        let expected = (e * e + n * n).sqrt();
        assert!(
            close(s.layers[0].nearest_ft.unwrap(), expected, 1.0),
            "({e}, {n}): {:?} vs {expected}",
            s.layers[0].nearest_ft
        );
    }
}

#[test]
fn a_dig_area_crossing_a_main_is_in_conflict() {
    let area = dig(&[square(0.0, 300.0, 50.0)]);
    let s = set(vec![main_300_north()]).screen(Some(&area));
    assert_eq!(s.layers[0].nearest_ft, Some(0.0));
    assert_eq!(s.layers[0].within_buffer, 1);
    assert_eq!(s.category, Category::Conflict);
}

#[test]
fn a_point_exactly_on_a_line_is_zero_feet_from_it() {
    let l = layer(
        "water",
        FacilityClass::Water,
        vec![
            line(&[(-100.0, 0.0), (100.0, 0.0)]),
            point(-3_000.0, -3_000.0),
        ],
    );
    let s = set(vec![l]).screen(Some(&dig_point(0.0, 0.0)));
    assert!(close(s.layers[0].nearest_ft.unwrap(), 0.0, 0.2), "{s:?}");
    assert_eq!(s.category, Category::Conflict);
}

#[test]
fn a_polygon_around_a_whole_facility_touches_it() {
    // A short service line wholly inside a large dig area.
    let l = layer(
        "services",
        FacilityClass::GasService,
        vec![
            line(&[(-10.0, 0.0), (10.0, 0.0)]),
            point(-3_000.0, -3_000.0),
            point(3_000.0, 3_000.0),
        ],
    );
    let s = set(vec![l]).screen(Some(&dig(&[square(0.0, 0.0, 400.0)])));
    assert_eq!(s.layers[0].nearest_ft, Some(0.0), "{s:?}");
    assert_eq!(s.category, Category::Conflict);
}

#[test]
fn a_dig_area_inside_a_fenced_station_touches_the_station() {
    // The station's fence is 2,000 ft across: its boundary is far, yet the dig is inside it.
    let station = polygon_geometry(&square(0.0, 0.0, 1_000.0));
    let l = layer(
        "station",
        FacilityClass::ElectricTransmission,
        vec![station],
    );
    let s = set(vec![l]).screen(Some(&dig(&[square(0.0, 0.0, 20.0)])));
    assert_eq!(s.layers[0].nearest_ft, Some(0.0), "{s:?}");
    assert_eq!(s.category, Category::Conflict);
    let l = layer(
        "station",
        FacilityClass::ElectricTransmission,
        vec![polygon_geometry(&square(0.0, 0.0, 1_000.0))],
    );
    let s = set(vec![l]).screen(Some(&dig_point(10.0, 10.0)));
    assert_eq!(s.layers[0].nearest_ft, Some(0.0));
}

#[test]
fn a_ticket_with_three_polygons_is_as_near_as_its_nearest_polygon() {
    let area = dig(&[
        square(-2_000.0, -2_000.0, 10.0),
        square(0.0, 120.0, 10.0),
        square(-2_000.0, 200.0, 10.0),
    ]);
    let s = set(vec![main_300_north()]).screen(Some(&area));
    // The middle square's top edge is at 130 ft north: 170 ft from the main.
    assert!(close(s.layers[0].nearest_ft.unwrap(), 170.0, 0.5), "{s:?}");
    assert_eq!(s.category, Category::Close);
}

#[test]
fn the_tolerance_zone_makes_a_conflict_and_close_ft_a_close() {
    let l = main_300_north();
    for (north, category) in [
        (280.0, Category::Conflict),
        (275.5, Category::Conflict),
        (274.0, Category::Close),
        (100.0, Category::Close),
        (40.0, Category::Clear),
    ] {
        let s = set(vec![l.clone()]).screen(Some(&dig_point(0.0, north)));
        assert_eq!(
            s.category, category,
            "at {north}: {:?}",
            s.layers[0].nearest_ft
        );
    }
}

#[test]
fn every_layer_is_screened_and_the_worst_decides() {
    let gas = main_300_north();
    let telecom = layer(
        "fibre",
        FacilityClass::Telecom,
        vec![line(&[(-500.0, 10.0), (500.0, 10.0)])],
    );
    let s = set(vec![gas, telecom]).screen(Some(&dig_point(0.0, 0.0)));
    assert_eq!(s.layers.len(), 2);
    assert_eq!(s.layers[1].name, "fibre");
    assert!(close(s.layers[1].nearest_ft.unwrap(), 10.0, 0.2));
    assert_eq!(s.category, Category::Conflict);
    assert_eq!(s.versions(), vec!["gas@1", "fibre@1"]);
}

#[test]
fn nothing_known_is_unknown() {
    assert_eq!(
        set(vec![]).screen(Some(&dig_point(0.0, 0.0))).unknown,
        Some(Unknown::NoLayer)
    );
    assert_eq!(
        set(vec![main_300_north()]).screen(None).unknown,
        Some(Unknown::NoGeometry)
    );
    // Miles outside the layer's extent (grown by close_ft): the map does not say.
    let s = set(vec![main_300_north()]).screen(Some(&dig_point(50_000.0, 0.0)));
    assert_eq!(s.category, Category::Unknown);
    assert_eq!(s.unknown, Some(Unknown::OutsideCoverage));
    // With a coverage set, its inside is known even far from any facility.
    let mut with_coverage = set(vec![main_300_north()]);
    with_coverage.coverage = Some(geo::MultiPolygon::new(vec![
        match polygon_geometry(&square(40_000.0, 0.0, 20_000.0)) {
            Geometry::Polygon(p) => p,
            _ => unreachable!(),
        },
    ]));
    let s = with_coverage.screen(Some(&dig_point(50_000.0, 0.0)));
    assert_eq!(s.category, Category::Clear, "{s:?}");
    assert!(
        close(s.layers[0].nearest_ft.unwrap(), 49_001.0, 250.0),
        "{s:?}"
    );
    let s = with_coverage.screen(Some(&dig_point(0.0, 0.0)));
    assert_eq!(s.unknown, Some(Unknown::OutsideCoverage));
    // Outside the coverage but across a main: that much is known, and it is a conflict.
    let s = with_coverage.screen(Some(&dig_point(0.0, 300.0)));
    assert_eq!(s.category, Category::Conflict, "{s:?}");
}

#[test]
fn at_most_fifty_facilities_are_listed_nearest_first() {
    let poles: Vec<Geometry<f64>> = (0..80)
        .map(|i| point(f64::from(i) * 2.0 + 1.0, 0.0))
        .collect();
    let l = layer("poles", FacilityClass::ElectricDistribution, poles);
    let s = set(vec![l]).screen(Some(&dig_point(0.0, 0.0)));
    let listed = &s.layers[0].facilities;
    assert_eq!(listed.len(), 50);
    assert!(
        listed
            .windows(2)
            .all(|w| w[0].distance_ft <= w[1].distance_ft)
    );
    assert!(close(listed[0].distance_ft, 1.0, 0.2));
    assert_eq!(
        s.layers[0].within_buffer, 12,
        "poles 1..23 ft away are within 25 ft"
    );
}

proptest! {
    // The index finds what a brute-force search over every facility finds.
    #[test]
    fn the_index_misses_nothing_a_brute_force_search_finds(
        segments in prop::collection::vec(((-2_000.0f64..2_000.0, -2_000.0f64..2_000.0), (-300.0f64..300.0, -300.0f64..300.0)), 1..60),
        (pe, pn) in (-1_500.0f64..1_500.0, -1_500.0f64..1_500.0),
    ) {
        let geometries: Vec<Geometry<f64>> = segments
            .iter()
            .map(|((e, n), (de, dn))| line(&[(*e, *n), (e + de, n + dn)]))
            .collect();
        let l = layer("random", FacilityClass::Other, geometries);
        let s = set(vec![l]).screen(Some(&dig_point(pe, pn)));
        // Brute force in the tests' own feet: point-to-segment distance, each segment.
        let brute = segments
            .iter()
            .map(|((e, n), (de, dn))| {
                let (ax, ay, bx, by) = (*e, *n, e + de, n + dn);
                let (dx, dy) = (bx - ax, by - ay);
                let t = (((pe - ax) * dx + (pn - ay) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
                (ax + t * dx - pe).hypot(ay + t * dy - pn)
            })
            .fold(f64::INFINITY, f64::min);
        let got = s.layers[0].nearest_ft.unwrap();
        if brute <= 1_000.0 {
            prop_assert!((got - brute).abs() <= 1.0, "index {got}, brute force {brute}");
        }
        let near = segments.iter().filter(|((e, n), (de, dn))| {
            let (ax, ay, bx, by) = (*e, *n, e + de, n + dn);
            let (dx, dy) = (bx - ax, by - ay);
            let t = (((pe - ax) * dx + (pn - ay) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
            (ax + t * dx - pe).hypot(ay + t * dy - pn) <= 249.0
        }).count();
        prop_assert!(s.layers[0].facilities.len() >= near.min(50));
    }
}
