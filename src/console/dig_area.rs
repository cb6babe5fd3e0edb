//! The dig area drawn from its polygon: an SVG outline to scale with a scale bar (no map tiles
//! can be fetched, and none are needed to see how big and what shape the area is).

use aegis_workflows::geometry::Polygon;
use maud::{Markup, html};

const W: f64 = 320.0;
const H: f64 = 220.0;
const PAD: f64 = 16.0;

/// A round length for the scale bar: about a quarter of the drawing's width.
fn nice(metres: f64) -> f64 {
    let exp = 10f64.powf(metres.max(1.0).log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * exp)
        .take_while(|v| *v <= metres)
        .last()
        .unwrap_or(exp)
}

pub fn svg(wkt: Option<&str>) -> Markup {
    let Some(poly) = wkt.and_then(|w| Polygon::parse_wkt(w).ok()) else {
        return html! { p class="note" { "No dig area was drawn on this ticket." } };
    };
    let rings = poly.local_metres();
    let pts: Vec<(f64, f64)> = rings.iter().flatten().copied().collect();
    let (minx, maxx) = pts
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (miny, maxy) = pts
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let span = (maxx - minx).max(maxy - miny).max(1.0);
    let scale = ((W - 2.0 * PAD) / span).min((H - 3.0 * PAD) / span);
    let path: String = rings
        .iter()
        .map(|r| {
            let mut d = String::new();
            for (i, (x, y)) in r.iter().enumerate() {
                let sx = PAD + (x - minx) * scale;
                // North up: SVG's y grows downwards.
                let sy = PAD + (maxy - y) * scale;
                d.push_str(&format!(
                    "{}{sx:.1},{sy:.1} ",
                    if i == 0 { "M" } else { "L" }
                ));
            }
            d.push('Z');
            d
        })
        .collect::<Vec<_>>()
        .join(" ");
    let bar_m = nice(span / 4.0);
    let bar_px = bar_m * scale;
    let label = if bar_m >= 1_000.0 {
        format!("{} km", bar_m / 1_000.0)
    } else {
        format!("{bar_m} m")
    };
    html! {
        svg class="dig-area" viewBox=(format!("0 0 {W} {H}")) width="100%" role="img"
            aria-label=(format!("Dig area outline, about {:.0} square metres; north is up", poly.area_m2())) {
            rect x="0" y="0" width=(W) height=(H) fill="#1b2026" {}
            path d=(path) fill="#ff6b6b55" stroke="#ff6b6b" stroke-width="2" fill-rule="evenodd" {}
            line x1=(PAD) y1=(H - PAD) x2=(PAD + bar_px) y2=(H - PAD) stroke="#eef1f4" stroke-width="3" {}
            text x=(PAD + bar_px + 6.0) y=(H - PAD + 4.0) fill="#eef1f4" font-size="12" { (label) }
            text x=(W - PAD - 10.0) y=(PAD + 10.0) fill="#b8c2cc" font-size="12" { "N↑" }
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
        assert_eq!(nice(2_600.0), 2_000.0);
    }

    #[test]
    fn a_polygon_is_drawn_and_a_missing_one_said() {
        let s = svg(Some(
            "POLYGON((-122.03 37.97, -122.029 37.97, -122.029 37.971, -122.03 37.97))",
        ))
        .into_string();
        assert!(s.contains("<path d=\"M"), "{s}");
        assert!(s.contains(" m<") || s.contains(" km<"));
        assert!(svg(None).into_string().contains("No dig area"));
    }
}
