//! The Open Ticket Standard's `geometry.geoJson` (RFC 7946): the work site's and the buffered
//! site's shapes as a FeatureCollection, which a center may send instead of WKT. Read into the
//! same [`Polygon`]s the WKT gives (through WKT, so that one reader checks every outline), and
//! an excavation point for a site given only as a point.

use aegis_workflows::geometry::Polygon;
use serde_json::{Map, Value};

use crate::formats::lenient_json::{field, number_of};

/// What a GeoJSON section holds, sorted by the feature's `objectType` (or `layer`, as the
/// specification's own example names it).
#[derive(Debug, Default)]
pub struct Shapes {
    pub sites: Vec<Polygon>,
    pub buffers: Vec<Polygon>,
    /// Excavation sites given as points, `(longitude, latitude)`.
    pub points: Vec<(f64, f64)>,
    /// Each feature left out, with why.
    pub left_out: Vec<String>,
}

/// Reads a FeatureCollection, a single Feature or a bare geometry; a section that is text is
/// read as the JSON it holds.
pub fn read(section: &Value) -> Shapes {
    let mut out = Shapes::default();
    let parsed;
    let section = match section {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(v) => {
                parsed = v;
                &parsed
            }
            Err(e) => {
                out.left_out
                    .push(format!("the geoJson text is not JSON ({e})"));
                return out;
            }
        },
        v => v,
    };
    let Some(obj) = section.as_object() else {
        out.left_out.push("geoJson is not an object".into());
        return out;
    };
    match kind(obj).as_deref() {
        Some("featurecollection") => {
            let features = get(obj, "features").and_then(Value::as_array);
            for (i, f) in features.into_iter().flatten().enumerate() {
                match f.as_object() {
                    Some(f) => feature(f, i, &mut out),
                    None => out.left_out.push(format!("feature {i} is not an object")),
                }
            }
        }
        Some("feature") => feature(obj, 0, &mut out),
        _ => geometry(obj, Role::Site, "the geometry", &mut out),
    }
    out
}

#[derive(Clone, Copy)]
enum Role {
    Site,
    Buffer,
}

/// A key's value, compared without case, as every Open Ticket key is.
fn get<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    field(obj, &[name])
}

fn kind(obj: &Map<String, Value>) -> Option<String> {
    get(obj, "type")
        .and_then(Value::as_str)
        .map(|t| t.trim().to_ascii_lowercase())
}

fn feature(f: &Map<String, Value>, i: usize, out: &mut Shapes) {
    let Some(g) = get(f, "geometry").and_then(Value::as_object) else {
        out.left_out.push(format!("feature {i} has no geometry"));
        return;
    };
    // `objectType` in the properties, as the specification says; `layer` there, or
    // `objectType` in the geometry, as its example writes it.
    let props = get(f, "properties").and_then(Value::as_object);
    let label = ["objectType", "layer"]
        .iter()
        .find_map(|n| props.and_then(|p| get(p, n)))
        .or_else(|| get(g, "objectType"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let role = if label.to_ascii_lowercase().contains("buffer") {
        Role::Buffer
    } else {
        Role::Site
    };
    geometry(g, role, &format!("feature {i}"), out);
}

fn geometry(g: &Map<String, Value>, role: Role, what: &str, out: &mut Shapes) {
    let coords = get(g, "coordinates");
    let wkt = match (kind(g).as_deref(), coords) {
        (Some("polygon"), Some(c)) => polygon_text(c).map(|t| format!("POLYGON({t})")),
        (Some("multipolygon"), Some(Value::Array(ps))) => ps
            .iter()
            .map(polygon_text)
            .collect::<Option<Vec<_>>>()
            .map(|ts| {
                let wrapped: Vec<String> = ts.iter().map(|t| format!("({t})")).collect();
                format!("MULTIPOLYGON({})", wrapped.join(","))
            }),
        (Some("point"), Some(c)) => {
            match (position(c), role) {
                (Some(p), Role::Site) => out.points.push(p),
                (Some(_), Role::Buffer) => {}
                (None, _) => out
                    .left_out
                    .push(format!("{what}: a point without a position")),
            }
            return;
        }
        (Some(_), _) => {
            let named = get(g, "type").and_then(Value::as_str).unwrap_or_default();
            out.left_out
                .push(format!("{what}: a {named} is not an area Aegis can screen"));
            return;
        }
        (None, _) => {
            out.left_out.push(format!("{what} has no geometry type"));
            return;
        }
    };
    let Some(wkt) = wkt else {
        out.left_out.push(format!(
            "{what}: coordinates that are not rings of positions"
        ));
        return;
    };
    match Polygon::parse_all(&wkt) {
        Ok(ps) => match role {
            Role::Site => out.sites.extend(ps),
            Role::Buffer => out.buffers.extend(ps),
        },
        Err(e) => out.left_out.push(format!("{what}: {e}")),
    }
}

/// `(ring),(ring)` of a GeoJSON polygon's rings, for WKT.
fn polygon_text(rings: &Value) -> Option<String> {
    let rings = rings.as_array()?;
    let texts = rings
        .iter()
        .map(|r| {
            let pts = r
                .as_array()?
                .iter()
                .map(|p| position(p).map(|(x, y)| format!("{x} {y}")))
                .collect::<Option<Vec<_>>>()?;
            Some(format!("({})", pts.join(",")))
        })
        .collect::<Option<Vec<_>>>()?;
    (!texts.is_empty()).then(|| texts.join(","))
}

/// A position `[longitude, latitude, …]`; numbers written as text are read too.
fn position(p: &Value) -> Option<(f64, f64)> {
    let a = p.as_array()?;
    Some((number_of(a.first()?)?, number_of(a.get(1)?)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sites_buffers_and_points_are_told_apart_by_object_type_or_layer() {
        let fc = json!({
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "id": 0, "properties": {"objectType": "excavationSite"},
                 "geometry": {"type": "Polygon", "coordinates": [[[-84.0, 33.0], [-83.9, 33.0], [-83.9, 33.1], [-84.0, 33.0]]]}},
                {"type": "Feature", "id": 1, "properties": {"layer": "excavationSite"},
                 "geometry": {"type": "Point", "coordinates": [-84.05, 33.05]}},
                {"type": "Feature", "id": 2, "properties": {"layer": "bufferedSite"},
                 "geometry": {"objectType": "Polygon", "type": "MultiPolygon", "coordinates": [
                     [[[-84.1, 32.9], [-83.8, 32.9], [-83.8, 33.2], [-84.1, 32.9]]],
                     [[[-84.3, 32.9], [-84.2, 32.9], [-84.2, 33.0], [-84.3, 32.9]]]]}},
                {"type": "Feature", "id": 3, "properties": {},
                 "geometry": {"type": "LineString", "coordinates": [[-84.0, 33.0], [-83.0, 33.0]]}},
            ]
        });
        let s = read(&fc);
        assert_eq!(s.sites.len(), 1, "{:?}", s.left_out);
        assert_eq!(s.sites[0].rings[0][1], (-83.9, 33.0));
        assert_eq!(s.buffers.len(), 2);
        assert_eq!(s.points, vec![(-84.05, 33.05)]);
        assert_eq!(s.left_out.len(), 1, "{:?}", s.left_out);
        assert!(s.left_out[0].contains("LineString"));
    }

    #[test]
    fn text_holding_json_a_bare_geometry_and_broken_rings() {
        let text = Value::String(
            json!({"type": "Polygon", "coordinates": [[["-84.0", "33.0"], [-83.9, 33.0], [-83.9, 33.1], [-84.0, 33.0]]]})
                .to_string(),
        );
        assert_eq!(read(&text).sites.len(), 1);
        let broken = json!({"type": "Polygon", "coordinates": [[[-84.0], [-83.9, 33.0]]]});
        let s = read(&broken);
        assert!(s.sites.is_empty());
        assert_eq!(s.left_out.len(), 1);
        assert!(read(&json!("{not json")).left_out[0].contains("not JSON"));
        assert!(read(&json!(5)).left_out[0].contains("not an object"));
    }
}
