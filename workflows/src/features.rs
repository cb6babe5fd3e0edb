//! The risk model's features: one documented, versioned schema, and the pure function that
//! extracts it from a ticket.
//!
//! Values are `Option<f32>`: a feature the ticket does not tell us is *missing* (XGBoost's
//! NaN), never zero, because "no depth given" and "depth 0" mean different things to a model.
//! Changing names, order or meaning requires a new [`SCHEMA_VERSION`]; models record the
//! feature names they were trained on and a model whose names differ is refused.

use chrono::{Datelike, Timelike};

use crate::geometry::Polygon;
use crate::ticket::{ExcavationMethod, ExcavatorType, Ticket, TicketType};

pub const SCHEMA_VERSION: &str = "aegis-features-v1";

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
}

/// Number of features in the schema.
pub const COUNT: usize = FEATURES.len();

/// Feature names in vector order, as a model file lists them.
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

/// Extracts the features of a (validated) ticket. `history` is `None` when the excavator
/// cannot be identified.
pub fn extract(t: &Ticket, history: Option<ExcavatorHistory>) -> FeatureVector {
    let mut v = FeatureVector::default();
    if let Some(kind) = t.kind {
        v.set(F::EMERGENCY, flag(kind == TicketType::Emergency));
        v.set(F::SHORT_NOTICE, flag(kind == TicketType::ShortNotice));
        v.set(F::DESIGN, flag(kind == TicketType::Design));
        v.set(
            F::UPDATE,
            flag(matches!(kind, TicketType::Update | TicketType::Remark)),
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
        assert_eq!(COUNT, F::START_HOUR as usize + 1);
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
