//! What to look at first (contract §12): an alert's priority is its expected harm — the
//! probability of damage times the consequence of the most serious facility in conflict — raised
//! as its deadline (the legal start or the response due time, whichever comes first) approaches,
//! and highest once the deadline has passed.
//!
//! Consequence weights are relative (a gas transmission rupture against a fibre cut), set per
//! class in `risk.consequence.<class>`; screening `unknown` counts as the heaviest class, because
//! not knowing what is buried is not evidence that nothing is.

use std::cmp::Ordering;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::screening::{Category, FacilityClass, Screening};
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
    /// The deadline has passed: listed above every alert whose deadline has not.
    pub overdue: bool,
    pub deadline: Option<DateTime<Utc>>,
}

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

    /// Queue order: overdue first, then the higher score, then the earlier deadline (one
    /// without a deadline last).
    pub fn queue_order(&self, other: &Self) -> Ordering {
        other
            .overdue
            .cmp(&self.overdue)
            .then(other.score.total_cmp(&self.score))
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
    fn hand_made_queue_higher_harm_first_earlier_deadline_at_equal_harm_overdue_on_top() {
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
                "trencher over fibre, overdue",
                "same harm, starts in 1 hour",
                "same harm, starts in 3 hours",
                "bore beside transmission, 2 days",
                "unknown risk, no deadline",
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
            // Overdue alerts order before any that are not.
            let fresh = Priority::new(1.0, 200.0, Some(at(5000.0 + 1.0)), now);
            let late = Priority::new(p, c, Some(at(5000.0 - 0.1)), now);
            prop_assert_eq!(late.queue_order(&fresh), Ordering::Less);
        }
    }
}
