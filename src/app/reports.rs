//! The program's reports (contract §15): volume, damage rate, timeliness, alerts, PHMSA's Part D
//! and a DIRT export, each a table with its columns named, its denominator stated and its
//! totals, answered as JSON or CSV and drawn by the console. Counts come from storage in few
//! grouped reads; buckets, rates and percentiles from the domain's report arithmetic.

use std::collections::BTreeMap;

use aegis_actors::ports::StoreError;
use aegis_workflows::investigation::{Kind, LegacyGroup, RootCause, dirt_facility};
use aegis_workflows::reports::{Bucket, bucket_start, epoch_day, per_thousand, percentile, share};
use aegis_workflows::vocabulary::Words;
use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::App;
use super::errors::{Refusal, refusal};
use super::views::InvestigationView;
use crate::db::reports::{self as stored, Period, TallyBy, TicketDay};

/// The reports there are, by name.
pub const NAMES: &[&str] = &[
    "volume",
    "damage-rate",
    "timeliness",
    "alerts",
    "phmsa-part-d",
    "dirt",
];

/// What `damage-rate` can be broken down by.
pub const BY: &[&str] = &[
    "excavator",
    "root_cause_group",
    "work_type",
    "method",
    "facility_class",
];

/// Longest period a report covers.
pub const MAX_DAYS: i64 = 3 * 366;
/// Rows of the excavator scorecard at most.
pub const SCORECARD_ROWS: usize = 50;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("no such report (one of: {})", NAMES.join(", "))]
    NoSuchReport,
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

refusal!(ReportError, self => match self {
    Self::NoSuchReport => Refusal::not_found("report"),
    Self::Invalid { field, .. } => Refusal::invalid(field, self.to_string()),
    Self::Store(e) => e.refusal(),
});

/// What a caller asks of a report, unchecked.
#[derive(Debug, Clone, Default)]
pub struct ReportQuery {
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub center: Option<String>,
    pub bucket: Option<String>,
    pub by: Option<String>,
    pub year: Option<i32>,
    pub tz: Option<String>,
}

/// A report: its rows under named columns, what its rates divide by, and its totals.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub report: &'static str,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub center: Option<String>,
    /// The zone days are counted in.
    pub tz: String,
    pub bucket: Option<&'static str>,
    pub by: Option<&'static str>,
    /// What every rate and share divides by, in words, with its count.
    pub denominator: String,
    #[schema(value_type = Object)]
    pub totals: serde_json::Map<String, Value>,
    pub columns: Vec<&'static str>,
    /// One object per row, keyed by the columns.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<serde_json::Map<String, Value>>,
}

impl Report {
    fn new(report: &'static str, p: &Resolved, columns: Vec<&'static str>) -> Self {
        Self {
            report,
            from: p.period.from,
            until: p.period.until,
            center: p.period.center.clone(),
            tz: p.tz.name().to_owned(),
            bucket: None,
            by: None,
            denominator: String::new(),
            totals: serde_json::Map::new(),
            columns,
            rows: Vec::new(),
        }
    }

    fn row(&mut self, values: Vec<Value>) {
        let row = self
            .columns
            .iter()
            .map(|c| (*c).to_owned())
            .zip(values)
            .collect();
        self.rows.push(row);
    }

    fn total(&mut self, key: &str, v: Value) {
        self.totals.insert(key.to_owned(), v);
    }

    /// The rows as CSV, columns in order (a header line first).
    pub fn csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&self.columns)?;
        for row in &self.rows {
            w.write_record(self.columns.iter().map(|c| cell(row.get(*c))))?;
        }
        let bytes = w.into_inner().map_err(|e| e.into_error())?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// A value as a CSV cell: text as it is, numbers as JSON writes them, nothing as empty.
pub fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A query checked: its period in UTC, the zone its days are counted in.
struct Resolved {
    period: Period,
    tz: chrono_tz::Tz,
    bucket: Bucket,
}

fn round(v: Option<f64>, places: i32) -> Value {
    let f = 10f64.powi(places);
    v.map_or(Value::Null, |v| json!((v * f).round() / f))
}

impl App {
    /// The report `name` for `q`.
    pub async fn report(&self, name: &str, q: &ReportQuery) -> Result<Report, ReportError> {
        let resolved = self.resolve(name, q)?;
        match name {
            "volume" => self.volume(&resolved).await,
            "damage-rate" => self.damage_rate(&resolved, q.by.as_deref()).await,
            "timeliness" => self.timeliness(&resolved).await,
            "alerts" => self.alerts_report(&resolved).await,
            "phmsa-part-d" => self.part_d(&resolved).await,
            "dirt" => self.dirt(&resolved).await,
            _ => Err(ReportError::NoSuchReport),
        }
    }

    fn resolve(&self, name: &str, q: &ReportQuery) -> Result<Resolved, ReportError> {
        if !NAMES.contains(&name) {
            return Err(ReportError::NoSuchReport);
        }
        let tz: chrono_tz::Tz = match q.tz.as_deref() {
            Some(t) => t.parse().map_err(|_| ReportError::Invalid {
                field: "tz",
                message: format!("'{t}' is not an IANA time zone (America/Los_Angeles, UTC, …)"),
            })?,
            None => chrono_tz::UTC,
        };
        if let Some(year) = q.year
            && !(2000..=2100).contains(&year)
        {
            return Err(ReportError::Invalid {
                field: "year",
                message: "year must be between 2000 and 2100".into(),
            });
        }
        if let Some(by) = q.by.as_deref()
            && !BY.contains(&by)
        {
            return Err(ReportError::Invalid {
                field: "by",
                message: format!("by must be one of: {}", BY.join(", ")),
            });
        }
        let (from, until) = match (name, q.year) {
            ("phmsa-part-d", Some(year)) => year_of(year, tz)?,
            ("phmsa-part-d", None) => {
                let last = self.now().with_timezone(&tz).year() - 1;
                year_of(last, tz)?
            }
            _ => {
                let until = q.until.unwrap_or_else(|| self.now());
                let from = q.from.unwrap_or(until - TimeDelta::days(365));
                (from, until)
            }
        };
        if from >= until {
            return Err(ReportError::Invalid {
                field: "from",
                message: "from must be before until".into(),
            });
        }
        if until - from > TimeDelta::days(MAX_DAYS) {
            return Err(ReportError::Invalid {
                field: "until",
                message: format!("a report covers at most {MAX_DAYS} days"),
            });
        }
        let bucket = match q.bucket.as_deref() {
            Some(b) => Bucket::parse_name(b).ok_or_else(|| ReportError::Invalid {
                field: "bucket",
                message: "bucket must be one of: day, week, month".into(),
            })?,
            None => Bucket::Month,
        };
        // The zone's offset at the start of the period: days are counted in it throughout
        // (a daylight-saving change moves an hour of one night to the neighbouring day).
        let offset =
            chrono::Offset::fix(&tz.offset_from_utc_datetime(&from.naive_utc())).local_minus_utc();
        Ok(Resolved {
            period: Period {
                from,
                until,
                center: q.center.clone().filter(|c| !c.trim().is_empty()),
                offset_us: i64::from(offset) * 1_000_000,
            },
            tz,
            bucket,
        })
    }

    async fn ticket_days(&self, p: &Resolved) -> Result<Vec<TicketDay>, StoreError> {
        let (period, now) = (p.period.clone(), self.now());
        self.db
            .with_read(move |c| stored::ticket_days(c, &period, now))
            .await
    }

    async fn period_investigations(
        &self,
        p: &Resolved,
    ) -> Result<Vec<InvestigationView>, StoreError> {
        let period = p.period.clone();
        let rows = self
            .db
            .with_read(move |c| stored::investigations(c, &period))
            .await?;
        rows.into_iter().map(InvestigationView::of).collect()
    }

    async fn volume(&self, p: &Resolved) -> Result<Report, ReportError> {
        let days = self.ticket_days(p).await?;
        let mut r = Report::new(
            "volume",
            p,
            vec![
                "bucket",
                "ticket_type",
                "category",
                "tickets",
                "cleared_automatically",
            ],
        );
        r.bucket = Some(p.bucket.as_str());
        let mut rows: BTreeMap<(NaiveDate, String, String), (u64, u64)> = BTreeMap::new();
        let (mut total, mut cleared) = (0u64, 0u64);
        for d in &days {
            let n = u64::try_from(d.tickets).unwrap_or(0);
            let c = if d.cleared > 0 { n } else { 0 };
            let key = (
                bucket_start(epoch_day(d.day), p.bucket),
                d.ticket_type.clone(),
                if d.category.is_empty() {
                    "not_screened".to_owned()
                } else {
                    d.category.clone()
                },
            );
            let e = rows.entry(key).or_default();
            e.0 += n;
            e.1 += c;
            total += n;
            cleared += c;
        }
        for ((b, t, c), (n, cl)) in rows {
            r.row(vec![
                json!(b.to_string()),
                json!(t),
                json!(c),
                json!(n),
                json!(cl),
            ]);
        }
        r.denominator = format!("tickets received (every type): {total}");
        r.total("tickets", json!(total));
        r.total("cleared_automatically", json!(cleared));
        r.total("cleared_share", round(share(cleared, total), 4));
        Ok(r)
    }

    async fn timeliness(&self, p: &Resolved) -> Result<Report, ReportError> {
        let days = self.ticket_days(p).await?;
        let mut r = Report::new(
            "timeliness",
            p,
            vec!["bucket", "tickets", "measured", "on_time", "on_time_share"],
        );
        r.bucket = Some(p.bucket.as_str());
        let mut rows: BTreeMap<NaiveDate, (u64, u64, u64)> = BTreeMap::new();
        for d in days.iter().filter(|d| d.counted > 0) {
            let e = rows
                .entry(bucket_start(epoch_day(d.day), p.bucket))
                .or_default();
            e.0 += u64::try_from(d.tickets).unwrap_or(0);
            e.1 += u64::try_from(d.due_passed).unwrap_or(0);
            e.2 += u64::try_from(d.on_time).unwrap_or(0);
        }
        let (mut tickets, mut measured, mut on_time) = (0, 0, 0);
        for (b, (t, m, o)) in rows {
            r.row(vec![
                json!(b.to_string()),
                json!(t),
                json!(m),
                json!(o),
                round(share(o, m), 4),
            ]);
            tickets += t;
            measured += m;
            on_time += o;
        }
        r.denominator = format!(
            "excavation tickets received (no cancellations, design or test tickets) whose due time has passed or that were answered: {measured} of {tickets}"
        );
        r.total("tickets", json!(tickets));
        r.total("measured", json!(measured));
        r.total("on_time", json!(on_time));
        r.total("on_time_share", round(share(on_time, measured), 4));
        Ok(r)
    }

    async fn damage_rate(&self, p: &Resolved, by: Option<&str>) -> Result<Report, ReportError> {
        let events = self.period_investigations(p).await?;
        let damages = events.iter().filter(|e| e.kind == Kind::Damage).count() as u64;
        let near = events.iter().filter(|e| e.kind == Kind::NearMiss).count() as u64;
        let (mut r, tickets) = match by {
            // Per bucket of time the days are needed; a breakdown needs only their total.
            None => {
                let days = self.ticket_days(p).await?;
                (rate_by_time(p, &days, &events), counted_in(&days))
            }
            Some(by) => {
                let tickets = self.counted_tickets(p).await?;
                (self.breakdown(p, by, &events, tickets).await?, tickets)
            }
        };
        r.denominator = format!(
            "excavation tickets received (no cancellations, design or test tickets): {tickets}"
        );
        r.total("tickets", json!(tickets));
        r.total("damages", json!(damages));
        r.total("near_misses", json!(near));
        r.total("damages_per_1000", round(per_thousand(damages, tickets), 3));
        Ok(r)
    }

    async fn breakdown(
        &self,
        p: &Resolved,
        by: &str,
        events: &[InvestigationView],
        tickets: u64,
    ) -> Result<Report, ReportError> {
        Ok(match by {
            "excavator" => self.scorecard(p, events).await?,
            "work_type" => self.rate_by_tally(p, "work_type", events).await?,
            "method" => self.rate_by_tally(p, "method", events).await?,
            "root_cause_group" => rate_by_finding(p, "root_cause_group", events, tickets),
            "facility_class" => rate_by_finding(p, "facility_class", events, tickets),
            _ => {
                return Err(ReportError::Invalid {
                    field: "by",
                    message: format!("by must be one of: {}", BY.join(", ")),
                });
            }
        })
    }

    async fn counted_tickets(&self, p: &Resolved) -> Result<u64, StoreError> {
        let period = p.period.clone();
        let n = self
            .db
            .with_read(move |c| stored::counted_tickets(c, &period))
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn rate_by_tally(
        &self,
        p: &Resolved,
        by: &'static str,
        events: &[InvestigationView],
    ) -> Result<Report, ReportError> {
        let kind = if by == "work_type" {
            TallyBy::WorkType
        } else {
            TallyBy::Method
        };
        let period = p.period.clone();
        let tallies = self
            .db
            .with_read(move |c| stored::tally(c, &period, kind))
            .await?;
        let mut r = Report::new(
            "damage-rate",
            p,
            vec![by, "tickets", "damages", "near_misses", "damages_per_1000"],
        );
        r.by = Some(by);
        let mut rows: BTreeMap<String, (u64, u64, u64)> = tallies
            .into_iter()
            .map(|t| {
                let key = if t.key.is_empty() {
                    "unknown".to_owned()
                } else {
                    t.key
                };
                (key, (u64::try_from(t.tickets).unwrap_or(0), 0, 0))
            })
            .collect();
        for e in events {
            let key = match by {
                "work_type" => e.work_type.map(|w| w.as_str()),
                _ => e.method.map(|m| m.as_str()),
            }
            .unwrap_or("unknown")
            .to_owned();
            let row = rows.entry(key).or_default();
            match e.kind {
                Kind::Damage => row.1 += 1,
                Kind::NearMiss => row.2 += 1,
                Kind::Downtime => {}
            }
        }
        let mut rows: Vec<_> = rows.into_iter().collect();
        rows.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(b.1.0.cmp(&a.1.0)));
        for (k, (t, d, n)) in rows {
            r.row(vec![
                json!(k),
                json!(t),
                json!(d),
                json!(n),
                round(per_thousand(d, t), 3),
            ]);
        }
        Ok(r)
    }

    /// The excavator scorecard: every excavator with a damage or near miss in the period, and
    /// the busiest others, each with its tickets, damages, near misses, rate and tickets whose
    /// work was to begin before the legal start.
    async fn scorecard(
        &self,
        p: &Resolved,
        events: &[InvestigationView],
    ) -> Result<Report, ReportError> {
        let period = p.period.clone();
        let tallies = self
            .db
            .with_read(move |c| stored::excavators(c, &period))
            .await?;
        let mut harm = harm_by_excavator(events);
        let mut rows: Vec<(String, String, u64, u64, u64, u64)> = tallies
            .into_iter()
            .map(|t| {
                let (d, n, name) = harm.remove(&t.key).unwrap_or_default();
                let shown = t.name.or(name).unwrap_or_else(|| "not identified".into());
                (
                    t.key,
                    shown,
                    u64::try_from(t.tickets).unwrap_or(0),
                    d,
                    n,
                    u64::try_from(t.dug_early).unwrap_or(0),
                )
            })
            .collect();
        // Harm by excavators with no counted ticket in the period (a damage on an older one).
        rows.extend(harm.into_iter().map(|(k, (d, n, name))| {
            (
                k,
                name.unwrap_or_else(|| "not identified".into()),
                0,
                d,
                n,
                0,
            )
        }));
        rows.sort_by(|a, b| {
            (b.3 + b.4)
                .cmp(&(a.3 + a.4))
                .then(b.3.cmp(&a.3))
                .then(b.2.cmp(&a.2))
                .then(a.1.cmp(&b.1))
        });
        let mut r = Report::new(
            "damage-rate",
            p,
            vec![
                "excavator",
                "tickets",
                "damages",
                "near_misses",
                "damages_per_1000",
                "dug_before_legal_start",
            ],
        );
        r.by = Some("excavator");
        let listed = rows.len().min(SCORECARD_ROWS);
        for (_, name, t, d, n, early) in rows.into_iter().take(listed) {
            r.row(vec![
                json!(name),
                json!(t),
                json!(d),
                json!(n),
                round(per_thousand(d, t), 3),
                json!(early),
            ]);
        }
        Ok(r)
    }

    async fn alerts_report(&self, p: &Resolved) -> Result<Report, ReportError> {
        let period = p.period.clone();
        let facts = self
            .db
            .with_read(move |c| stored::alerts(c, &period))
            .await?;
        let mut r = Report::new(
            "alerts",
            p,
            vec![
                "bucket",
                "raised",
                "acknowledged",
                "ack_minutes_p50",
                "ack_minutes_p90",
                "escalated",
            ],
        );
        r.bucket = Some(p.bucket.as_str());
        let offset = TimeDelta::microseconds(p.period.offset_us);
        let mut rows: BTreeMap<NaiveDate, (u64, Vec<f64>, u64)> = BTreeMap::new();
        let mut all_minutes = Vec::new();
        let mut tiers: BTreeMap<i64, u64> = BTreeMap::new();
        let mut dispositions: BTreeMap<String, u64> = BTreeMap::new();
        for a in &facts {
            let day = (a.raised_at + offset).date_naive();
            let row = rows.entry(bucket_start(day, p.bucket)).or_default();
            row.0 += 1;
            if let Some(ack) = a.acknowledged_at {
                let minutes = (ack - a.raised_at).num_milliseconds() as f64 / 60_000.0;
                row.1.push(minutes);
                all_minutes.push(minutes);
            }
            if a.tier > 0 {
                row.2 += 1;
            }
            *tiers.entry(a.tier).or_default() += 1;
            if let Some(d) = &a.disposition {
                *dispositions.entry(d.clone()).or_default() += 1;
            }
        }
        for (b, (raised, mut minutes, escalated)) in rows {
            minutes.sort_by(f64::total_cmp);
            r.row(vec![
                json!(b.to_string()),
                json!(raised),
                json!(minutes.len()),
                round(percentile(&minutes, 50.0), 1),
                round(percentile(&minutes, 90.0), 1),
                json!(escalated),
            ]);
        }
        all_minutes.sort_by(f64::total_cmp);
        r.denominator = format!("alerts raised in the period: {}", facts.len());
        r.total("raised", json!(facts.len()));
        r.total("acknowledged", json!(all_minutes.len()));
        r.total("ack_minutes_p50", round(percentile(&all_minutes, 50.0), 1));
        r.total("ack_minutes_p90", round(percentile(&all_minutes, 90.0), 1));
        r.total(
            "highest_tier_reached",
            Value::Object(
                tiers
                    .into_iter()
                    .map(|(t, n)| (t.to_string(), json!(n)))
                    .collect(),
            ),
        );
        r.total(
            "dispositions",
            Value::Object(
                dispositions
                    .into_iter()
                    .map(|(d, n)| (d, json!(n)))
                    .collect(),
            ),
        );
        Ok(r)
    }

    async fn part_d(&self, p: &Resolved) -> Result<Report, ReportError> {
        let tickets = self.counted_tickets(p).await?;
        let events = self.period_investigations(p).await?;
        let damages: Vec<&InvestigationView> =
            events.iter().filter(|e| e.kind == Kind::Damage).collect();
        let mut r = Report::new(
            "phmsa-part-d",
            p,
            vec!["line", "root_cause", "group", "pre_2024_group", "damages"],
        );
        let uncaused = damages.iter().filter(|d| d.root_cause.is_none()).count();
        let mut by_cause: BTreeMap<&str, u64> = BTreeMap::new();
        let mut by_legacy: BTreeMap<&str, u64> = BTreeMap::new();
        for d in &damages {
            let cause = d.root_cause.unwrap_or(RootCause::Unknown);
            *by_cause.entry(cause.as_str()).or_default() += 1;
            *by_legacy.entry(cause.legacy_group().as_str()).or_default() += 1;
        }
        for cause in RootCause::ALL {
            r.row(vec![
                json!("cause"),
                json!(cause.as_str()),
                json!(cause.group().as_str()),
                json!(cause.legacy_group().as_str()),
                json!(by_cause.get(cause.as_str()).copied().unwrap_or(0)),
            ]);
        }
        for g in LegacyGroup::ALL {
            r.row(vec![
                json!("pre_2024_group"),
                Value::Null,
                Value::Null,
                json!(g.as_str()),
                json!(by_legacy.get(g.as_str()).copied().unwrap_or(0)),
            ]);
        }
        r.denominator = format!(
            "excavation tickets received in the year (no cancellations, design or test tickets): {tickets}"
        );
        r.total("year", json!(p.period.from.with_timezone(&p.tz).year()));
        r.total("excavation_tickets", json!(tickets));
        r.total("excavation_damages", json!(damages.len()));
        r.total(
            "damages_per_1000",
            round(per_thousand(damages.len() as u64, tickets), 3),
        );
        r.total("damages_without_root_cause", json!(uncaused));
        Ok(r)
    }

    async fn dirt(&self, p: &Resolved) -> Result<Report, ReportError> {
        let events = self.period_investigations(p).await?;
        let ids: Vec<String> = events.iter().map(|e| e.workflow_id.clone()).collect();
        let places = self
            .db
            .with_read(move |c| crate::db::read::workflows::places_of(c, &ids))
            .await?;
        let mut r = Report::new("dirt", p, DIRT_COLUMNS.to_vec());
        for e in &events {
            let place = places.get(&e.workflow_id);
            r.row(dirt_row(e, place, p.tz));
        }
        r.denominator = format!(
            "events in the period, one row per facility: {}",
            events.len()
        );
        r.total("events", json!(events.len()));
        Ok(r)
    }
}

/// Damages, near misses and the name given, per excavator key.
fn harm_by_excavator(events: &[InvestigationView]) -> BTreeMap<String, (u64, u64, Option<String>)> {
    let mut harm: BTreeMap<String, (u64, u64, Option<String>)> = BTreeMap::new();
    for e in events {
        let key = e.excavator_key.clone().unwrap_or_default();
        let row = harm.entry(key).or_default();
        match e.kind {
            Kind::Damage => row.0 += 1,
            Kind::NearMiss => row.1 += 1,
            Kind::Downtime => {}
        }
        if row.2.is_none() {
            row.2.clone_from(&e.excavator);
        }
    }
    harm
}

/// Excavation tickets among `days`.
fn counted_in(days: &[TicketDay]) -> u64 {
    days.iter()
        .filter(|d| d.counted > 0)
        .map(|d| u64::try_from(d.tickets).unwrap_or(0))
        .sum()
}

/// The rate per bucket of time.
fn rate_by_time(p: &Resolved, days: &[TicketDay], events: &[InvestigationView]) -> Report {
    let mut r = Report::new(
        "damage-rate",
        p,
        vec![
            "bucket",
            "tickets",
            "damages",
            "near_misses",
            "damages_per_1000",
        ],
    );
    r.bucket = Some(p.bucket.as_str());
    let mut rows: BTreeMap<NaiveDate, (u64, u64, u64)> = BTreeMap::new();
    for d in days.iter().filter(|d| d.counted > 0) {
        rows.entry(bucket_start(epoch_day(d.day), p.bucket))
            .or_default()
            .0 += u64::try_from(d.tickets).unwrap_or(0);
    }
    let offset = TimeDelta::microseconds(p.period.offset_us);
    for e in events {
        let day = (e.occurred_at + offset).date_naive();
        let row = rows.entry(bucket_start(day, p.bucket)).or_default();
        match e.kind {
            Kind::Damage => row.1 += 1,
            Kind::NearMiss => row.2 += 1,
            Kind::Downtime => {}
        }
    }
    for (b, (t, d, n)) in rows {
        r.row(vec![
            json!(b.to_string()),
            json!(t),
            json!(d),
            json!(n),
            round(per_thousand(d, t), 3),
        ]);
    }
    r
}

/// The rate per root-cause group or facility class, over every counted ticket.
fn rate_by_finding(
    p: &Resolved,
    by: &'static str,
    events: &[InvestigationView],
    tickets: u64,
) -> Report {
    let mut r = Report::new(
        "damage-rate",
        p,
        vec![by, "damages", "near_misses", "damages_per_1000"],
    );
    r.by = Some(by);
    let mut rows: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for e in events {
        let key = if by == "facility_class" {
            e.facility.class.as_str().to_owned()
        } else {
            e.root_cause_group
                .map_or("not_investigated_yet", |g| g.as_str())
                .to_owned()
        };
        let row = rows.entry(key).or_default();
        match e.kind {
            Kind::Damage => row.0 += 1,
            Kind::NearMiss => row.1 += 1,
            Kind::Downtime => {}
        }
    }
    let mut rows: Vec<_> = rows.into_iter().collect();
    rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
    for (k, (d, n)) in rows {
        r.row(vec![
            json!(k),
            json!(d),
            json!(n),
            round(per_thousand(d, tickets), 3),
        ]);
    }
    r
}

/// The export's columns, named as DIRT's fields are (the README maps each).
pub const DIRT_COLUMNS: &[&str] = &[
    "Date of Event",
    "Type of Event",
    "State",
    "County",
    "City",
    "Facility Affected",
    "Type of Excavator",
    "Type of Excavation Equipment",
    "Type of Work Performed",
    "One-Call Center Notified",
    "Ticket Number",
    "Locate Marks Visible",
    "Marks Accurate",
    "Root Cause",
    "Root Cause Group",
    "Interruption Duration (hours)",
    "Estimated Cost (USD)",
    "Party at Fault",
    "Description",
    "Aegis Investigation",
];

fn dirt_row(
    e: &InvestigationView,
    place: Option<&crate::db::read::workflows::Place>,
    tz: chrono_tz::Tz,
) -> Vec<Value> {
    let kind = match e.kind {
        Kind::Damage => "Damage",
        Kind::NearMiss => "Near Miss",
        Kind::Downtime => "Downtime",
    };
    let not_collected = || json!("Data Not Collected");
    let words = |w: Option<&'static str>| w.map_or_else(not_collected, |w| json!(w));
    let notified = match e.root_cause {
        Some(RootCause::NoNotification) => "No",
        _ => "Yes",
    };
    let (visible, accurate) = match e.marks {
        Some(aegis_workflows::investigation::Marks::PresentAccurate) => ("Yes", "Yes"),
        Some(aegis_workflows::investigation::Marks::PresentInaccurate) => ("Yes", "No"),
        Some(aegis_workflows::investigation::Marks::Absent) => ("No", "Not Applicable"),
        Some(aegis_workflows::investigation::Marks::Unknown) => ("Unknown/Other", "Unknown/Other"),
        None => ("Data Not Collected", "Data Not Collected"),
    };
    let text = |v: Option<&String>| v.map_or_else(not_collected, |s| json!(s));
    vec![
        json!(
            e.occurred_at
                .with_timezone(&tz)
                .format("%Y-%m-%d")
                .to_string()
        ),
        json!(kind),
        text(place.and_then(|p| p.state.as_ref())),
        text(place.and_then(|p| p.county.as_ref())),
        text(place.and_then(|p| p.city.as_ref())),
        json!(dirt_facility(e.facility.class)),
        words(e.excavator_type.map(|x| x.in_words())),
        words(e.equipment.map(|x| x.in_words())),
        words(e.work_type.map(|x| x.in_words())),
        json!(notified),
        json!(e.ticket_number),
        json!(visible),
        json!(accurate),
        words(e.root_cause.map(|x| x.in_words())),
        words(e.root_cause_group.map(|x| x.in_words())),
        e.downtime_hours.map_or(Value::Null, |h| json!(h)),
        e.cost_usd.map_or(Value::Null, |c| json!(c)),
        words(e.at_fault.map(|x| x.in_words())),
        text(e.narrative.as_ref()),
        json!(e.id),
    ]
}

/// [from, until) of a calendar year in a zone.
fn year_of(year: i32, tz: chrono_tz::Tz) -> Result<(DateTime<Utc>, DateTime<Utc>), ReportError> {
    let start = |y: i32| {
        tz.with_ymd_and_hms(y, 1, 1, 0, 0, 0)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or(ReportError::Invalid {
                field: "year",
                message: format!("{y} is not a year Aegis can count"),
            })
    };
    if !(2000..=2100).contains(&year) {
        return Err(ReportError::Invalid {
            field: "year",
            message: "year must be between 2000 and 2100".into(),
        });
    }
    Ok((start(year)?, start(year + 1)?))
}
