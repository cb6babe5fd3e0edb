//! Facility layer files as a member's GIS exports them, written by GDAL's own tools
//! (`ogr2ogr`, `gdaltransform`; Debian's `gdal-bin`, which `make test` installs) around the
//! point of `normal.json`, with each facility's nearest point to that ticket known by
//! construction in the file's projected plane. The distance Aegis must report is measured
//! independently of Aegis: the construction point back to longitude/latitude with
//! `gdaltransform`, then the geodesic on the WGS 84 ellipsoid (Karney's, in `geo`).

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

/// Where `normal.json` digs (longitude, latitude).
pub const TICKET: (f64, f64) = (-122.0311, 37.9779);

/// Feet per metre, exactly.
const FT_PER_M: f64 = 1.0 / 0.3048;

/// Points moved from one CRS to another by `gdaltransform` (x y / longitude latitude order).
pub fn transform(from: &str, to: &str, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    use std::io::Write;
    let mut child = Command::new("gdaltransform")
        .args(["-s_srs", from, "-t_srs", to, "-output_xy"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gdaltransform runs (make test installs gdal-bin)");
    {
        let mut stdin = child.stdin.take().unwrap();
        for (x, y) in points {
            writeln!(stdin, "{x:.10} {y:.10}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "gdaltransform failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut it = l.split_whitespace().map(|v| v.parse::<f64>().unwrap());
            (it.next().unwrap(), it.next().unwrap())
        })
        .collect()
}

/// The geodesic distance in feet between two longitude/latitude points.
pub fn geodesic_ft(a: (f64, f64), b: (f64, f64)) -> f64 {
    use geo::Distance;
    geo::Geodesic.distance(geo::Point::new(a.0, a.1), geo::Point::new(b.0, b.1)) * FT_PER_M
}

/// A facility and the distance Aegis must find from the ticket to it.
#[derive(Debug, Clone)]
pub struct Expected {
    pub id: String,
    pub feet: f64,
}

/// A written layer file.
pub struct LayerFile {
    pub bytes: Vec<u8>,
    pub media_type: &'static str,
    pub expected: Vec<Expected>,
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("the GDAL tool runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A GeoJSON FeatureCollection naming its CRS the legacy way (`crs` member), as GDAL reads it.
fn collection(epsg: u32, features: Vec<Value>) -> String {
    json!({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": format!("urn:ogc:def:crs:EPSG::{epsg}")}},
        "features": features,
    })
    .to_string()
}

fn line(props: Value, coords: &[(f64, f64)]) -> Value {
    json!({"type": "Feature", "properties": props,
           "geometry": {"type": "LineString", "coordinates": coords.iter().map(|(x, y)| [x, y]).collect::<Vec<_>>()}})
}

fn point(props: Value, at: (f64, f64)) -> Value {
    json!({"type": "Feature", "properties": props,
           "geometry": {"type": "Point", "coordinates": [at.0, at.1]}})
}

fn polygon(props: Value, ring: &[(f64, f64)]) -> Value {
    json!({"type": "Feature", "properties": props,
           "geometry": {"type": "Polygon", "coordinates": [ring.iter().map(|(x, y)| [x, y]).collect::<Vec<_>>()]}})
}

/// The expected distance to `q`, a point of the file's CRS.
fn expected_to(epsg: &str, id: &str, q: (f64, f64)) -> Expected {
    let lonlat = transform(epsg, "EPSG:4326", &[q])[0];
    Expected {
        id: id.into(),
        feet: geodesic_ft(TICKET, lonlat),
    }
}

/// Gas mains in California State Plane zone III, US survey feet (EPSG:2227), as a zipped
/// shapefile with its `.prj` — the common export. Columns are a GIS's own (`ASSET_ID`,
/// `MAOP`, `INST_YEAR`), mapped with `attr`; `MATERIAL` and `DIAMETER` are known by name.
/// M-1 runs north–south 120 ft east of the ticket; M-2 east–west 400 ft north; M-3 is a
/// 100 ft stub north–south 700 ft west (a shapefile holds one kind of geometry: lines).
pub fn mains_shapefile(dir: &Path, with_prj: bool) -> LayerFile {
    let (x, y) = transform("EPSG:4326", "EPSG:2227", &[TICKET])[0];
    let features = vec![
        line(
            json!({"ASSET_ID": "M-1", "MAOP": 60, "MATERIAL": "PE", "DIAMETER": 4.0, "INST_YEAR": 1987}),
            &[(x + 120.0, y - 500.0), (x + 120.0, y + 500.0)],
        ),
        line(
            json!({"ASSET_ID": "M-2", "MAOP": 60, "MATERIAL": "steel", "DIAMETER": 8.0, "INST_YEAR": 1962}),
            &[(x - 300.0, y + 400.0), (x + 300.0, y + 400.0)],
        ),
        line(
            json!({"ASSET_ID": "M-3", "MAOP": 60, "MATERIAL": "PE", "DIAMETER": 2.0, "INST_YEAR": 1987}),
            &[(x - 700.0, y - 50.0), (x - 700.0, y + 50.0)],
        ),
    ];
    let src = dir.join("mains.geojson");
    std::fs::write(&src, collection(2227, features)).unwrap();
    let shp = dir.join("shp");
    std::fs::create_dir_all(&shp).unwrap();
    run(Command::new("ogr2ogr")
        .args(["-f", "ESRI Shapefile"])
        .arg(shp.join("gas_mains.shp"))
        .arg(&src));
    let mut parts = vec!["gas_mains.shp", "gas_mains.shx", "gas_mains.dbf"];
    if with_prj {
        parts.push("gas_mains.prj");
    }
    let zip = dir.join(if with_prj {
        "mains.zip"
    } else {
        "mains-no-prj.zip"
    });
    zip_files(&zip, &shp, &parts);
    LayerFile {
        bytes: std::fs::read(&zip).unwrap(),
        media_type: "application/zip",
        expected: vec![
            expected_to("EPSG:2227", "M-1", (x + 120.0, y)),
            expected_to("EPSG:2227", "M-2", (x, y + 400.0)),
            expected_to("EPSG:2227", "M-3", (x - 700.0, y)),
        ],
    }
}

/// Writes `files` of `dir` into the zip archive `zip` (with Python's zipfile: no `zip` tool
/// is needed).
fn zip_files(zip: &Path, dir: &Path, files: &[&str]) {
    let script = "import sys, zipfile, os\n\
        z = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)\n\
        [z.write(os.path.join(sys.argv[2], f), f) for f in sys.argv[3:]]\n\
        z.close()\n";
    run(Command::new("python3")
        .args(["-c", script])
        .arg(zip)
        .arg(dir)
        .args(files));
}

/// Water in California Albers, metres (EPSG:3310), as a GeoPackage: W-1, a hydrant 30 m away
/// (18 m east, 24 m north), and W-2, a 10 m vault whose nearest side is 95 m east.
pub fn water_geopackage(dir: &Path) -> LayerFile {
    let (x, y) = transform("EPSG:4326", "EPSG:3310", &[TICKET])[0];
    let vault = [
        (x + 95.0, y - 5.0),
        (x + 105.0, y - 5.0),
        (x + 105.0, y + 5.0),
        (x + 95.0, y + 5.0),
        (x + 95.0, y - 5.0),
    ];
    let features = vec![
        point(
            json!({"id": "W-1", "material": "ductile iron"}),
            (x + 18.0, y + 24.0),
        ),
        polygon(json!({"id": "W-2", "material": "concrete"}), &vault),
    ];
    let src = dir.join("water.geojson");
    std::fs::write(&src, collection(3310, features)).unwrap();
    let gpkg = dir.join("water.gpkg");
    run(Command::new("ogr2ogr")
        .args(["-f", "GPKG"])
        .arg(&gpkg)
        .arg(&src)
        .args(["-nln", "water_points"]));
    LayerFile {
        bytes: std::fs::read(&gpkg).unwrap(),
        media_type: "application/geopackage+sqlite3",
        expected: vec![
            expected_to("EPSG:3310", "W-1", (x + 18.0, y + 24.0)),
            expected_to("EPSG:3310", "W-2", (x + 95.0, y)),
        ],
    }
}

/// A telecom cable two miles east, as RFC 7946 GeoJSON (WGS 84, no `crs` member).
pub fn telecom_geojson() -> LayerFile {
    let lon = TICKET.0 + 0.0366;
    let body = json!({
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "id": "T-1", "properties": {"owner": "PACBEL"},
            "geometry": {"type": "LineString", "coordinates": [[lon, TICKET.1 - 0.01], [lon, TICKET.1 + 0.01]]}}]
    });
    LayerFile {
        bytes: body.to_string().into_bytes(),
        media_type: "application/geo+json",
        expected: vec![Expected {
            id: "T-1".into(),
            feet: geodesic_ft(TICKET, (lon, TICKET.1)),
        }],
    }
}

/// A dig area: a square of `side` feet centred `east` and `north` feet from the ticket's
/// point, in State Plane, as longitude/latitude WKT.
pub fn square_wkt(east: f64, north: f64, side: f64) -> String {
    let (x, y) = transform("EPSG:4326", "EPSG:2227", &[TICKET])[0];
    let h = side / 2.0;
    let (cx, cy) = (x + east, y + north);
    let ring = transform(
        "EPSG:2227",
        "EPSG:4326",
        &[
            (cx - h, cy - h),
            (cx + h, cy - h),
            (cx + h, cy + h),
            (cx - h, cy + h),
            (cx - h, cy - h),
        ],
    );
    let coords: Vec<String> = ring
        .iter()
        .map(|(lon, lat)| format!("{lon:.8} {lat:.8}"))
        .collect();
    format!("(({}))", coords.join(","))
}

/// A `POLYGON((…))` of [`square_wkt`] as a GeoJSON Polygon.
pub fn wkt_to_geojson(wkt: &str) -> Value {
    let inner = wkt.trim_start_matches("POLYGON((").trim_end_matches("))");
    let ring: Vec<[f64; 2]> = inner
        .split(',')
        .map(|p| {
            let mut it = p.split_whitespace().map(|v| v.parse::<f64>().unwrap());
            [it.next().unwrap(), it.next().unwrap()]
        })
        .collect();
    json!({"type": "Polygon", "coordinates": [ring]})
}
