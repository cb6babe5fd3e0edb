//! The risk model's features: one documented, versioned schema, and the pure function that
//! extracts it from a ticket.
//!
//! Values are `Option<f32>`: a feature the ticket does not tell us is *missing* (XGBoost's
//! NaN), never zero, because "no depth given" and "depth 0" mean different things to a model.
//! Changing names, order or meaning requires a new [`SCHEMA_VERSION`]; models record the
//! feature names they were trained on and a model whose names differ is refused.
//!
//! Schema v2 is v1 followed by what screening found (contract §10): a v1 model reads the
//! first [`V1_COUNT`] values of the same vector, so one extraction serves either model.

use chrono::{Datelike, Timelike};

use crate::geometry::Polygon;
use crate::screening::{Category, FacilityClass, Screening};
use crate::ticket::{ExcavationMethod, ExcavatorType, Ticket, TicketType};

/// The schema Aegis extracts (and stores with every score).
pub const SCHEMA_VERSION: &str = Schema::V2.as_str();

/// One feature: its name (as in the model file) and what it measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureDef {
    pub name: &'static str,
    pub description: &'static str,
}

macro_rules! features {
    ($($idx:ident = $name:literal : $desc:literal),* $(,)?) => {
        /// Index of each feature in a [`FeatureVector`].
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(usize)]
        pub enum F { $($idx),* }

        /// The schema, in vector order.
        pub const FEATURES: &[FeatureDef] = &[$(FeatureDef { name: $name, description: $desc }),*];
    };
}

features! {
    EMERGENCY = "emergency": "1 if the ticket is an emergency, else 0",
    SHORT_NOTICE = "short_notice": "1 if the ticket is a short-notice (rush) ticket, else 0",
    DESIGN = "design": "1 if the ticket is a design (no digging yet) ticket, else 0",
    UPDATE = "update_or_remark": "1 if the ticket updates or re-marks an earlier one, else 0",
    METHOD_HAND = "method_hand": "1 if the excavation method is hand digging; missing when no method",
    METHOD_VACUUM = "method_vacuum": "1 if the method is vacuum excavation; missing when no method",
    METHOD_BACKHOE = "method_backhoe": "1 if the method is a backhoe or excavator; missing when no method",
    METHOD_TRENCHER = "method_trencher": "1 if the method is a trencher; missing when no method",
    METHOD_AUGER = "method_auger": "1 if the method is an auger; missing when no method",
    METHOD_DRILLING = "method_directional_drilling": "1 if the method is directional drilling or boring; missing when no method",
    METHOD_BLASTING = "method_blasting": "1 if the method is blasting; missing when no method",
    DEPTH = "depth_inches": "anticipated depth in inches (deepest of a range)",
    BORING = "boring": "1 if boring is declared, 0 if declared absent",
    EXPLOSIVES = "explosives": "1 if explosives are declared, 0 if declared absent",
    VACUUM = "vacuum": "1 if vacuum excavation is declared, 0 if declared absent",
    PAVEMENT_ONLY = "pavement_only": "1 if only pavement is removed, 0 if not",
    LEAD_TIME = "lead_time_hours": "hours from submission to the planned start (legal start, or an earlier work begin); zero or negative when digging starts at or before submission",
    AREA = "log10_dig_area_m2": "log10 of the dig polygon's area in square metres; missing without a polygon",
    DURATION = "duration_days": "expected duration of the work in days",
    EXC_CONTRACTOR = "excavator_contractor": "1 if the excavator is a contractor; missing when its type is unknown",
    EXC_HOMEOWNER = "excavator_homeowner": "1 if the excavator is a homeowner; missing when its type is unknown",
    EXC_MUNICIPALITY = "excavator_municipality": "1 if the excavator is a municipality; missing when its type is unknown",
    EXC_UTILITY = "excavator_utility": "1 if the excavator is a utility; missing when its type is unknown",
    PRIOR_TICKETS = "excavator_prior_tickets": "earlier tickets from the same excavator; missing when it cannot be identified",
    PRIOR_DAMAGES = "excavator_prior_damages": "damages reported on the same excavator's earlier tickets; missing when it cannot be identified",
    MEMBERS = "member_count": "number of member utilities notified (a proxy for congestion)",
    MONTH = "month": "month of the legal start, 1-12",
    WEEKDAY = "weekday": "weekday of the legal start, 0 = Monday",
    START_HOUR = "start_hour": "hour of the legal start in the ticket's own time zone, 0-23",
    // Schema v2: what screening found near the dig area (contract §10), per class group.
    GT_NEAREST = "gas_transmission_nearest_ft": "feet from the dig area to the nearest gas transmission facility; missing when no gas transmission layer is active",
    GT_WITHIN = "gas_transmission_within_buffer": "gas transmission facilities within their tolerance zone; missing when no gas transmission layer is active",
    GT_RATING = "gas_transmission_max_pressure_psi": "highest pressure (psi) of the gas transmission facilities within their tolerance zone; missing when none is there or none says",
    GT_OLDEST = "gas_transmission_oldest_install_year": "earliest install year of the gas transmission facilities within their tolerance zone; missing when none is there or none says",
    GT_CRITICAL = "gas_transmission_critical": "1 if a gas transmission facility within its tolerance zone is marked critical, else 0; missing when no gas transmission layer is active",
    GD_NEAREST = "gas_distribution_nearest_ft": "feet from the dig area to the nearest gas distribution mains and services facility; missing when no gas distribution mains and services layer is active",
    GD_WITHIN = "gas_distribution_within_buffer": "gas distribution mains and services facilities within their tolerance zone; missing when no gas distribution mains and services layer is active",
    GD_RATING = "gas_distribution_max_pressure_psi": "highest pressure (psi) of the gas distribution mains and services facilities within their tolerance zone; missing when none is there or none says",
    GD_OLDEST = "gas_distribution_oldest_install_year": "earliest install year of the gas distribution mains and services facilities within their tolerance zone; missing when none is there or none says",
    GD_CRITICAL = "gas_distribution_critical": "1 if a gas distribution mains and services facility within its tolerance zone is marked critical, else 0; missing when no gas distribution mains and services layer is active",
    EL_NEAREST = "electric_nearest_ft": "feet from the dig area to the nearest electric transmission and distribution facility; missing when no electric transmission and distribution layer is active",
    EL_WITHIN = "electric_within_buffer": "electric transmission and distribution facilities within their tolerance zone; missing when no electric transmission and distribution layer is active",
    EL_RATING = "electric_max_voltage_kv": "highest voltage (kV) of the electric facilities within their tolerance zone; missing when none is there or none says",
    EL_OLDEST = "electric_oldest_install_year": "earliest install year of the electric transmission and distribution facilities within their tolerance zone; missing when none is there or none says",
    EL_CRITICAL = "electric_critical": "1 if a electric transmission and distribution facility within its tolerance zone is marked critical, else 0; missing when no electric transmission and distribution layer is active",
    TC_NEAREST = "telecom_nearest_ft": "feet from the dig area to the nearest telecom facility; missing when no telecom layer is active",
    TC_WITHIN = "telecom_within_buffer": "telecom facilities within their tolerance zone; missing when no telecom layer is active",
    TC_OLDEST = "telecom_oldest_install_year": "earliest install year of the telecom facilities within their tolerance zone; missing when none is there or none says",
    TC_CRITICAL = "telecom_critical": "1 if a telecom facility within its tolerance zone is marked critical, else 0; missing when no telecom layer is active",
    WS_NEAREST = "water_sewer_nearest_ft": "feet from the dig area to the nearest water and sewer facility; missing when no water and sewer layer is active",
    WS_WITHIN = "water_sewer_within_buffer": "water and sewer facilities within their tolerance zone; missing when no water and sewer layer is active",
    WS_RATING = "water_sewer_max_pressure_psi": "highest pressure (psi) of the water and sewer facilities within their tolerance zone; missing when none is there or none says",
    WS_OLDEST = "water_sewer_oldest_install_year": "earliest install year of the water and sewer facilities within their tolerance zone; missing when none is there or none says",
    WS_CRITICAL = "water_sewer_critical": "1 if a water and sewer facility within its tolerance zone is marked critical, else 0; missing when no water and sewer layer is active",
    SCREEN_CONFLICT = "screening_conflict": "1 if screening found a facility within its tolerance zone, else 0; missing when the ticket was not screened",
    SCREEN_CLOSE = "screening_close": "1 if screening found facilities within close_ft but none in a tolerance zone, else 0; missing when not screened",
    SCREEN_CLEAR = "screening_clear": "1 if screening found nothing within close_ft inside the mapped coverage, else 0; missing when not screened",
    SCREEN_UNKNOWN = "screening_unknown": "1 if screening could not tell (no layer, no geometry, outside the coverage), else 0; missing when not screened",
}

/// Number of features in the schema.
pub const COUNT: usize = FEATURES.len();

/// Number of v1 features: the head of every vector.
pub const V1_COUNT: usize = F::START_HOUR as usize + 1;

/// A feature schema a model can be trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Schema {
    /// The ticket and the excavator only.
    V1,
    /// v1 and what is buried near the dig area.
    V2,
}

impl Schema {
    pub const ALL: [Self; 2] = [Self::V1, Self::V2];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "aegis-features-v1",
            Self::V2 => "aegis-features-v2",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// How many values of a vector the schema reads (from the start).
    pub const fn count(self) -> usize {
        match self {
            Self::V1 => V1_COUNT,
            Self::V2 => COUNT,
        }
    }

    pub fn features(self) -> &'static [FeatureDef] {
        &FEATURES[..self.count()]
    }

    pub fn names(self) -> Vec<&'static str> {
        self.features().iter().map(|f| f.name).collect()
    }

    /// The schema whose names are exactly `names`, in order.
    pub fn of_names<S: AsRef<str>>(names: &[S]) -> Option<Self> {
        Self::ALL.into_iter().find(|s| {
            s.count() == names.len()
                && s.features()
                    .iter()
                    .zip(names)
                    .all(|(f, n)| f.name == n.as_ref())
        })
    }
}

/// Feature names in vector order (the current schema), as a model file lists them.
pub fn names() -> Vec<&'static str> {
    FEATURES.iter().map(|f| f.name).collect()
}

/// What Aegis knows of an excavator before this ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExcavatorHistory {
    pub prior_tickets: u32,
    pub prior_damages: u32,
}

/// One ticket's features, in schema order.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureVector(pub [Option<f32>; COUNT]);

impl Default for FeatureVector {
    fn default() -> Self {
        Self([None; COUNT])
    }
}

impl FeatureVector {
    pub fn get(&self, f: F) -> Option<f32> {
        self.0[f as usize]
    }

    pub fn set(&mut self, f: F, v: Option<f32>) {
        self.0[f as usize] = v.filter(|x| x.is_finite());
    }

    /// Dense row with `NaN` for missing values, as XGBoost expects.
    pub fn to_dense(&self) -> [f32; COUNT] {
        self.0.map(|v| v.unwrap_or(f32::NAN))
    }

    /// Name → value pairs (missing as `None`) for output and explanations.
    pub fn named(&self) -> impl Iterator<Item = (&'static str, Option<f32>)> + '_ {
        FEATURES
            .iter()
            .zip(self.0.iter())
            .map(|(d, v)| (d.name, *v))
    }
}

fn flag(b: bool) -> Option<f32> {
    Some(if b { 1.0 } else { 0.0 })
}

/// The class groups schema v2 describes, each with the features it fills.
struct Group {
    classes: &'static [FacilityClass],
    nearest: F,
    within: F,
    rating: Option<(F, &'static str)>,
    oldest: F,
    critical: F,
}

const GROUPS: [Group; 5] = {
    use FacilityClass as C;
    [
        Group {
            classes: &[C::GasTransmission],
            nearest: F::GT_NEAREST,
            within: F::GT_WITHIN,
            rating: Some((F::GT_RATING, "pressure")),
            oldest: F::GT_OLDEST,
            critical: F::GT_CRITICAL,
        },
        Group {
            classes: &[C::GasDistribution, C::GasService],
            nearest: F::GD_NEAREST,
            within: F::GD_WITHIN,
            rating: Some((F::GD_RATING, "pressure")),
            oldest: F::GD_OLDEST,
            critical: F::GD_CRITICAL,
        },
        Group {
            classes: &[C::ElectricTransmission, C::ElectricDistribution],
            nearest: F::EL_NEAREST,
            within: F::EL_WITHIN,
            rating: Some((F::EL_RATING, "voltage")),
            oldest: F::EL_OLDEST,
            critical: F::EL_CRITICAL,
        },
        Group {
            classes: &[C::Telecom],
            nearest: F::TC_NEAREST,
            within: F::TC_WITHIN,
            rating: None,
            oldest: F::TC_OLDEST,
            critical: F::TC_CRITICAL,
        },
        Group {
            classes: &[C::Water, C::Sewer],
            nearest: F::WS_NEAREST,
            within: F::WS_WITHIN,
            rating: Some((F::WS_RATING, "pressure")),
            oldest: F::WS_OLDEST,
            critical: F::WS_CRITICAL,
        },
    ]
};

/// An attribute as a number, whether the GIS wrote it as one or as text.
fn number(v: Option<&serde_json::Value>) -> Option<f64> {
    match v? {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        serde_json::Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

fn max_of(a: Option<f64>, b: Option<f64>, pick: fn(f64, f64) -> f64) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(pick(x, y)),
        (x, y) => x.or(y),
    }
}

/// Fills v2's features from a screening: per group, nothing when no layer of the group was
/// screened (missing, not zero: "we do not know" is not "nothing there").
fn screened(v: &mut FeatureVector, s: &Screening) {
    for g in &GROUPS {
        let layers: Vec<_> = s
            .layers
            .iter()
            .filter(|l| g.classes.contains(&l.class))
            .collect();
        if layers.is_empty() {
            continue;
        }
        let nearest = layers
            .iter()
            .filter_map(|l| l.nearest_ft)
            .fold(None, |a, d| max_of(a, Some(d), f64::min));
        v.set(g.nearest, nearest.map(|d| d as f32));
        let within: usize = layers.iter().map(|l| l.within_buffer).sum();
        v.set(g.within, Some(within as f32));
        let (mut rating, mut oldest, mut critical) = (None, None, false);
        // The listed facilities are the nearest within close_ft: those in the tolerance zone
        // come first, so they are all here unless a layer has more than `MAX_LISTED` there.
        for l in &layers {
            for f in l.facilities.iter().filter(|f| f.distance_ft <= l.buffer_ft) {
                if let Some((_, key)) = g.rating {
                    rating = max_of(rating, number(f.attributes.get(key)), f64::max);
                }
                oldest = max_of(oldest, number(f.attributes.get("install_year")), f64::min);
                critical |= number(f.attributes.get("critical")).is_some_and(|c| c != 0.0);
            }
        }
        if let Some((f, _)) = g.rating {
            v.set(f, rating.map(|r| r as f32));
        }
        v.set(g.oldest, oldest.map(|y| y as f32));
        v.set(g.critical, flag(critical));
    }
    v.set(F::SCREEN_CONFLICT, flag(s.category == Category::Conflict));
    v.set(F::SCREEN_CLOSE, flag(s.category == Category::Close));
    v.set(F::SCREEN_CLEAR, flag(s.category == Category::Clear));
    v.set(F::SCREEN_UNKNOWN, flag(s.category == Category::Unknown));
}

/// Extracts a screened ticket's features: v1's and what screening found near it.
pub fn extract_screened(
    t: &Ticket,
    history: Option<ExcavatorHistory>,
    screening: &Screening,
) -> FeatureVector {
    let mut v = extract(t, history);
    screened(&mut v, screening);
    v
}

/// Extracts the features of a (validated) ticket that was not screened: v2's are missing.
/// `history` is `None` when the excavator cannot be identified.
pub fn extract(t: &Ticket, history: Option<ExcavatorHistory>) -> FeatureVector {
    let mut v = FeatureVector::default();
    if let Some(kind) = t.kind {
        v.set(F::EMERGENCY, flag(kind == TicketType::Emergency));
        v.set(F::SHORT_NOTICE, flag(kind == TicketType::ShortNotice));
        v.set(F::DESIGN, flag(kind == TicketType::Design));
        v.set(
            F::UPDATE,
            // A no-response notice asks for marks again, as a re-mark does: the models were
            // trained before the type had its own name.
            flag(matches!(
                kind,
                TicketType::Update | TicketType::Remark | TicketType::NoResponse
            )),
        );
    }
    if let Some(m) = t.work.method {
        use ExcavationMethod as M;
        v.set(F::METHOD_HAND, flag(m == M::Hand));
        v.set(F::METHOD_VACUUM, flag(m == M::Vacuum));
        v.set(F::METHOD_BACKHOE, flag(m == M::Backhoe));
        v.set(F::METHOD_TRENCHER, flag(m == M::Trencher));
        v.set(F::METHOD_AUGER, flag(m == M::Auger));
        v.set(
            F::METHOD_DRILLING,
            flag(matches!(m, M::DirectionalDrilling | M::Boring)),
        );
        v.set(F::METHOD_BLASTING, flag(m == M::Blasting));
    }
    v.set(F::DEPTH, t.work.depth_inches.map(|d| d as f32));
    v.set(F::BORING, t.work.boring.and_then(flag));
    v.set(F::EXPLOSIVES, t.work.explosives.and_then(flag));
    v.set(F::VACUUM, t.work.vacuum.and_then(flag));
    v.set(F::PAVEMENT_ONLY, t.work.pavement_only.and_then(flag));
    // The member's real notice ends when digging starts: a work begin before the legal start
    // (a short-notice ticket starting "now") shortens it, to zero or below.
    let start = match (t.legal_start_at, t.work_begin_at) {
        (Some(legal), Some(begin)) => Some(legal.min(begin)),
        (legal, begin) => legal.or(begin),
    };
    if let (Some(sub), Some(start)) = (t.submitted_at, start) {
        let hours = (start - sub).num_seconds() as f64 / 3600.0;
        v.set(F::LEAD_TIME, Some(hours as f32));
    }
    if let Some(area) = t
        .location
        .polygon_wkt
        .as_deref()
        .and_then(|w| Polygon::parse_all(w).ok())
        .map(|ps| ps.iter().map(Polygon::area_m2).sum::<f64>())
    {
        v.set(F::AREA, Some(area.max(1.0).log10() as f32));
    }
    v.set(F::DURATION, t.work.duration_days.map(|d| d as f32));
    if let Some(k) = t.excavator.kind {
        v.set(F::EXC_CONTRACTOR, flag(k == ExcavatorType::Contractor));
        v.set(F::EXC_HOMEOWNER, flag(k == ExcavatorType::Homeowner));
        v.set(F::EXC_MUNICIPALITY, flag(k == ExcavatorType::Municipality));
        v.set(F::EXC_UTILITY, flag(k == ExcavatorType::Utility));
    }
    if let Some(h) = history {
        v.set(F::PRIOR_TICKETS, Some(h.prior_tickets as f32));
        v.set(F::PRIOR_DAMAGES, Some(h.prior_damages as f32));
    }
    v.set(F::MEMBERS, Some(t.members.len() as f32));
    if let Some(legal) = t.legal_start_at {
        v.set(F::MONTH, Some(legal.month() as f32));
        v.set(
            F::WEEKDAY,
            Some(legal.weekday().num_days_from_monday() as f32),
        );
        v.set(F::START_HOUR, Some(legal.hour() as f32));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticket::{Excavator, Location, Work};
    use chrono::DateTime;

    fn ticket() -> Ticket {
        Ticket {
            ticket_number: "1".into(),
            kind: Some(TicketType::Emergency),
            submitted_at: Some(DateTime::parse_from_rfc3339("2026-11-22T02:41:00-08:00").unwrap()),
            legal_start_at: Some(DateTime::parse_from_rfc3339("2026-11-22T04:41:00-08:00").unwrap()),
            excavator: Excavator {
                name: Some("crew".into()),
                kind: Some(ExcavatorType::Contractor),
                ..Excavator::default()
            },
            work: Work {
                method: Some(ExcavationMethod::DirectionalDrilling),
                depth_inches: Some(60.0),
                boring: Some(true),
                ..Work::default()
            },
            location: Location {
                polygon_wkt: Some("POLYGON((-122.2341 37.7811,-122.2329 37.7811,-122.2329 37.7801,-122.2341 37.7801,-122.2341 37.7811))".into()),
                ..Location::default()
            },
            members: vec!["A".into(), "B".into()],
            ..Ticket::default()
        }
    }

    #[test]
    fn names_are_unique_and_match_the_index() {
        let n = names();
        let mut sorted = n.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), n.len());
        assert_eq!(FEATURES[F::START_HOUR as usize].name, "start_hour");
        assert_eq!(V1_COUNT, 29, "v1 is frozen");
        assert_eq!(COUNT, F::SCREEN_UNKNOWN as usize + 1);
        assert_eq!(Schema::of_names(&Schema::V1.names()), Some(Schema::V1));
        assert_eq!(Schema::of_names(&names()), Some(Schema::V2));
        assert_eq!(Schema::of_names(&names()[..30]), None);
        assert_eq!(SCHEMA_VERSION, "aegis-features-v2");
    }

    fn layer(
        class: FacilityClass,
        nearest: Option<f64>,
        facilities: &[(f64, serde_json::Value)],
    ) -> crate::screening::LayerScreening {
        let buffer_ft = class.default_buffer_ft();
        crate::screening::LayerScreening {
            name: format!("{class:?}"),
            version: 1,
            class,
            buffer_ft,
            close_ft: 250.0,
            nearest_ft: nearest,
            within_buffer: facilities.iter().filter(|(d, _)| *d <= buffer_ft).count(),
            facilities: facilities
                .iter()
                .enumerate()
                .map(|(i, (d, attrs))| crate::screening::NearFacility {
                    id: format!("F{i}"),
                    seq: i as u32,
                    distance_ft: *d,
                    attributes: attrs.as_object().cloned().unwrap_or_default(),
                })
                .collect(),
        }
    }

    #[test]
    fn what_screening_found_fills_v2_by_class_group() {
        use serde_json::json;
        let s = Screening::from_layers(vec![
            // Transmission: one at 5 ft (in its 100 ft zone), one at 180 ft (close only).
            layer(
                FacilityClass::GasTransmission,
                Some(5.0),
                &[
                    (
                        5.0,
                        json!({"pressure": 720, "install_year": 1968, "critical": true}),
                    ),
                    (180.0, json!({"pressure": 900, "install_year": 1950})),
                ],
            ),
            // Distribution and services are one group; text values are read as numbers.
            layer(
                FacilityClass::GasDistribution,
                Some(30.0),
                &[(30.0, json!({"pressure": "60"}))],
            ),
            layer(
                FacilityClass::GasService,
                Some(4.0),
                &[(4.0, json!({"pressure": 45, "install_year": "1999"}))],
            ),
            layer(FacilityClass::Telecom, None, &[]),
        ]);
        let v = extract_screened(&ticket(), None, &s);
        assert_eq!(v.get(F::GT_NEAREST), Some(5.0));
        assert_eq!(v.get(F::GT_WITHIN), Some(1.0));
        assert_eq!(
            v.get(F::GT_RATING),
            Some(720.0),
            "180 ft is outside the zone"
        );
        assert_eq!(v.get(F::GT_OLDEST), Some(1968.0));
        assert_eq!(v.get(F::GT_CRITICAL), Some(1.0));
        assert_eq!(v.get(F::GD_NEAREST), Some(4.0));
        assert_eq!(
            v.get(F::GD_WITHIN),
            Some(1.0),
            "the main at 30 ft is outside 25"
        );
        assert_eq!(v.get(F::GD_RATING), Some(45.0));
        assert_eq!(v.get(F::GD_OLDEST), Some(1999.0));
        assert_eq!(v.get(F::GD_CRITICAL), Some(0.0));
        // An active layer with nothing in it: zero within, the rest missing.
        assert_eq!(v.get(F::TC_NEAREST), None);
        assert_eq!(v.get(F::TC_WITHIN), Some(0.0));
        assert_eq!(v.get(F::TC_CRITICAL), Some(0.0));
        // No layer of the group at all: everything missing, not zero.
        for f in [
            F::EL_NEAREST,
            F::EL_WITHIN,
            F::EL_RATING,
            F::EL_CRITICAL,
            F::WS_WITHIN,
        ] {
            assert_eq!(v.get(f), None, "{f:?}");
        }
        assert_eq!(v.get(F::SCREEN_CONFLICT), Some(1.0));
        assert_eq!(v.get(F::SCREEN_UNKNOWN), Some(0.0));
        // v1's head is what extract gives.
        assert_eq!(v.0[..V1_COUNT], extract(&ticket(), None).0[..V1_COUNT]);
    }

    #[test]
    fn no_layer_is_unknown_and_missing_and_unscreened_is_all_missing() {
        let none = Screening::unknown(crate::screening::Unknown::NoLayer, Vec::new());
        let v = extract_screened(&ticket(), None, &none);
        assert_eq!(v.get(F::SCREEN_UNKNOWN), Some(1.0));
        assert_eq!(v.get(F::SCREEN_CLEAR), Some(0.0));
        for f in [
            F::GT_NEAREST,
            F::GT_WITHIN,
            F::GD_NEAREST,
            F::TC_WITHIN,
            F::WS_OLDEST,
        ] {
            assert_eq!(v.get(f), None, "{f:?}");
        }
        let unscreened = extract(&ticket(), None);
        assert!(unscreened.0[V1_COUNT..].iter().all(Option::is_none));
    }

    #[test]
    fn extracts_what_the_ticket_says() {
        let v = extract(
            &ticket(),
            Some(ExcavatorHistory {
                prior_tickets: 7,
                prior_damages: 1,
            }),
        );
        assert_eq!(v.get(F::EMERGENCY), Some(1.0));
        assert_eq!(v.get(F::METHOD_DRILLING), Some(1.0));
        assert_eq!(v.get(F::METHOD_HAND), Some(0.0));
        assert_eq!(v.get(F::DEPTH), Some(60.0));
        assert_eq!(v.get(F::LEAD_TIME), Some(2.0));
        assert_eq!(v.get(F::PRIOR_DAMAGES), Some(1.0));
        assert_eq!(v.get(F::MEMBERS), Some(2.0));
        assert_eq!(v.get(F::MONTH), Some(11.0));
        assert_eq!(v.get(F::WEEKDAY), Some(6.0));
        assert_eq!(v.get(F::START_HOUR), Some(4.0));
        let area = v.get(F::AREA).unwrap();
        assert!((area - 4.07).abs() < 0.01, "log10 area {area}");
    }

    #[test]
    fn digging_before_submission_is_a_negative_lead_time() {
        let mut t = ticket();
        t.kind = Some(TicketType::ShortNotice);
        t.submitted_at = Some(DateTime::parse_from_rfc3339("2026-11-22T11:13:39-07:00").unwrap());
        t.work_begin_at = Some(DateTime::parse_from_rfc3339("2026-11-22T11:12:00-07:00").unwrap());
        t.legal_start_at = Some(DateTime::parse_from_rfc3339("2026-11-24T11:13:39-07:00").unwrap());
        let lead = extract(&t, None).get(F::LEAD_TIME).unwrap();
        assert!(lead < 0.0 && lead > -0.1, "{lead}");
        t.work_begin_at = None;
        assert_eq!(extract(&t, None).get(F::LEAD_TIME), Some(48.0));
    }

    #[test]
    fn unknown_is_missing_not_zero() {
        let mut t = ticket();
        t.work = Work::default();
        t.excavator.kind = None;
        t.location.polygon_wkt = None;
        let v = extract(&t, None);
        for f in [
            F::METHOD_HAND,
            F::METHOD_DRILLING,
            F::DEPTH,
            F::BORING,
            F::AREA,
            F::EXC_CONTRACTOR,
            F::PRIOR_TICKETS,
            F::DURATION,
        ] {
            assert_eq!(v.get(f), None, "{f:?}");
        }
        assert!(v.to_dense()[F::DEPTH as usize].is_nan());
    }
}
