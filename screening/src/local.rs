//! Feet on the ground around a point: longitude and latitude turned into feet east and north
//! of an origin, with the WGS 84 ellipsoid's radii of curvature at the origin's latitude (the
//! meridian's for north, the prime vertical's for east). Over the few thousand feet screening
//! measures, the error is far below a foot.

/// WGS 84: semi-major axis (m) and first eccentricity squared.
const A: f64 = 6_378_137.0;
const E2: f64 = 0.006_694_379_990_14;
/// The international foot (US survey feet differ by two parts per million).
pub const METRES_PER_FOOT: f64 = 0.3048;

/// A local plane centred on one point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalFrame {
    lon0: f64,
    lat0: f64,
    /// Feet per degree of longitude and of latitude at the origin.
    kx: f64,
    ky: f64,
}

impl LocalFrame {
    pub fn at(lon0: f64, lat0: f64) -> Self {
        let phi = lat0.to_radians();
        let w = (1.0 - E2 * phi.sin().powi(2)).sqrt();
        let n = A / w;
        let m = A * (1.0 - E2) / (w * w * w);
        let per_degree = std::f64::consts::PI / 180.0 / METRES_PER_FOOT;
        Self {
            lon0,
            lat0,
            kx: n * phi.cos() * per_degree,
            ky: m * per_degree,
        }
    }

    /// (east, north) in feet.
    #[inline]
    pub fn feet(&self, lon: f64, lat: f64) -> (f64, f64) {
        ((lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky)
    }

    /// The origin, as (longitude, latitude).
    pub fn origin(&self) -> (f64, f64) {
        (self.lon0, self.lat0)
    }

    /// Degrees of longitude and of latitude that `ft` spans at the origin.
    pub fn degrees_for(&self, ft: f64) -> (f64, f64) {
        (ft / self.kx.max(1e-9), ft / self.ky)
    }

    /// Feet per degree of latitude (the smaller of the two scales below ±60°).
    pub fn ft_per_degree_lat(&self) -> f64 {
        self.ky
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_degree_is_what_the_ellipsoid_says() {
        // From the series geodesists tabulate (not the closed form used here): a degree of
        // latitude is 111132.954 − 559.822 cos 2φ + 1.175 cos 4φ metres, of longitude
        // 111412.84 cos φ − 93.5 cos 3φ + 0.118 cos 5φ.
        let lat_m = |phi: f64| {
            let p = phi.to_radians();
            111_132.954 - 559.822 * (2.0 * p).cos() + 1.175 * (4.0 * p).cos()
        };
        let lon_m = |phi: f64| {
            let p = phi.to_radians();
            111_412.84 * p.cos() - 93.5 * (3.0 * p).cos() + 0.118 * (5.0 * p).cos()
        };
        for phi in [0.0, 32.5, 37.8, 45.0, 60.0] {
            let f = LocalFrame::at(-122.0, phi);
            assert!(
                (f.ky * METRES_PER_FOOT - lat_m(phi)).abs() < 0.1,
                "{phi}: {}",
                f.ky
            );
            assert!(
                (f.kx * METRES_PER_FOOT - lon_m(phi)).abs() < 0.1,
                "{phi}: {}",
                f.kx
            );
        }
        let mid = LocalFrame::at(0.0, 45.0);
        let (x, y) = mid.feet(0.001, 45.001);
        assert!((x - lon_m(45.0) / METRES_PER_FOOT / 1000.0).abs() < 0.01);
        assert!((y - lat_m(45.0) / METRES_PER_FOOT / 1000.0).abs() < 0.01);
    }
}
