//! Sequence gaps (contract §9): a OneCall center numbers its deliveries to each station; a
//! number skipped and not filled within a grace period is a ticket that may never have
//! arrived. Repeats (retries) are not news; a number lower than the last that fills no gap is
//! the center starting its count again, not a gap.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// One delivery's sequence number and when it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub sequence: u64,
    pub at: DateTime<Utc>,
}

/// Numbers `from..=to` never arrived; the gap opened at `since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    pub from: u64,
    pub to: u64,
    pub since: DateTime<Utc>,
}

impl Gap {
    /// How many numbers are missing.
    pub fn missing(&self) -> u64 {
        self.to - self.from + 1
    }
}

#[derive(Default)]
struct Segment {
    seen: BTreeSet<u64>,
    max: Option<u64>,
    /// Ranges skipped when a higher number arrived, with when.
    open: Vec<Gap>,
}

impl Segment {
    /// What is still missing of each range that opened at least `grace` before `now`.
    fn unfilled(&self, now: DateTime<Utc>, grace: TimeDelta, out: &mut Vec<Gap>) {
        for g in self.open.iter().filter(|g| g.since + grace <= now) {
            let mut next = g.from;
            for &s in self.seen.range(g.from..=g.to) {
                if s > next {
                    out.push(Gap {
                        from: next,
                        to: s - 1,
                        since: g.since,
                    });
                }
                next = s + 1;
            }
            if next <= g.to {
                out.push(Gap {
                    from: next,
                    to: g.to,
                    since: g.since,
                });
            }
        }
    }

    fn in_open_gap(&self, n: u64) -> bool {
        self.open.iter().any(|g| (g.from..=g.to).contains(&n))
    }
}

/// The gaps in one station's deliveries (`marks` in the order they arrived) that are older
/// than `grace` at `now`.
pub fn gaps(marks: &[Mark], now: DateTime<Utc>, grace: TimeDelta) -> Vec<Gap> {
    let mut out = Vec::new();
    let mut seg = Segment::default();
    for m in marks {
        let n = m.sequence;
        match seg.max {
            None => seg.max = Some(n),
            Some(max) if n > max => {
                if n > max + 1 {
                    seg.open.push(Gap {
                        from: max + 1,
                        to: n - 1,
                        since: m.at,
                    });
                }
                seg.max = Some(n);
            }
            Some(_) if seg.seen.contains(&n) || seg.in_open_gap(n) => {}
            Some(_) => {
                // Lower than the last, filling nothing: the center counts from the start again.
                seg.unfilled(now, grace, &mut out);
                seg = Segment {
                    max: Some(n),
                    ..Segment::default()
                };
            }
        }
        seg.seen.insert(n);
    }
    seg.unfilled(now, grace, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks(seq: &[u64], start: DateTime<Utc>) -> Vec<Mark> {
        seq.iter()
            .enumerate()
            .map(|(i, &s)| Mark {
                sequence: s,
                at: start + TimeDelta::seconds(i as i64),
            })
            .collect()
    }

    #[test]
    fn a_skipped_number_is_a_gap_after_the_grace_period_unless_it_arrives() {
        let t0 = Utc::now();
        let m = marks(&[1, 2, 5, 6], t0);
        let grace = TimeDelta::minutes(10);
        assert!(
            gaps(&m, t0 + TimeDelta::minutes(5), grace).is_empty(),
            "within grace"
        );
        let late = t0 + TimeDelta::minutes(11);
        assert_eq!(
            gaps(&m, late, grace),
            vec![Gap {
                from: 3,
                to: 4,
                since: t0 + TimeDelta::seconds(2)
            }]
        );
        // 4 arrives out of order: only 3 is missing; 3 arrives too: nothing is.
        let m = marks(&[1, 2, 5, 4, 6, 2], t0);
        assert_eq!(
            gaps(&m, late, grace)
                .iter()
                .map(|g| (g.from, g.to))
                .collect::<Vec<_>>(),
            vec![(3, 3)]
        );
        let m = marks(&[1, 2, 5, 4, 3], t0);
        assert!(gaps(&m, late, grace).is_empty());
    }

    #[test]
    fn a_reset_is_not_a_gap_and_gaps_before_it_still_count() {
        let t0 = Utc::now();
        let late = t0 + TimeDelta::hours(1);
        let grace = TimeDelta::minutes(10);
        let m = marks(&[7, 8, 9, 1, 2, 3], t0);
        assert!(gaps(&m, late, grace).is_empty());
        let m = marks(&[7, 9, 1, 2, 4], t0);
        let got: Vec<(u64, u64)> = gaps(&m, late, grace)
            .iter()
            .map(|g| (g.from, g.to))
            .collect();
        assert_eq!(got, vec![(8, 8), (3, 3)]);
    }
}
