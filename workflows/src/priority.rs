//! What to look at first (contract §12): an alert's priority is its expected harm — the
//! probability of damage times the consequence of the most serious facility in conflict — raised
//! as its deadline (the legal start or the response due time, whichever comes first) approaches,
//! to its highest at the deadline, where it stays. Lateness alone lifts nothing: an alert long
//! overdue weighs what it weighed at its deadline, and one whose dig time passed long ago
//! ([`Priority::is_stale`], a day by default) is listed apart, below the live ones, so a
//! forgotten ticket cannot sit above a bore across a transmission line that starts in an hour.
//!
//! Consequence weights are relative (a gas transmission rupture against a fibre cut), set per
//! class in `risk.consequence.<class>`; screening `unknown` counts as the heaviest class, because
//! not knowing what is buried is not evidence that nothing is.

use std::cmp::Ordering;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::screening::{Category, FacilityClass, LayerScreening, Screening};
use crate::ticket::Ticket;

/// The weight of a dig with nothing of the member's in conflict: a damage still hurts someone
/// (another owner's line, the crew), but the member's own heaviest risks are not in play.
pub const NO_CONFLICT: f64 = 1.0;

/// How much more an alert weighs at its deadline than with days to go.
pub const URGENCY_AT_DEADLINE: f64 = 10.0;
/// Hours over which the urgency boost halves: a day out it is small, the last hours count.
pub const URGENCY_HALF_LIFE_HOURS: f64 = 6.0;

/// Consequence weight per facility class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsequenceWeights([f64; FacilityClass::ALL.len()]);

impl Default for ConsequenceWeights {
    /// Relative harm of damaging one facility of each class (README, "What to look at first"):
    /// transmission pipelines are the deadliest and slowest to isolate; distribution gas can
    /// explode in a street; electric can kill the operator; telecom cuts take out 911 service;
    /// water and sewer flood and contaminate but rarely kill.
    fn default() -> Self {
        let mut w = [0.0; FacilityClass::ALL.len()];
        for c in FacilityClass::ALL {
            w[c as usize] = match c {
                FacilityClass::GasTransmission => 100.0,
                FacilityClass::ElectricTransmission => 60.0,
                FacilityClass::GasDistribution => 30.0,
                FacilityClass::ElectricDistribution => 20.0,
                FacilityClass::GasService => 15.0,
                FacilityClass::Telecom => 5.0,
                FacilityClass::Water => 4.0,
                FacilityClass::Sewer => 2.0,
                FacilityClass::Other => 3.0,
            };
        }
        Self(w)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a consequence weight is a finite number of at least 1, not {0}")]
pub struct BadWeight(pub String);

impl ConsequenceWeights {
    pub fn weight(&self, class: FacilityClass) -> f64 {
        self.0[class as usize]
    }

    /// Sets one class's weight; at least [`NO_CONFLICT`], so a facility in conflict never
    /// weighs less than none.
    pub fn set(&mut self, class: FacilityClass, weight: f64) -> Result<(), BadWeight> {
        if !(weight.is_finite() && weight >= NO_CONFLICT) {
            return Err(BadWeight(weight.to_string()));
        }
        self.0[class as usize] = weight;
        Ok(())
    }

    /// The heaviest class and its weight.
    pub fn heaviest(&self) -> (FacilityClass, f64) {
        FacilityClass::ALL
            .into_iter()
            .map(|c| (c, self.weight(c)))
            .fold(
                (FacilityClass::Other, 0.0),
                |a, b| if b.1 > a.1 { b } else { a },
            )
    }
}

/// Why an alert weighs what it does.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum Consequence {
    /// The heaviest class with a facility in its tolerance zone.
    Conflict { class: FacilityClass, weight: f64 },
    /// Nobody knows what is buried there (or the ticket was never screened): the heaviest.
    Unknown { weight: f64 },
    /// Facilities near, or none, but none in conflict.
    NoConflict { weight: f64 },
}

impl Consequence {
    pub fn weight(&self) -> f64 {
        match *self {
            Self::Conflict { weight, .. }
            | Self::Unknown { weight }
            | Self::NoConflict { weight } => weight,
        }
    }

    /// What the screening says about harm; `None`: not screened.
    pub fn of(screening: Option<&Screening>, weights: &ConsequenceWeights) -> Self {
        let unknown = Self::Unknown {
            weight: weights.heaviest().1,
        };
        let Some(s) = screening else {
            return unknown;
        };
        match s.category {
            Category::Unknown => unknown,
            Category::Conflict => s
                .layers
                .iter()
                .filter(|l| l.within_buffer > 0)
                .map(|l| (l.class, weights.weight(l.class)))
                .fold(None, |best: Option<(FacilityClass, f64)>, c| match best {
                    Some(b) if b.1 >= c.1 => Some(b),
                    _ => Some(c),
                })
                .map_or(unknown, |(class, weight)| Self::Conflict { class, weight }),
            Category::Close | Category::Clear => Self::NoConflict {
                weight: NO_CONFLICT,
            },
        }
    }
}

/// The facility a dig most endangers: of the layers with a facility inside their tolerance zone,
/// the heaviest class (then the nearest); with none in a zone, the nearest within screening
/// distance. What a queue row, an alert page and a notice name first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Danger<'a> {
    pub layer: &'a LayerScreening,
    /// The nearest facility of that layer.
    pub distance_ft: f64,
    pub in_zone: bool,
}

impl Danger<'_> {
    /// "gas transmission 11 ft — inside its 100 ft zone".
    pub fn in_words(&self) -> String {
        let side = if self.in_zone { "inside" } else { "outside" };
        format!(
            "{} {:.0} ft — {side} its {:.0} ft zone",
            self.layer.class.as_str().replace('_', " "),
            self.distance_ft,
            self.layer.buffer_ft
        )
    }
}

pub fn most_dangerous<'a>(s: &'a Screening, w: &ConsequenceWeights) -> Option<Danger<'a>> {
    let near = s
        .layers
        .iter()
        .filter(|l| !l.facilities.is_empty() || l.within_buffer > 0)
        .filter_map(|l| l.nearest_ft.map(|d| (l, d)));
    let in_zone = near
        .clone()
        .filter(|(l, _)| l.within_buffer > 0)
        .max_by(|(a, da), (b, db)| {
            w.weight(a.class)
                .total_cmp(&w.weight(b.class))
                .then(db.total_cmp(da))
        });
    let (layer, distance_ft) = match in_zone {
        Some(found) => found,
        None => near.min_by(|(_, a), (_, b)| a.total_cmp(b))?,
    };
    Some(Danger {
        layer,
        distance_ft,
        in_zone: layer.within_buffer > 0,
    })
}

/// What is buried how near, the most dangerous first: "gas transmission 11 ft — inside its
/// 100 ft zone; also telecom 0 ft", "nothing within 250 ft", or why nobody knows.
pub fn buried_in_words(s: &Screening, w: &ConsequenceWeights) -> String {
    let Some(danger) = most_dangerous(s, w) else {
        return s.in_words();
    };
    let also = s
        .layers
        .iter()
        .filter(|l| l.name != danger.layer.name && !l.facilities.is_empty())
        .filter_map(|l| l.nearest_ft.map(|d| (l, d)))
        .min_by(|(_, a), (_, b)| a.total_cmp(b));
    match also {
        Some((l, d)) => format!(
            "{}; also {} {d:.0} ft",
            danger.in_words(),
            l.class.as_str().replace('_', " ")
        ),
        None => danger.in_words(),
    }
}

/// The moment that matters first: the legal start or the response due time, the earlier.
pub fn deadline(ticket: &Ticket) -> Option<DateTime<Utc>> {
    [ticket.legal_start_at, ticket.response_due_at]
        .into_iter()
        .flatten()
        .map(|t| t.with_timezone(&Utc))
        .min()
}

/// How much closeness to the deadline multiplies harm: 1 with no deadline or days to go,
/// rising to [`URGENCY_AT_DEADLINE`] at it, and that once it has passed.
pub fn urgency(deadline: Option<DateTime<Utc>>, now: DateTime<Utc>) -> f64 {
    let Some(d) = deadline else {
        return 1.0;
    };
    let left = (d - now).num_seconds() as f64 / 3600.0;
    if left <= 0.0 {
        return URGENCY_AT_DEADLINE;
    }
    1.0 + (URGENCY_AT_DEADLINE - 1.0) * 0.5f64.powf(left / URGENCY_HALF_LIFE_HOURS)
}

/// An alert's place in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Priority {
    /// Probability × consequence weight.
    pub expected_harm: f64,
    /// Expected harm × urgency: what the queue orders by.
    pub score: f64,
    /// The deadline has passed (shown; it lifts nothing beyond the deadline's own urgency).
    pub overdue: bool,
    pub deadline: Option<DateTime<Utc>>,
}

/// How long after its dig time an alert still counts as live (a day).
pub const STALE_AFTER: TimeDelta = TimeDelta::hours(24);

impl Priority {
    /// A probability that is not a number (the model failed) counts as certain damage: the
    /// ticket goes to the top, as its band sends it to a person.
    pub fn new(
        probability: f64,
        consequence: f64,
        deadline: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Self {
        let p = if probability.is_nan() {
            1.0
        } else {
            probability.clamp(0.0, 1.0)
        };
        let expected_harm = p * consequence.max(0.0);
        Self {
            expected_harm,
            score: expected_harm * urgency(deadline, now),
            overdue: deadline.is_some_and(|d| d <= now),
            deadline,
        }
    }

    /// Time left to the deadline (negative once passed).
    pub fn time_left(&self, now: DateTime<Utc>) -> Option<TimeDelta> {
        self.deadline.map(|d| d - now)
    }

    /// Its dig time passed more than `after` ago: listed apart, below the live alerts.
    pub fn is_stale(&self, now: DateTime<Utc>, after: TimeDelta) -> bool {
        self.deadline.is_some_and(|d| d + after <= now)
    }

    /// Queue order among alerts of the same group (live or stale): the higher score, then the
    /// earlier deadline (one without a deadline last).
    pub fn queue_order(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(match (self.deadline, other.deadline) {
                (Some(a), Some(b)) => a.cmp(&b),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            })
    }
}

/// Time to the deadline as a queue row says it: "2 h 10 min left", "overdue 35 min".
pub fn time_left_words(deadline: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(d) = deadline else {
        return "no start or due time".into();
    };
    let secs = (d - now).num_seconds();
    let span = |s: i64| {
        let m = s.max(0) / 60;
        let (days, hours, mins) = (m / 1440, (m / 60) % 24, m % 60);
        if days > 0 {
            format!("{days} d {hours} h")
        } else if hours > 0 {
            format!("{hours} h {mins} min")
        } else {
            format!("{mins} min")
        }
    };
    if secs <= 0 {
        format!("overdue {}", span(-secs))
    } else {
        format!("{} left", span(secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screening::{LayerScreening, Unknown};
    use proptest::prelude::*;

    fn at(h: f64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + TimeDelta::seconds((h * 3600.0) as i64)
    }

    fn layer(class: FacilityClass, within: usize) -> LayerScreening {
        LayerScreening {
            name: class.as_str().into(),
            version: 1,
            class,
            buffer_ft: class.default_buffer_ft(),
            close_ft: 250.0,
            nearest_ft: Some(5.0),
            within_buffer: within,
            facilities: Vec::new(),
        }
    }

    #[test]
    fn the_heaviest_class_in_conflict_weighs_and_unknown_is_the_heaviest() {
        let w = ConsequenceWeights::default();
        let s = Screening::from_layers(vec![
            layer(FacilityClass::Telecom, 1),
            layer(FacilityClass::GasDistribution, 2),
            // Near, but not in its zone: it does not count.
            layer(FacilityClass::GasTransmission, 0),
        ]);
        assert_eq!(
            Consequence::of(Some(&s), &w),
            Consequence::Conflict {
                class: FacilityClass::GasDistribution,
                weight: 30.0
            }
        );
        let none = Screening::unknown(Unknown::NoLayer, Vec::new());
        assert_eq!(Consequence::of(Some(&none), &w).weight(), 100.0);
        assert_eq!(Consequence::of(None, &w).weight(), 100.0);
        let clear = Screening::from_layers(vec![LayerScreening {
            nearest_ft: Some(900.0),
            ..layer(FacilityClass::GasTransmission, 0)
        }]);
        assert_eq!(Consequence::of(Some(&clear), &w).weight(), NO_CONFLICT);
        let mut heavier = w.clone();
        heavier.set(FacilityClass::Water, 500.0).unwrap();
        assert_eq!(heavier.heaviest(), (FacilityClass::Water, 500.0));
        assert!(heavier.set(FacilityClass::Water, 0.5).is_err());
        assert!(heavier.set(FacilityClass::Water, f64::NAN).is_err());
    }

    #[test]
    fn hand_made_queue_higher_harm_first_earlier_deadline_at_equal_harm() {
        let now = at(1000.0);
        let q = |p: f64, c: f64, deadline_h: Option<f64>| {
            Priority::new(p, c, deadline_h.map(|h| at(1000.0 + h)), now)
        };
        let cases = [
            ("fence post, clear, next week", q(0.001, 1.0, Some(150.0))),
            (
                "bore beside transmission, 2 days",
                q(0.03, 100.0, Some(48.0)),
            ),
            ("same harm, starts in 3 hours", q(0.03, 100.0, Some(3.0))),
            ("same harm, starts in 1 hour", q(0.03, 100.0, Some(1.0))),
            ("trencher over fibre, overdue", q(0.01, 5.0, Some(-0.5))),
            // The model failed: certain damage, but nothing of ours in conflict.
            ("unknown risk, no deadline", q(f64::NAN, 1.0, None)),
        ];
        let mut sorted: Vec<_> = cases.iter().collect();
        sorted.sort_by(|a, b| a.1.queue_order(&b.1));
        let names: Vec<&str> = sorted.iter().map(|c| c.0).collect();
        assert_eq!(
            names,
            [
                "same harm, starts in 1 hour",
                "same harm, starts in 3 hours",
                "bore beside transmission, 2 days",
                "unknown risk, no deadline",
                "trencher over fibre, overdue",
                "fence post, clear, next week",
            ]
        );
        // At equal score, the earlier deadline first.
        let a = q(0.02, 10.0, Some(200.0));
        let b = q(0.02, 10.0, Some(300.0));
        assert!((a.score - b.score).abs() < 1e-3);
        let exact = Priority {
            score: b.score,
            ..a
        };
        assert_eq!(exact.queue_order(&b), Ordering::Less);
    }

    /// Issue 32: for a bore across the corridor the queue said "telecom 0 ft, gas distribution
    /// 0 ft" while gas transmission lay 11 ft away inside its 100 ft zone. The heaviest class in
    /// its zone leads, whatever its distance rank.
    #[test]
    fn the_most_dangerous_facility_is_named_first() {
        let w = ConsequenceWeights::default();
        let with = |class: FacilityClass, d: f64, within: usize| LayerScreening {
            nearest_ft: Some(d),
            facilities: vec![crate::screening::NearFacility {
                id: format!("{}-1", class.as_str()),
                seq: 0,
                distance_ft: d,
                attributes: serde_json::Map::new(),
            }],
            ..layer(class, within)
        };
        let s = Screening::from_layers(vec![
            with(FacilityClass::Telecom, 0.0, 1),
            with(FacilityClass::GasService, 0.0, 3),
            with(FacilityClass::GasTransmission, 11.0, 1),
            with(FacilityClass::Water, 4.0, 1),
        ]);
        let d = most_dangerous(&s, &w).unwrap();
        assert_eq!(d.layer.class, FacilityClass::GasTransmission);
        assert_eq!(
            buried_in_words(&s, &w),
            "gas transmission 11 ft — inside its 100 ft zone; also telecom 0 ft"
        );
        // Nothing in a zone: the nearest, said to be outside its zone.
        let close = Screening::from_layers(vec![
            with(FacilityClass::Water, 40.0, 0),
            with(FacilityClass::GasTransmission, 180.0, 0),
        ]);
        assert_eq!(
            buried_in_words(&close, &w),
            "water 40 ft — outside its 25 ft zone; also gas transmission 180 ft"
        );
        let none = Screening::unknown(Unknown::OutsideCoverage, Vec::new());
        assert_eq!(
            buried_in_words(&none, &w),
            "not known: outside the mapped area"
        );
    }

    #[test]
    fn time_left_in_words() {
        let now = at(100.0);
        assert_eq!(time_left_words(Some(at(102.17)), now), "2 h 10 min left");
        assert_eq!(time_left_words(Some(at(99.42)), now), "overdue 34 min");
        assert_eq!(time_left_words(Some(at(150.0)), now), "2 d 2 h left");
        assert_eq!(time_left_words(None, now), "no start or due time");
    }

    proptest! {
        #[test]
        fn priority_is_monotone_in_probability_consequence_and_urgency(
            p in 0.0f64..1.0, dp in 0.0f64..0.5,
            c in 1.0f64..200.0, dc in 0.0f64..100.0,
            left in -48.0f64..400.0, sooner in 0.0f64..100.0,
        ) {
            let now = at(5000.0);
            let d = Some(at(5000.0 + left));
            let base = Priority::new(p, c, d, now);
            prop_assert!(Priority::new((p + dp).min(1.0), c, d, now).score >= base.score);
            prop_assert!(Priority::new(p, c + dc, d, now).score >= base.score);
            let closer = Priority::new(p, c, Some(at(5000.0 + left - sooner)), now);
            prop_assert!(closer.score >= base.score);
            // Never below the expected harm, never above it at the deadline's boost.
            prop_assert!(base.score >= base.expected_harm);
            prop_assert!(base.score <= base.expected_harm * URGENCY_AT_DEADLINE + 1e-12);
        }

        /// Lateness alone never lifts a small harm above a large one: past its deadline an
        /// alert weighs what it weighed at it, however late, and a larger harm at (or past) its
        /// own deadline (or a minute from it) comes first.
        #[test]
        fn lateness_alone_lifts_nothing(
            p in 0.0001f64..1.0, c in 1.0f64..200.0,
            late in 0.0f64..2000.0, more in 0.0f64..2000.0, larger in 1.01f64..50.0,
            left in -2000.0f64..0.01,
        ) {
            let now = at(5000.0);
            let at_deadline = Priority::new(p, c, Some(now), now);
            let overdue = Priority::new(p, c, Some(at(5000.0 - late)), now);
            let later = Priority::new(p, c, Some(at(5000.0 - late - more)), now);
            prop_assert!((overdue.score - at_deadline.score).abs() < 1e-9);
            prop_assert!((later.score - overdue.score).abs() < 1e-9);
            let big = Priority::new((p * larger).min(1.0), c * larger, Some(at(5000.0 + left)), now);
            prop_assert_eq!(big.queue_order(&later), Ordering::Less);
        }
    }

    /// The pair from the README's Oakland example (issue 32): a ticket whose legal start was 15
    /// days ago, outside the mapped area (0.27 %, the heaviest class as nobody knows), against a
    /// bore across the gas transmission corridor 59 minutes from its start (4.0 %). The bore
    /// comes first, and the Oakland ticket is stale: listed apart, below the live ones.
    #[test]
    fn a_stale_unknown_ticket_never_sits_above_a_bore_across_transmission() {
        let now = at(10_000.0);
        let w = ConsequenceWeights::default();
        let unknown = Consequence::of(None, &w).weight();
        let oakland = Priority::new(0.0027, unknown, Some(at(10_000.0 - 15.0 * 24.0 - 9.0)), now);
        let bore = Priority::new(
            0.040,
            w.weight(FacilityClass::GasTransmission),
            Some(now + TimeDelta::minutes(59)),
            now,
        );
        assert_eq!(bore.queue_order(&oakland), Ordering::Less);
        assert!(oakland.is_stale(now, STALE_AFTER));
        assert!(!bore.is_stale(now, STALE_AFTER));
        // A day late is stale; an hour late is not.
        let hour_late = Priority::new(0.01, 5.0, Some(at(10_000.0 - 1.0)), now);
        assert!(hour_late.overdue && !hour_late.is_stale(now, STALE_AFTER));
    }
}
