//! The arithmetic of the program's reports (contract §15), pure: the bucket a day falls in (ISO
//! weeks start on Monday, months on the 1st), a rate per 1,000 and a share that say "no
//! denominator" instead of dividing by zero, and nearest-rank percentiles.

use chrono::{Datelike, NaiveDate, TimeDelta};

use crate::vocabulary;

vocabulary!(
    /// How a report's rows are grouped in time.
    Bucket {
        Day = "day", "day";
        Week = "week", "week (from Monday)";
        Month = "month", "month";
    }
);

/// The first day of the bucket `day` falls in.
pub fn bucket_start(day: NaiveDate, bucket: Bucket) -> NaiveDate {
    match bucket {
        Bucket::Day => day,
        Bucket::Week => day - TimeDelta::days(i64::from(day.weekday().num_days_from_monday())),
        Bucket::Month => day.with_day(1).unwrap_or(day),
    }
}

/// The start of every bucket from the one `first` falls in to the one `last` falls in, in
/// order: a chart's axis, with the buckets that had nothing in them.
pub fn buckets(first: NaiveDate, last: NaiveDate, bucket: Bucket) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut at = bucket_start(first, bucket);
    while at <= last {
        out.push(at);
        at = match bucket {
            Bucket::Day => at + TimeDelta::days(1),
            Bucket::Week => at + TimeDelta::days(7),
            Bucket::Month => at
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(NaiveDate::MAX),
        };
    }
    out
}

/// The day `days` after the Unix epoch.
pub fn epoch_day(days: i64) -> NaiveDate {
    NaiveDate::default() + TimeDelta::days(days)
}

/// Events per 1,000 tickets; `None` without tickets (a rate of nothing is not zero).
pub fn per_thousand(events: u64, tickets: u64) -> Option<f64> {
    (tickets > 0).then(|| events as f64 * 1000.0 / tickets as f64)
}

/// `part` of `whole` as a fraction; `None` when there is no whole.
pub fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The nearest-rank `p`-th percentile (0 < p ≤ 100) of sorted values; `None` for none.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil().max(1.0);
    // A rank between 1 and the length: the index is in range.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let i = (rank as usize).min(sorted.len()) - 1;
    sorted.get(i).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn days_fall_in_their_iso_week_and_month() {
        // 2026-11-23 is a Monday; 2026-11-29 a Sunday.
        assert_eq!(bucket_start(d("2026-11-29"), Bucket::Week), d("2026-11-23"));
        assert_eq!(bucket_start(d("2026-11-23"), Bucket::Week), d("2026-11-23"));
        assert_eq!(bucket_start(d("2026-12-01"), Bucket::Week), d("2026-11-30"));
        assert_eq!(
            bucket_start(d("2026-11-29"), Bucket::Month),
            d("2026-11-01")
        );
        assert_eq!(bucket_start(d("2026-11-29"), Bucket::Day), d("2026-11-29"));
        assert_eq!(epoch_day(20_415), d("2025-11-23"));
    }

    #[test]
    fn an_axis_has_every_bucket_of_the_period_empty_or_not() {
        assert_eq!(
            buckets(d("2026-01-31"), d("2026-04-01"), Bucket::Month),
            vec![
                d("2026-01-01"),
                d("2026-02-01"),
                d("2026-03-01"),
                d("2026-04-01")
            ]
        );
        // Tuesday 2026-11-24 to Monday 2026-12-07: three weeks from Monday the 23rd.
        assert_eq!(
            buckets(d("2026-11-24"), d("2026-12-07"), Bucket::Week),
            vec![d("2026-11-23"), d("2026-11-30"), d("2026-12-07")]
        );
        assert_eq!(
            buckets(d("2026-11-24"), d("2026-11-24"), Bucket::Day).len(),
            1
        );
        assert!(buckets(d("2026-11-24"), d("2026-11-23"), Bucket::Day).is_empty());
    }

    #[test]
    fn rates_say_when_there_is_nothing_to_divide_by() {
        assert_eq!(per_thousand(3, 1_500), Some(2.0));
        assert_eq!(per_thousand(0, 0), None);
        assert_eq!(share(1, 4), Some(0.25));
        assert_eq!(share(0, 0), None);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(percentile(&v, 50.0), Some(5.0));
        assert_eq!(percentile(&v, 90.0), Some(9.0));
        assert_eq!(percentile(&v, 100.0), Some(10.0));
        assert_eq!(percentile(&[7.0], 90.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
    }
}
