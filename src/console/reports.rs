//! `/reports` (officers and operators): how the damage prevention program is doing, over a
//! period and optionally one center — damages per 1,000 tickets, tickets by screening, answers
//! on time, time to acknowledge, drawn as charts (`charts`) with their numbers beneath, then the
//! excavator scorecard, the causes and PHMSA's Part D; each table has its CSV
//! (`/reports/export/{name}`, the API's rows). Days are counted in the console's zone.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use aegis_workflows::investigation::{LegacyGroup, RootCauseGroup};
use aegis_workflows::reports::{Bucket, buckets};
use chrono::{DateTime, Datelike, Months, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use maud::{Markup, PreEscaped, html};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::charts::{BLUE, Chart, GREEN, GREY, RED, Series, Shape, Unit, YELLOW};
use super::time::zone;
use super::{Officer, layout, refused};
use crate::app::reports::{Report, ReportError, ReportQuery, cell};
use crate::web::page::respond;
use crate::web::state::AppState;

/// Rows of the scorecard and the causes shown on the page (the CSV has them all).
const SHOWN: usize = 10;

/// The picker as the browser sends it: dates are whole days in the console's zone, `until`
/// the last day counted; empty means the default (the twelve months to today).
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct PeriodForm {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    from: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    until: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    center: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    bucket: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    year: String,
}

/// The picker read: the first and last day counted, the bucket, the center, Part D's year.
struct Period {
    first: NaiveDate,
    last: NaiveDate,
    bucket: Bucket,
    center: Option<String>,
    year: i32,
    tz: Tz,
}

fn invalid(field: &'static str, message: impl Into<String>) -> ReportError {
    ReportError::Invalid {
        field,
        message: message.into(),
    }
}

fn day(field: &'static str, s: &str) -> Result<Option<NaiveDate>, ReportError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| invalid(field, format!("'{s}' is not a date (YYYY-MM-DD)")))
}

impl PeriodForm {
    fn read(&self, today: NaiveDate, tz: Tz) -> Result<Period, ReportError> {
        let last = day("until", &self.until)?.unwrap_or(today);
        let first = match day("from", &self.from)? {
            Some(d) => d,
            // Twelve whole months: from the 1st, eleven months before this one.
            None => last
                .with_day(1)
                .and_then(|d| d.checked_sub_months(Months::new(11)))
                .unwrap_or(last),
        };
        let bucket = match self.bucket.trim() {
            "" => Bucket::Month,
            b => Bucket::parse(b).ok_or_else(|| invalid("bucket", "day, week or month"))?,
        };
        let year = match self.year.trim() {
            "" => today.year() - 1,
            y => y
                .parse()
                .map_err(|_| invalid("year", format!("'{y}' is not a year")))?,
        };
        if bucket == Bucket::Day && (last - first).num_days() > 92 {
            return Err(invalid(
                "bucket",
                "days are drawn for at most 92 days: pick weeks or months",
            ));
        }
        Ok(Period {
            first,
            last,
            bucket,
            center: Some(self.center.trim().to_owned()).filter(|c| !c.is_empty()),
            year,
            tz,
        })
    }
}

impl Period {
    fn start_of(&self, d: NaiveDate) -> Option<DateTime<Utc>> {
        self.tz
            .from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The API's query for this period (`by`, `year` as the report needs).
    fn query(&self, by: Option<&str>) -> ReportQuery {
        ReportQuery {
            from: self.start_of(self.first),
            until: self.start_of(self.last + TimeDelta::days(1)),
            center: self.center.clone(),
            bucket: Some(self.bucket.as_str().to_owned()),
            by: by.map(str::to_owned),
            year: Some(self.year),
            tz: Some(self.tz.name().to_owned()),
        }
    }

    fn axis(&self) -> Vec<NaiveDate> {
        buckets(self.first, self.last, self.bucket)
    }

    fn label(&self, d: NaiveDate) -> String {
        match self.bucket {
            Bucket::Month => d.format("%b %y").to_string(),
            Bucket::Week | Bucket::Day => d.format("%m-%d").to_string(),
        }
    }
}

fn today(state: &AppState, tz: Tz) -> NaiveDate {
    state.app.now().with_timezone(&tz).date_naive()
}

/// `/reports`.
pub async fn page(
    state: web::Data<AppState>,
    who: Officer,
    form: web::Query<PeriodForm>,
) -> HttpResponse {
    let who = who.0;
    let tz = zone(&state);
    let period = match form.read(today(&state, tz), tz) {
        Ok(p) => p,
        Err(e) => return refused(&who, &e, "/reports"),
    };
    let app = &state.app;
    let (plain, by_excavator, by_cause) = (
        period.query(None),
        period.query(Some("excavator")),
        period.query(Some("root_cause_group")),
    );
    let (rate, volume, timely, alerts, excavators, causes, part_d) = futures::join!(
        app.report("damage-rate", &plain),
        app.report("volume", &plain),
        app.report("timeliness", &plain),
        app.report("alerts", &plain),
        app.report("damage-rate", &by_excavator),
        app.report("damage-rate", &by_cause),
        app.report("phmsa-part-d", &plain),
    );
    let reports = (|| {
        Ok::<_, ReportError>(Reports {
            rate: rate?,
            volume: volume?,
            timely: timely?,
            alerts: alerts?,
            excavators: excavators?,
            causes: causes?,
            part_d: part_d?,
        })
    })();
    let reports = match reports {
        Ok(r) => r,
        Err(e) => return refused(&who, &e, "/reports"),
    };
    let centers = app
        .centers()
        .await
        .map(|cs| cs.into_iter().map(|c| c.code).collect())
        .unwrap_or_else(|e| {
            // The picker still takes any code typed in; only its suggestions are missing.
            tracing::warn!(error = %e, "the reports page could not list the centers");
            Vec::new()
        });
    respond(
        StatusCode::OK,
        layout(&who, "Reports", body(&form, &period, &reports, &centers)),
    )
}

struct Reports {
    rate: Report,
    volume: Report,
    timely: Report,
    alerts: Report,
    excavators: Report,
    causes: Report,
    part_d: Report,
}

fn body(form: &PeriodForm, p: &Period, r: &Reports, centers: &[String]) -> Markup {
    let link = |name: &str, by: Option<&str>| export_link(form, name, by);
    html! {
        h1 { "How the program is doing" }
        p class="note" {
            (p.first.format("%Y-%m-%d")) " to " (p.last.format("%Y-%m-%d")) " (" (p.tz.name()) "), "
            @if let Some(c) = &p.center { "center " (c) } @else { "every center" }
            ", by " (p.bucket.in_words()) "."
        }
        (picker(form, p, centers))
        (headline(r))
        (section("Damages per 1,000 tickets", &r.rate, rate_chart(p, &r.rate), &link("damage-rate", None),
            &[("bucket", "Period"), ("tickets", "Tickets"), ("damages", "Damages"),
              ("near_misses", "Near misses"), ("damages_per_1000", "Per 1,000")]))
        (section("Tickets by screening", &r.volume, volume_chart(p, &r.volume), &link("volume", None),
            &[("bucket", "Period"), ("ticket_type", "Type"), ("category", "Screening"),
              ("tickets", "Tickets"), ("cleared_automatically", "Cleared automatically")]))
        (section("Answered the center on time", &r.timely, timely_chart(p, &r.timely), &link("timeliness", None),
            &[("bucket", "Period"), ("measured", "Due or answered"), ("on_time", "On time"),
              ("on_time_share", "Share")]))
        (section("Time to acknowledge an alert", &r.alerts, ack_chart(p, &r.alerts), &link("alerts", None),
            &[("bucket", "Period"), ("raised", "Raised"), ("acknowledged", "Acknowledged"),
              ("ack_minutes_p50", "Median min"), ("ack_minutes_p90", "90th pct min"),
              ("escalated", "Escalated")]))
        (section("Excavators", &r.excavators, None, &link("damage-rate", Some("excavator")),
            &[("excavator", "Excavator"), ("tickets", "Tickets"), ("damages", "Damages"),
              ("near_misses", "Near misses"), ("damages_per_1000", "Per 1,000"),
              ("dug_before_legal_start", "Before legal start")]))
        (section("Root causes", &r.causes, None, &link("damage-rate", Some("root_cause_group")),
            &[("root_cause_group", "Group"), ("damages", "Damages"), ("near_misses", "Near misses"),
              ("damages_per_1000", "Per 1,000")]))
        (part_d_section(form, &r.part_d))
    }
}

fn picker(form: &PeriodForm, p: &Period, centers: &[String]) -> Markup {
    html! {
        form method="get" action="/reports" class="filters" {
            div { label for="from" { "From" }
                input type="date" id="from" name="from" value=(p.first.format("%Y-%m-%d")); }
            div { label for="until" { "Until (counted)" }
                input type="date" id="until" name="until" value=(p.last.format("%Y-%m-%d")); }
            div { label for="center" { "Center" }
                input type="text" id="center" name="center" list="centers" value=(form.center)
                    placeholder="every center";
                datalist id="centers" { @for c in centers { option value=(c) {} } } }
            div { label for="bucket" { "By" }
                select id="bucket" name="bucket" {
                    @for b in Bucket::ALL {
                        option value=(b.as_str()) selected[*b == p.bucket] { (b.in_words()) }
                    }
                } }
            div { label for="year" { "Part D year" }
                input type="text" id="year" name="year" inputmode="numeric" value=(p.year); }
            div { button type="submit" class="small" { "Show" } }
        }
    }
}

/// The four numbers a manager asks first.
fn headline(r: &Reports) -> Markup {
    let total = |rep: &Report, key: &str| rep.totals.get(key).cloned().unwrap_or(Value::Null);
    html! {
        dl class="figures" {
            div { dt { "Tickets" } dd data-figure="tickets" { (cell(Some(&total(&r.rate, "tickets")))) } }
            div { dt { "Damages per 1,000" } dd data-figure="damages-per-1000" { (shown(&total(&r.rate, "damages_per_1000"), "damages_per_1000")) } }
            div { dt { "Answered on time" } dd data-figure="on-time" { (shown(&total(&r.timely, "on_time_share"), "on_time_share")) } }
            div { dt { "Median time to acknowledge" } dd data-figure="ack-p50" {
                (shown(&total(&r.alerts, "ack_minutes_p50"), "")) @if !total(&r.alerts, "ack_minutes_p50").is_null() { " min" } } }
        }
    }
}

/// A value as a person reads it: shares as percentages, rates to a tenth, a vocabulary's
/// word in words, nothing as a dash (the CSV keeps every digit and the stored names).
fn shown(v: &Value, column: &str) -> String {
    match v {
        Value::Null => "—".into(),
        Value::Number(n) if column.ends_with("_share") => n
            .as_f64()
            .map_or_else(|| n.to_string(), |f| format!("{:.1} %", f * 100.0)),
        Value::Number(n) if column.ends_with("per_1000") => n
            .as_f64()
            .map_or_else(|| n.to_string(), |f| format!("{f:.1}")),
        Value::String(s) if column == "root_cause_group" => RootCauseGroup::parse(s)
            .map_or_else(|| s.replace('_', " "), |g| g.in_words().to_owned()),
        Value::String(s) if column == "pre_2024_group" => {
            LegacyGroup::parse(s).map_or_else(|| s.replace('_', " "), |g| g.in_words().to_owned())
        }
        Value::String(s) if matches!(column, "category" | "ticket_type") => s.replace('_', " "),
        other => cell(Some(other)),
    }
}

fn export_link(form: &PeriodForm, name: &str, by: Option<&str>) -> String {
    #[derive(Serialize)]
    struct Export<'a> {
        #[serde(flatten)]
        form: &'a PeriodForm,
        #[serde(skip_serializing_if = "Option::is_none")]
        by: Option<&'a str>,
    }
    let q = serde_urlencoded::to_string(Export { form, by }).unwrap_or_default();
    if q.is_empty() {
        format!("/reports/export/{name}")
    } else {
        format!("/reports/export/{name}?{q}")
    }
}

/// A chart, its legend, its numbers and its CSV.
fn section(
    title: &str,
    report: &Report,
    chart: Option<(Chart, &str)>,
    csv: &str,
    columns: &[(&str, &str)],
) -> Markup {
    let drawn = chart.map(|(c, alt)| (c.svg(), c.series, alt.to_owned()));
    let rows = if chart_less(columns) {
        SHOWN
    } else {
        usize::MAX
    };
    html! {
        section class="report" data-report=(report.report) data-by=[report.by] {
            h2 { (title) }
            @if let Some((svg, series, alt)) = drawn {
                @match svg {
                    Ok(svg) => {
                        figure role="img" aria-label=(alt) { (PreEscaped(svg)) }
                        p class="legend" {
                            @for s in &series {
                                span { span class="swatch" style=(format!("background: rgb({},{},{})", s.color.0, s.color.1, s.color.2)) {} " " (s.name) }
                            }
                        }
                    }
                    Err(e) => p class="gone" { (e.to_string()) ": the numbers are below." }
                }
            }
            p class="note" { "Out of: " (report.denominator) }
            @if report.report == "timeliness" && report.totals.get("measured").and_then(Value::as_u64) == Some(0) {
                p class="note" data-unmeasured { "Aegis counts an answer when a center's PositiveResponse API accepted it; no ticket of this period was due or answered that way. Map a center's response API (README, “Answering the call center”) to measure this." }
            }
            (table(report, columns, rows))
            p { a href=(csv) download { "Download CSV" } }
        }
    }
}

fn chart_less(columns: &[(&str, &str)]) -> bool {
    columns.first().is_some_and(|(c, _)| *c != "bucket")
}

fn table(report: &Report, columns: &[(&str, &str)], rows: usize) -> Markup {
    html! {
        @if report.rows.is_empty() {
            p class="note" { "Nothing in this period." }
        } @else {
            div class="scroll" {
                table class="queue numbers" {
                    thead { tr { @for (_, head) in columns { th scope="col" { (head) } } } }
                    tbody {
                        @for row in report.rows.iter().take(rows) {
                            tr { @for (key, _) in columns {
                                td { (shown(row.get(*key).unwrap_or(&Value::Null), key)) }
                            } }
                        }
                    }
                }
            }
            @if report.rows.len() > rows {
                p class="note" { "The first " (rows) " of " (report.rows.len()) "; the CSV has them all." }
            }
        }
    }
}

fn part_d_section(form: &PeriodForm, r: &Report) -> Markup {
    let year = r
        .totals
        .get("year")
        .map(|v| cell(Some(v)))
        .unwrap_or_default();
    let form = PeriodForm {
        year: year.clone(),
        ..form.clone()
    };
    let groups: Vec<_> = r
        .rows
        .iter()
        .filter(|row| row.get("line").and_then(Value::as_str) == Some("pre_2024_group"))
        .collect();
    let causes = r
        .rows
        .iter()
        .filter(|row| {
            row.get("line").and_then(Value::as_str) == Some("cause")
                && row.get("damages").and_then(Value::as_u64).unwrap_or(0) > 0
        })
        .count();
    html! {
        section class="report" data-report="phmsa-part-d" {
            h2 { "PHMSA F 7100.1-1 Part D, " (year) }
            dl class="figures" {
                div { dt { "Excavation tickets" } dd data-figure="part-d-tickets" { (shown(r.totals.get("excavation_tickets").unwrap_or(&Value::Null), "")) } }
                div { dt { "Excavation damages" } dd data-figure="part-d-damages" { (shown(r.totals.get("excavation_damages").unwrap_or(&Value::Null), "")) } }
                div { dt { "Without a root cause yet" } dd { (shown(r.totals.get("damages_without_root_cause").unwrap_or(&Value::Null), "")) } }
            }
            div class="scroll" {
                table class="queue numbers" {
                    thead { tr { th scope="col" { "Group (before 2024)" } th scope="col" { "Damages" } } }
                    tbody { @for g in &groups { tr {
                        td { (shown(g.get("pre_2024_group").unwrap_or(&Value::Null), "pre_2024_group")) } td { (cell(g.get("damages"))) }
                    } } }
                }
            }
            p class="note" { (causes) " of the 2024 form's causes have damages; the CSV lists every cause." }
            p {
                a href=(export_link(&form, "phmsa-part-d", None)) download { "Download Part D (CSV)" }
                " · "
                a href=(export_link(&form, "dirt", None)) download { "Download the DIRT export (CSV, this period)" }
            }
        }
    }
}

/// Values of `column` in the rows, summed per bucket on the period's axis.
fn per_bucket(
    p: &Period,
    r: &Report,
    column: &str,
    only: Option<(&str, &str)>,
) -> Vec<Option<f64>> {
    let axis = p.axis();
    let mut out = vec![None; axis.len()];
    for row in &r.rows {
        if let Some((k, want)) = only
            && row.get(k).and_then(Value::as_str) != Some(want)
        {
            continue;
        }
        let at = row
            .get("bucket")
            .and_then(Value::as_str)
            .and_then(|b| NaiveDate::parse_from_str(b, "%Y-%m-%d").ok())
            .and_then(|b| axis.iter().position(|a| *a == b));
        if let (Some(i), Some(v)) = (at, row.get(column).and_then(Value::as_f64))
            && let Some(slot) = out.get_mut(i)
        {
            *slot = Some(slot.unwrap_or(0.0) + v);
        }
    }
    out
}

fn labels(p: &Period) -> Vec<String> {
    p.axis().into_iter().map(|d| p.label(d)).collect()
}

fn rate_chart(p: &Period, r: &Report) -> Option<(Chart, &'static str)> {
    let chart = Chart {
        labels: labels(p),
        series: vec![Series {
            name: "damages per 1,000 tickets".into(),
            color: RED,
            values: per_bucket(p, r, "damages_per_1000", None),
        }],
        unit: Unit::PerThousand,
        shape: Shape::Lines,
    };
    Some((
        chart,
        "Damages per 1,000 tickets by period; the numbers are in the table below.",
    ))
}

fn volume_chart(p: &Period, r: &Report) -> Option<(Chart, &'static str)> {
    let categories = [
        ("conflict", "conflict", RED),
        ("close", "close", YELLOW),
        ("clear", "clear", GREEN),
        ("unknown", "unknown (no layer or outside the map)", BLUE),
        ("not_screened", "not screened", GREY),
    ];
    let series = categories
        .iter()
        .map(|(key, name, color)| Series {
            name: (*name).into(),
            color: *color,
            values: per_bucket(p, r, "tickets", Some(("category", key))),
        })
        .filter(|s| s.values.iter().any(Option::is_some))
        .collect();
    let chart = Chart {
        labels: labels(p),
        series,
        unit: Unit::Count,
        shape: Shape::StackedBars,
    };
    Some((
        chart,
        "Tickets received by period, stacked by screening category; the numbers are in the table below.",
    ))
}

fn timely_chart(p: &Period, r: &Report) -> Option<(Chart, &'static str)> {
    let chart = Chart {
        labels: labels(p),
        series: vec![Series {
            name: "answered by the due time".into(),
            color: GREEN,
            values: per_bucket(p, r, "on_time_share", None),
        }],
        unit: Unit::Share,
        shape: Shape::Lines,
    };
    Some((
        chart,
        "Share of tickets answered by their due time, by period; the numbers are in the table below.",
    ))
}

fn ack_chart(p: &Period, r: &Report) -> Option<(Chart, &'static str)> {
    let chart = Chart {
        labels: labels(p),
        series: vec![
            Series {
                name: "median".into(),
                color: BLUE,
                values: per_bucket(p, r, "ack_minutes_p50", None),
            },
            Series {
                name: "90th percentile".into(),
                color: YELLOW,
                values: per_bucket(p, r, "ack_minutes_p90", None),
            },
        ],
        unit: Unit::Minutes,
        shape: Shape::Lines,
    };
    Some((
        chart,
        "Minutes from an alert to its acknowledgement, median and 90th percentile, by period; the numbers are in the table below.",
    ))
}

#[derive(Debug, Deserialize)]
pub struct ExportForm {
    #[serde(flatten)]
    period: PeriodForm,
    #[serde(default)]
    by: String,
}

/// `/reports/export/{name}`: the report's rows as CSV, for the picker's period.
pub async fn export(
    state: web::Data<AppState>,
    who: Officer,
    name: web::Path<String>,
    form: web::Query<ExportForm>,
) -> HttpResponse {
    let who = who.0;
    let tz = zone(&state);
    let period = match form.period.read(today(&state, tz), tz) {
        Ok(p) => p,
        Err(e) => return refused(&who, &e, "/reports"),
    };
    let by = Some(form.by.trim()).filter(|b| !b.is_empty());
    let report = match state.app.report(&name, &period.query(by)).await {
        Ok(r) => r,
        Err(e) => return refused(&who, &e, "/reports"),
    };
    match report.csv() {
        Ok(csv) => HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
            .insert_header((
                CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"aegis-{}{}-{}-{}.csv\"",
                    report.report,
                    by.map(|b| format!("-by-{b}")).unwrap_or_default(),
                    report.from.with_timezone(&tz).format("%Y%m%d"),
                    report.until.with_timezone(&tz).format("%Y%m%d"),
                ),
            ))
            .insert_header(("cache-control", "no-store"))
            .body(csv),
        Err(e) => {
            tracing::warn!(error = %e, "a report could not be written as CSV");
            HttpResponse::InternalServerError().finish()
        }
    }
}
