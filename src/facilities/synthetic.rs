//! A synthetic facility network for the demo area, the screening benchmark and the synthetic
//! training history: a street grid with a gas main along each street, a service from the main
//! to every lot, a water main on the other side of each street, an electric primary under every
//! north–south street and a fibre duct under every east–west one, and a gas transmission
//! corridor crossing the grid diagonally —
//! as RFC 7946 GeoJSON, the format a member's GIS exports and Aegis imports. Deterministic for
//! a seed. Nothing here is real: it is for showing and measuring screening.

use std::io::Write;

use aegis_screening::LocalFrame;
use aegis_workflows::screening::FacilityClass;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// Where the demo tickets dig (the README's example ticket, Concord, California).
pub const DEMO_CENTER: (f64, f64) = (-122.0311, 37.9779);

/// Feet between parallel streets.
const BLOCK_FT: f64 = 400.0;
/// Lot frontage: one service every this many feet, on each side of a street.
const LOT_FT: f64 = 60.0;
/// A gas main runs this far north (or east) of the street's centre line, water as far south.
const GAS_OFFSET_FT: f64 = 8.0;
const WATER_OFFSET_FT: f64 = 12.0;
/// The electric primary runs this far east of a north–south street's centre line, the fibre
/// duct this far north of an east–west one (under the sidewalks).
const ELECTRIC_OFFSET_FT: f64 = 22.0;
const TELECOM_OFFSET_FT: f64 = 18.0;
/// A service runs from its main this far towards the house.
const SERVICE_FT: f64 = 45.0;
/// The grid's offset from the centre (east, north): the demo ticket digs in a rear yard,
/// mid-block, not in the middle of a crossing.
const GRID_SHIFT_FT: (f64, f64) = (200.0, 140.0);

/// One layer of the network.
#[derive(Debug, Clone)]
pub struct SyntheticLayer {
    pub name: &'static str,
    pub class: FacilityClass,
    pub features: usize,
    pub segments: usize,
}

/// How big a network to lay out.
#[derive(Debug, Clone, Copy)]
pub struct NetworkSize {
    /// The square's side, in miles, centred on the centre.
    pub extent_miles: f64,
    pub seed: u64,
    /// The open land around the grid, in miles across (at least `extent_miles`): the gas
    /// transmission corridor crosses all of it, and where it reaches beyond the grid a
    /// long-haul fibre route runs through the open land south of the town, alone.
    pub rural_miles: f64,
    /// Lay services too (about 17,000 per four square miles); without, the services layer
    /// is empty (a large network for the benchmark is mains alone).
    pub services: bool,
}

/// The network the demo install imports (and the tests that dig on it): a two-mile town in four
/// miles of open land.
pub const DEMO_NETWORK: NetworkSize = NetworkSize {
    extent_miles: 2.0,
    rural_miles: 4.0,
    seed: 42,
    services: true,
};

/// Writes the network's layers as GeoJSON, one writer per layer (in the order of
/// [`LAYERS`]), feature by feature (a large network is never whole in memory).
pub const LAYERS: [(&str, FacilityClass); 6] = [
    ("demo-gas-mains", FacilityClass::GasDistribution),
    ("demo-gas-services", FacilityClass::GasService),
    ("demo-water-mains", FacilityClass::Water),
    ("demo-gas-transmission", FacilityClass::GasTransmission),
    ("demo-electric", FacilityClass::ElectricDistribution),
    ("demo-fiber", FacilityClass::Telecom),
];

/// The network's layers as GeoJSON in memory, in the order of [`LAYERS`].
pub fn network_in_memory(
    center: (f64, f64),
    size: NetworkSize,
) -> std::io::Result<Vec<(SyntheticLayer, Vec<u8>)>> {
    let mut bufs: [Vec<u8>; LAYERS.len()] = Default::default();
    let layers = {
        let [a, b, c, d, e, f] = &mut bufs;
        write_network(center, size, [a, b, c, d, e, f])?
    };
    Ok(layers.into_iter().zip(bufs).collect())
}

/// This module's own GeoJSON read back as facilities (line strings with their properties):
/// what the database hands the index after an import, without GDAL, for the benchmark and the
/// synthetic history.
pub fn facilities_of(geojson: &[u8]) -> Result<Vec<aegis_screening::Facility>, String> {
    let v: Value = serde_json::from_slice(geojson).map_err(|e| e.to_string())?;
    let features = v["features"].as_array().ok_or("not a feature collection")?;
    features
        .iter()
        .map(|f| {
            let coords: Vec<(f64, f64)> = f["geometry"]["coordinates"]
                .as_array()
                .ok_or("a feature without coordinates")?
                .iter()
                .map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
                .collect::<Option<_>>()
                .ok_or("a coordinate is not a pair of numbers")?;
            Ok(aegis_screening::Facility {
                id: f["id"].as_str().unwrap_or_default().to_owned(),
                geometry: geo::Geometry::LineString(geo::LineString::from(coords)),
                attributes: f["properties"].to_string().into_boxed_str(),
            })
        })
        .collect()
}

struct Layer<'w> {
    out: &'w mut dyn Write,
    features: usize,
    segments: usize,
}

impl<'w> Layer<'w> {
    fn new(out: &'w mut dyn Write) -> Self {
        Self {
            out,
            features: 0,
            segments: 0,
        }
    }

    fn start(&mut self) -> std::io::Result<()> {
        self.out
            .write_all(br#"{"type":"FeatureCollection","features":["#)
    }

    fn line(&mut self, id: String, coords: Vec<[f64; 2]>, props: Value) -> std::io::Result<()> {
        if self.features > 0 {
            self.out.write_all(b",\n")?;
        }
        self.features += 1;
        self.segments += coords.len().saturating_sub(1);
        let f = json!({"type": "Feature", "id": id, "properties": props,
            "geometry": {"type": "LineString", "coordinates": coords}});
        serde_json::to_writer(&mut *self.out, &f)?;
        Ok(())
    }

    fn finish(self, name: &'static str, class: FacilityClass) -> std::io::Result<SyntheticLayer> {
        self.out.write_all(b"]}\n")?;
        Ok(SyntheticLayer {
            name,
            class,
            features: self.features,
            segments: self.segments,
        })
    }
}

/// Rounds to 7 decimals (about a centimetre): smaller files, no false precision.
fn deg(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// Where on the ground, in degrees, from feet east and north of the network's centre.
#[derive(Debug, Clone, Copy)]
struct Ground {
    center: (f64, f64),
    dlon: f64,
    dlat: f64,
}

impl Ground {
    fn at(&self, east: f64, north: f64) -> [f64; 2] {
        [
            deg(self.center.0 + (east + GRID_SHIFT_FT.0) * self.dlon),
            deg(self.center.1 + (north + GRID_SHIFT_FT.1) * self.dlat),
        ]
    }
}

/// The town's layers as they are written.
struct Town<'w> {
    gas: Layer<'w>,
    services: Layer<'w>,
    water: Layer<'w>,
    electric: Layer<'w>,
    telecom: Layer<'w>,
}

/// Lays the network out around `center` into `outs` (one per entry of [`LAYERS`]).
pub fn write_network(
    center: (f64, f64),
    size: NetworkSize,
    outs: [&mut dyn Write; LAYERS.len()],
) -> std::io::Result<Vec<SyntheticLayer>> {
    let (dlon, dlat) = LocalFrame::at(center.0, center.1).degrees_for(1.0);
    let ground = Ground { center, dlon, dlat };
    let half = size.extent_miles * 5_280.0 / 2.0;
    let streets = (2.0 * half / BLOCK_FT).floor() as i64;
    let first = -(streets as f64) * BLOCK_FT / 2.0;
    let lines: Vec<f64> = (0..=streets).map(|i| first + i as f64 * BLOCK_FT).collect();
    let mut rng = StdRng::seed_from_u64(size.seed);
    let [gas, services, water, transmission, electric, telecom] = outs.map(Layer::new);
    let mut town = Town {
        gas,
        services,
        water,
        electric,
        telecom,
    };
    for layer in [&mut town.electric, &mut town.telecom, &mut town.gas] {
        layer.start()?;
    }
    town.services.start()?;
    town.water.start()?;
    // Each street, east–west then north–south, as one main with a vertex at every crossing.
    for (dir, along_ns) in [("EW", false), ("NS", true)] {
        for (i, &c) in lines.iter().enumerate() {
            let street = Street {
                ground,
                lines: &lines,
                dir,
                i,
                c,
                along_ns,
            };
            let year = street.mains(&mut town, &mut rng)?;
            if size.services {
                street.services(&mut town.services, year, &mut rng)?;
            }
        }
    }
    let mut layers = vec![
        town.gas.finish(LAYERS[0].0, LAYERS[0].1)?,
        town.services.finish(LAYERS[1].0, LAYERS[1].1)?,
        town.water.finish(LAYERS[2].0, LAYERS[2].1)?,
    ];
    let rural = (size.rural_miles.max(size.extent_miles) * 5_280.0 / 2.0).max(-first);
    layers.push(corridor(ground, transmission, rural, &mut rng)?);
    // Well clear of the corridor, which passes that latitude near the west edge.
    if -0.75 * rural < -half - 1_000.0 {
        long_haul(ground, &mut town.telecom, rural)?;
    }
    layers.push(town.electric.finish(LAYERS[4].0, LAYERS[4].1)?);
    layers.push(town.telecom.finish(LAYERS[5].0, LAYERS[5].1)?);
    Ok(layers)
}

/// One street of the grid: its mains along it, its services across it.
struct Street<'a> {
    ground: Ground,
    lines: &'a [f64],
    dir: &'static str,
    i: usize,
    c: f64,
    along_ns: bool,
}

impl Street<'_> {
    fn point(&self, t: f64, off: f64) -> [f64; 2] {
        if self.along_ns {
            self.ground.at(self.c + off, t)
        } else {
            self.ground.at(t, self.c + off)
        }
    }

    fn along(&self, off: f64) -> Vec<[f64; 2]> {
        self.lines.iter().map(|&t| self.point(t, off)).collect()
    }

    /// Gas and water under every street; electric under north–south ones, fibre under
    /// east–west ones. The gas main's year: its services are at least as new.
    fn mains(&self, town: &mut Town<'_>, rng: &mut StdRng) -> std::io::Result<i64> {
        let (dir, i) = (self.dir, self.i);
        let year: i64 = rng.random_range(1952..2021);
        let steel = year < 1975;
        town.gas.line(
            format!("GM-{dir}-{i}"),
            self.along(GAS_OFFSET_FT),
            json!({"material": if steel { "steel" } else { "PE" },
                   "diameter": if steel { 6.0 } else { 4.0 }, "pressure": 60.0,
                   "install_year": year, "owner": "Demo Gas"}),
        )?;
        town.water.line(
            format!("WM-{dir}-{i}"),
            self.along(-WATER_OFFSET_FT),
            json!({"material": "ductile iron", "diameter": 8.0,
                   "install_year": rng.random_range(1950..2021_i64), "owner": "Demo Water"}),
        )?;
        if self.along_ns {
            town.electric.line(
                format!("EL-{i}"),
                self.along(ELECTRIC_OFFSET_FT),
                json!({"material": "XLPE", "voltage": 12.47,
                       "install_year": rng.random_range(1960..2021_i64), "owner": "Demo Electric"}),
            )?;
        } else {
            town.telecom.line(
                format!("FO-{i}"),
                self.along(TELECOM_OFFSET_FT),
                json!({"material": "fiber", "diameter": 1.25,
                       "install_year": rng.random_range(1995..2024_i64), "owner": "Demo Fiber"}),
            )?;
        }
        Ok(year)
    }

    /// A service to every lot on both sides, between crossings.
    fn services(
        &self,
        services: &mut Layer<'_>,
        year: i64,
        rng: &mut StdRng,
    ) -> std::io::Result<()> {
        let (lo, hi) = (self.lines[0], -self.lines[0]);
        let mut t = lo + LOT_FT / 2.0;
        let mut n = 0;
        while t < hi {
            let into_block = (t - lo) % BLOCK_FT;
            if into_block > 20.0 && into_block < BLOCK_FT - 20.0 {
                for side in [1.0, -1.0] {
                    let to = if side > 0.0 {
                        GAS_OFFSET_FT + SERVICE_FT
                    } else {
                        GAS_OFFSET_FT - SERVICE_FT - 2.0 * GAS_OFFSET_FT
                    };
                    n += 1;
                    services.line(
                        format!("GS-{}-{}-{n}", self.dir, self.i),
                        vec![self.point(t, GAS_OFFSET_FT), self.point(t, to)],
                        json!({"material": "PE", "diameter": 1.0, "pressure": 60.0,
                               "install_year": year.max(rng.random_range(1952..2021_i64))}),
                    )?;
                }
            }
            t += LOT_FT;
        }
        Ok(())
    }
}

/// The transmission corridor: south-west to north-east across the open land too, bending a
/// little every 500 ft.
fn corridor(
    ground: Ground,
    out: Layer<'_>,
    rural: f64,
    rng: &mut StdRng,
) -> std::io::Result<SyntheticLayer> {
    let mut transmission = out;
    transmission.start()?;
    let (lo, hi) = (-rural, rural);
    let steps = ((hi - lo) * std::f64::consts::SQRT_2 / 500.0)
        .ceil()
        .max(2.0) as usize;
    let coords: Vec<[f64; 2]> = (0..=steps)
        .map(|k| {
            let s = lo + (hi - lo) * k as f64 / steps as f64;
            let wobble = if k == 0 || k == steps {
                0.0
            } else {
                rng.random_range(-30.0..30.0)
            };
            ground.at(s + wobble, s * 0.8 + 400.0)
        })
        .collect();
    transmission.line(
        "GT-1".into(),
        coords,
        json!({"material": "steel", "diameter": 24.0, "pressure": 720.0,
               "install_year": 1968, "owner": "Demo Gas", "critical": true}),
    )?;
    transmission.finish(LAYERS[3].0, LAYERS[3].1)
}

/// The long-haul fibre: east–west through the open land at three quarters of the way to the
/// south edge, from a quarter of the way west of the centre to the east edge.
fn long_haul(ground: Ground, telecom: &mut Layer<'_>, rural: f64) -> std::io::Result<()> {
    let (west, south) = (-0.25 * rural, -0.75 * rural);
    let steps = ((rural - west) / 1_000.0).ceil().max(1.0) as usize;
    telecom.line(
        "FO-LH-1".into(),
        (0..=steps)
            .map(|k| ground.at(west + (rural - west) * k as f64 / steps as f64, south))
            .collect(),
        json!({"material": "fiber", "diameter": 2.0, "install_year": 2001,
               "owner": "Demo Fiber", "critical": true}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_network_is_a_grid_with_services_and_a_corridor() {
        let net = network_in_memory(
            DEMO_CENTER,
            NetworkSize {
                extent_miles: 0.5,
                rural_miles: 0.5,
                seed: 1,
                services: true,
            },
        )
        .unwrap_or_default();
        let layers: Vec<_> = net.iter().map(|(l, _)| l.clone()).collect();
        let [a, b, c, d, e, f] = [0, 1, 2, 3, 4, 5].map(|i| net[i].1.clone());
        // Half a mile: 6 blocks of 400 ft, 7 streets each way, each main 6 segments.
        assert_eq!((layers[0].features, layers[0].segments), (14, 84));
        assert_eq!(layers[2].features, 14);
        assert_eq!(layers[3].features, 1);
        assert_eq!((layers[4].features, layers[5].features), (7, 7));
        assert!(layers[1].features > 300, "{}", layers[1].features);
        for bytes in [&a, &b, &c, &d, &e, &f] {
            let v: Value = serde_json::from_slice(bytes).unwrap_or_default();
            assert_eq!(v["type"], "FeatureCollection");
        }
        let v: Value = serde_json::from_slice(&a).unwrap_or_default();
        let first = &v["features"][0];
        assert_eq!(first["id"], "GM-EW-0");
        assert_eq!(
            first["geometry"]["coordinates"].as_array().map(Vec::len),
            Some(7)
        );
        let fibre = facilities_of(&f).unwrap_or_default();
        assert_eq!(fibre.len(), 7);
        assert!(fibre[0].attributes.contains("\"fiber\""));
    }
}
