//! Screening speed and size (`cargo bench --bench screening`, part of `make bench`): a layer of
//! a million segments (the synthetic network's gas mains over a square 53.6 miles on a
//! side, as `aegis generate --facilities` lays it) indexed, then tickets screened against it —
//! points and polygons from 30 to 300 ft across, anywhere in the layer's extent. Import through
//! GDAL and the database, and intake with the layer active, are measured by
//! `benches/screening.sh`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aegis::facilities::synthetic::{DEMO_CENTER, NetworkSize, facilities_of, network_in_memory};
use aegis_screening::{Facility, LayerIndex, LayerMeta, LocalFrame, ScreeningSet};
use aegis_workflows::geometry::{DigArea, Polygon};
use aegis_workflows::screening::FacilityClass;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const EXTENT_MILES: f64 = 53.6;

/// This process's resident memory now and at its peak, in MiB (from `/proc/self/status`).
fn rss() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn percentile(v: &mut [Duration], p: f64) -> f64 {
    v.sort_unstable();
    v[((v.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e6
}

/// The mains layer's GeoJSON read back into facilities (what the database hands the index).
fn mains() -> anyhow::Result<Vec<Facility>> {
    let network = network_in_memory(
        DEMO_CENTER,
        NetworkSize {
            extent_miles: EXTENT_MILES,
            rural_miles: EXTENT_MILES,
            seed: 42,
            services: false,
        },
    )?;
    let (_, mains) = network
        .first()
        .ok_or_else(|| anyhow::anyhow!("no layers"))?;
    facilities_of(mains).map_err(|e| anyhow::anyhow!(e))
}

fn square(lon: f64, lat: f64, side_ft: f64, frame: &LocalFrame) -> DigArea {
    let (dlon, dlat) = frame.degrees_for(side_ft / 2.0);
    DigArea::Polygons(vec![Polygon {
        rings: vec![vec![
            (lon - dlon, lat - dlat),
            (lon + dlon, lat - dlat),
            (lon + dlon, lat + dlat),
            (lon - dlon, lat + dlat),
            (lon - dlon, lat - dlat),
        ]],
    }])
}

fn main() -> anyhow::Result<()> {
    let (rss0, _) = rss();
    let started = Instant::now();
    let facilities = mains()?;
    let segments: usize = facilities
        .iter()
        .map(|f| match &f.geometry {
            geo::Geometry::LineString(l) => l.0.len().saturating_sub(1),
            _ => 0,
        })
        .sum();
    println!(
        "layer: {} mains, {segments} segments over {EXTENT_MILES} × {EXTENT_MILES} miles (made in {:.1} s)",
        facilities.len(),
        started.elapsed().as_secs_f64()
    );
    let (rss_before, _) = rss();
    let t = Instant::now();
    let index = LayerIndex::build(
        LayerMeta {
            name: "bench-mains".into(),
            version: 1,
            class: FacilityClass::GasDistribution,
            buffer_ft: 25.0,
            close_ft: 250.0,
        },
        facilities,
    )?;
    let built = t.elapsed();
    let (rss_after, peak) = rss();
    println!(
        "index: built in {:.2} s; {:.0} MiB by its own count; process RSS {:.0} → {:.0} MiB (start {:.0}, peak {:.0})",
        built.as_secs_f64(),
        index.memory_bytes() as f64 / 1_048_576.0,
        rss_before,
        rss_after,
        rss0,
        peak
    );
    let set = ScreeningSet {
        layers: vec![Arc::new(index)],
        coverage: None,
    };
    let frame = LocalFrame::at(DEMO_CENTER.0, DEMO_CENTER.1);
    let half = EXTENT_MILES * 5_280.0 / 2.0;
    let (dlon, dlat) = frame.degrees_for(1.0);
    let mut rng = StdRng::seed_from_u64(7);
    let n = 100_000;
    let areas: Vec<DigArea> = (0..n)
        .map(|i| {
            let lon = DEMO_CENTER.0 + rng.random_range(-half..half) * dlon;
            let lat = DEMO_CENTER.1 + rng.random_range(-half..half) * dlat;
            if i % 2 == 0 {
                DigArea::Point { lon, lat }
            } else {
                square(lon, lat, rng.random_range(30.0..300.0), &frame)
            }
        })
        .collect();
    let mut times = Vec::with_capacity(n);
    let mut categories = std::collections::BTreeMap::<&str, usize>::new();
    for a in &areas {
        let t = Instant::now();
        let s = set.screen(Some(a));
        times.push(t.elapsed());
        *categories.entry(s.category.as_str()).or_default() += 1;
    }
    let total: Duration = times.iter().sum();
    let (mut points, mut polygons): (Vec<Duration>, Vec<Duration>) = (
        times.iter().step_by(2).copied().collect(),
        times.iter().skip(1).step_by(2).copied().collect(),
    );
    println!(
        "screening {n} tickets: p50 {:.1} µs, p99 {:.1} µs, mean {:.1} µs; points p50 {:.1} / p99 {:.1} µs, polygons p50 {:.1} / p99 {:.1} µs; {categories:?}",
        percentile(&mut times, 0.50),
        percentile(&mut times, 0.99),
        total.as_secs_f64() * 1e6 / n as f64,
        percentile(&mut points, 0.50),
        percentile(&mut points, 0.99),
        percentile(&mut polygons, 0.50),
        percentile(&mut polygons, 0.99),
    );
    Ok(())
}
