//! `aegis loadgen`: posts generated, signed tickets to a running Aegis at a given rate and
//! concurrency, in any of the formats, and reports accepted tickets per second and acknowledgement
//! latency (measured from each ticket's scheduled send time, so a server that falls behind
//! cannot hide it). With an operator token it also waits for the tickets to settle and reports
//! end-to-end throughput and the server's received→scored latency from `/metrics`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::Serialize;
use tokio::sync::{Semaphore, mpsc};

use crate::cli::LoadgenArgs;
use crate::formats::signature::{sign_native, sign_onecall};
use crate::formats::{onecall, openticket};
use crate::risk::generate::{Generator, GeneratorConfig};

/// Which webhook a prepared delivery goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Native,
    Onecall,
    Openticket,
}

struct Prepared {
    route: Route,
    id: String,
    body: bytes::Bytes,
    /// OneCall signatures do not depend on time, so they are computed up front.
    signature: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub sent: usize,
    pub accepted: usize,
    pub duplicates: usize,
    pub unavailable: usize,
    pub other_errors: usize,
    pub transport_errors: usize,
    pub seconds: f64,
    pub accepted_per_sec: f64,
    pub ack_p50_ms: f64,
    pub ack_p99_ms: f64,
    pub ack_max_ms: f64,
    pub statuses: BTreeMap<u16, usize>,
    pub end_to_end: Option<EndToEnd>,
}

#[derive(Debug, Serialize)]
pub struct EndToEnd {
    /// From the first send until no workflow is left in an automatic state.
    pub seconds: f64,
    pub settled_per_sec: f64,
    pub received_to_scored_p50_ms: Option<f64>,
    pub received_to_scored_p99_ms: Option<f64>,
    pub received_to_settled_p50_ms: Option<f64>,
    pub received_to_settled_p99_ms: Option<f64>,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1e3
}

/// `count` copies of one native ticket, each with its own ticket number, delivery id and
/// excavator id (so the copies do not build one excavator's history and score alike).
fn prepare_copies(
    path: &std::path::Path,
    count: usize,
    run: &str,
) -> anyhow::Result<Vec<Prepared>> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let template: serde_json::Value = serde_json::from_slice(&text)
        .with_context(|| format!("{} is not a JSON ticket", path.display()))?;
    (0..count)
        .map(|i| {
            let mut t = template.clone();
            t["ticket_number"] = serde_json::Value::String(format!("T{run}{i:09}"));
            if let Some(e) = t.get_mut("excavator").and_then(|e| e.as_object_mut()) {
                e.insert(
                    "id".into(),
                    serde_json::Value::String(format!("X{run}{i:09}")),
                );
            }
            Ok(Prepared {
                route: Route::Native,
                id: format!("msg_{run}_{i}"),
                body: bytes::Bytes::from(serde_json::to_vec(&t)?),
                signature: None,
            })
        })
        .collect()
}

fn prepare(args: &LoadgenArgs) -> anyhow::Result<Vec<Prepared>> {
    let run: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(6)
        .map(char::from)
        .collect();
    if let Some(path) = &args.ticket {
        return prepare_copies(path, args.count, &run);
    }
    let onecall_secret = args
        .onecall_secret
        .clone()
        .unwrap_or_else(|| args.secret.clone());
    let cfg = GeneratorConfig {
        seed: args.seed,
        expected_tickets: args.count,
        ..GeneratorConfig::default()
    };
    let mut place = args.within_miles.map(|m| {
        (
            m,
            <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(args.seed),
        )
    });
    Ok(Generator::new(&cfg)
        .take(args.count)
        .enumerate()
        .map(|(i, g)| {
            let mut t = g.ticket;
            if let Some((miles, rng)) = place.as_mut() {
                move_near_demo_area(&mut t, *miles, rng);
            }
            t.ticket_number = format!("L{run}{i:09}");
            // The mix: a tenth OneCall, a tenth Open Ticket, the rest native.
            let route = match (args.format.as_str(), i % 10) {
                ("onecall", _) | ("mixed", 9) => Route::Onecall,
                ("openticket", _) | ("mixed", 8) => Route::Openticket,
                _ => Route::Native,
            };
            let id = format!("msg_{run}_{i}");
            match route {
                Route::Onecall => {
                    let body = onecall::envelope(&onecall::to_xml(&t), &id, &t.ticket_number);
                    let signature = Some(sign_onecall(&onecall_secret, body.as_bytes()));
                    Prepared {
                        route,
                        id,
                        body: bytes::Bytes::from(body),
                        signature,
                    }
                }
                Route::Openticket => Prepared {
                    route,
                    id,
                    body: bytes::Bytes::from(openticket::to_document(&t, i as u64 + 1).to_string()),
                    signature: None,
                },
                Route::Native => Prepared {
                    route,
                    id,
                    body: bytes::Bytes::from(serde_json::to_vec(&t).unwrap_or_default()),
                    signature: None,
                },
            }
        })
        .collect())
}

/// `configured`: where the configuration says Aegis listens, used when `--url` is not given.
pub fn run(args: LoadgenArgs, configured: anyhow::Result<String>) -> anyhow::Result<()> {
    let base = match &args.url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => configured?,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let report = rt.block_on(run_async(&args, base))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print(&report, &args);
    }
    if report.accepted == 0 {
        anyhow::bail!("no ticket was accepted");
    }
    Ok(())
}

fn print(r: &Report, args: &LoadgenArgs) {
    println!(
        "sent {} {} tickets at {} with concurrency {}",
        r.sent,
        args.format,
        if args.rate > 0.0 {
            format!("{} /s offered", args.rate)
        } else {
            "full speed".to_owned()
        },
        args.concurrency
    );
    println!(
        "accepted {} ({:.0}/s durably accepted), duplicates {}, 503 {}, other errors {}, transport errors {}",
        r.accepted,
        r.accepted_per_sec,
        r.duplicates,
        r.unavailable,
        r.other_errors,
        r.transport_errors
    );
    println!(
        "ack latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        r.ack_p50_ms, r.ack_p99_ms, r.ack_max_ms
    );
    if let Some(e) = &r.end_to_end {
        let f = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{v:.1} ms"));
        println!(
            "end to end: settled in {:.2} s ({:.0} tickets/s); received→scored p50 {} p99 {}; received→settled p50 {} p99 {}",
            e.seconds,
            e.settled_per_sec,
            f(e.received_to_scored_p50_ms),
            f(e.received_to_scored_p99_ms),
            f(e.received_to_settled_p50_ms),
            f(e.received_to_settled_p99_ms)
        );
    }
}

async fn run_async(args: &LoadgenArgs, base: String) -> anyhow::Result<Report> {
    let prepared = prepare(args)?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()?;
    let before = match &args.token {
        Some(_) => Some(fetch_metrics(&client, &base).await?),
        None => None,
    };
    let sem = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let (tx, rx) = mpsc::unbounded_channel::<(Option<u16>, Duration)>();
    let start = Instant::now();
    let sent = prepared.len();
    let progress = super::progress(sent as u64, "tickets");
    for (i, p) in prepared.into_iter().enumerate() {
        // At a steady rate, latency counts from when the ticket was due to go, so a server
        // that falls behind shows it; at full speed, from when a connection was free.
        let due = if args.rate > 0.0 {
            let at = start + Duration::from_secs_f64(i as f64 / args.rate);
            tokio::time::sleep_until(at.into()).await;
            Some(at)
        } else {
            None
        };
        let permit = sem.clone().acquire_owned().await?;
        let scheduled = due.unwrap_or_else(Instant::now);
        let (client, tx, progress) = (client.clone(), tx.clone(), progress.clone());
        let request = signed_request(&client, &base, args, &p);
        tokio::spawn(async move {
            let status = post(request, p.body).await;
            drop(permit);
            progress.inc(1);
            let _ = tx.send((status, scheduled.elapsed()));
        });
    }
    drop(tx);
    let tally = Tally::collect(rx, sent).await;
    progress.finish_and_clear();
    let seconds = start.elapsed().as_secs_f64();
    let accepted = tally.count(202);
    let end_to_end = match (&args.token, before) {
        (Some(token), Some(before)) => {
            Some(settle(&client, &base, token, start, accepted, &before).await?)
        }
        _ => None,
    };
    Ok(tally.report(sent, seconds, end_to_end))
}

/// The request for one prepared delivery, signed as its route's center expects.
fn signed_request(
    client: &reqwest::Client,
    base: &str,
    args: &LoadgenArgs,
    p: &Prepared,
) -> reqwest::RequestBuilder {
    let url = match p.route {
        Route::Onecall => format!("{base}/v1/webhooks/{}/onecall", args.center),
        Route::Openticket => format!("{base}/v1/webhooks/{}/openticket", args.center),
        Route::Native => format!("{base}/v1/webhooks/{}", args.center),
    };
    let req = client.post(url).header("content-type", "application/json");
    if let Some(sig) = &p.signature {
        req.header("x-onecall-webhook-signature", sig)
    } else if p.route == Route::Openticket {
        req.bearer_auth(&args.secret)
    } else {
        let ts = chrono::Utc::now().timestamp();
        req.header("webhook-id", &p.id)
            .header("webhook-timestamp", ts.to_string())
            .header(
                "webhook-signature",
                sign_native(&args.secret, &p.id, ts, &p.body),
            )
    }
}

/// Posts one delivery; its status (a fresh Open Ticket acceptance counted as `202`), or
/// `None` for a transport error.
async fn post(request: reqwest::RequestBuilder, body: bytes::Bytes) -> Option<u16> {
    let r = request.body(body).send().await.ok()?;
    let s = r.status().as_u16();
    let body = r.bytes().await.unwrap_or_default();
    // Open Ticket answers 200 for a new ticket too: the body says which (a conflict, kept for
    // operators, is not a new ticket).
    let fresh = s == 200
        && serde_json::from_slice::<serde_json::Value>(&body)
            .is_ok_and(|v| v["duplicate"] == false && v["conflict"] == false);
    Some(if fresh { 202 } else { s })
}

/// The answers as they came back: statuses, the latency of each success, transport errors.
struct Tally {
    statuses: BTreeMap<u16, usize>,
    latencies: Vec<Duration>,
    transport_errors: usize,
}

impl Tally {
    async fn collect(
        mut rx: mpsc::UnboundedReceiver<(Option<u16>, Duration)>,
        expected: usize,
    ) -> Self {
        let mut t = Self {
            statuses: BTreeMap::new(),
            latencies: Vec::with_capacity(expected),
            transport_errors: 0,
        };
        while let Some((status, latency)) = rx.recv().await {
            match status {
                Some(s) => {
                    *t.statuses.entry(s).or_default() += 1;
                    if s < 300 {
                        t.latencies.push(latency);
                    }
                }
                None => t.transport_errors += 1,
            }
        }
        t.latencies.sort_unstable();
        t
    }

    fn count(&self, status: u16) -> usize {
        self.statuses.get(&status).copied().unwrap_or(0)
    }

    fn report(self, sent: usize, seconds: f64, end_to_end: Option<EndToEnd>) -> Report {
        let accepted = self.count(202);
        let other_errors = self
            .statuses
            .iter()
            .filter(|(s, _)| !matches!(**s, 200 | 202 | 503))
            .map(|(_, n)| n)
            .sum();
        Report {
            sent,
            accepted,
            duplicates: self.count(200),
            unavailable: self.count(503),
            other_errors,
            transport_errors: self.transport_errors,
            seconds,
            accepted_per_sec: accepted as f64 / seconds.max(1e-9),
            ack_p50_ms: percentile(&self.latencies, 0.50),
            ack_p99_ms: percentile(&self.latencies, 0.99),
            ack_max_ms: self.latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
            statuses: self.statuses,
            end_to_end,
        }
    }
}

async fn fetch_metrics(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    client
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .text()
        .await
        .context("reading /metrics")
}

/// Cumulative bucket counts of a histogram in Prometheus text format.
fn buckets(text: &str, name: &str) -> Vec<(f64, f64)> {
    // Written with escapes so the braces of the exposition format stand apart from the code's.
    let prefix = format!("{name}_bucket") + "\u{7b}le=\"";
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(&prefix)?;
            let (le, count) = rest.split_once("\"\u{7d} ")?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, count.trim().parse().ok()?))
        })
        .collect()
}

/// A percentile (upper bucket bound, in ms) of what a histogram recorded between two scrapes.
fn histogram_percentile(before: &str, after: &str, name: &str, p: f64) -> Option<f64> {
    let b = buckets(before, name);
    let a = buckets(after, name);
    let delta: Vec<(f64, f64)> = a
        .iter()
        .map(|(le, n)| {
            let prev = b.iter().find(|(l, _)| l == le).map_or(0.0, |(_, c)| *c);
            (*le, n - prev)
        })
        .collect();
    let total = delta.last()?.1;
    if total <= 0.0 {
        return None;
    }
    delta
        .iter()
        .find(|(_, c)| *c >= total * p)
        .map(|(le, _)| le * 1e3)
}

async fn settle(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    start: Instant,
    accepted: usize,
    before: &str,
) -> anyhow::Result<EndToEnd> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let stats: serde_json::Value = client
            .get(format!("{base}/v1/admin/stats"))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()
            .context("reading /v1/admin/stats (is the token an operator's?)")?
            .json()
            .await?;
        let waiting: i64 = ["received", "validated", "scored"]
            .iter()
            .map(|s| stats["workflows"][s].as_i64().unwrap_or(0))
            .sum();
        if waiting == 0 {
            break;
        }
        if Instant::now() > deadline {
            anyhow::bail!("{waiting} workflows still unsettled after 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seconds = start.elapsed().as_secs_f64();
    let after = fetch_metrics(client, base).await?;
    let name_scored = crate::telemetry::names::RECEIVED_TO_SCORED;
    let name_settled = crate::telemetry::names::RECEIVED_TO_SETTLED;
    Ok(EndToEnd {
        seconds,
        settled_per_sec: accepted as f64 / seconds.max(1e-9),
        received_to_scored_p50_ms: histogram_percentile(before, &after, name_scored, 0.5),
        received_to_scored_p99_ms: histogram_percentile(before, &after, name_scored, 0.99),
        received_to_settled_p50_ms: histogram_percentile(before, &after, name_settled, 0.5),
        received_to_settled_p99_ms: histogram_percentile(before, &after, name_settled, 0.99),
    })
}

/// Moves a ticket's point and polygon (by the same offset) to a random place in a square
/// `miles` on a side around the demo area.
fn move_near_demo_area(t: &mut aegis_workflows::Ticket, miles: f64, rng: &mut impl Rng) {
    use crate::facilities::synthetic::DEMO_CENTER;
    let frame = aegis_screening::LocalFrame::at(DEMO_CENTER.0, DEMO_CENTER.1);
    let half = miles * 5_280.0 / 2.0;
    let (dlon, dlat) = frame.degrees_for(1.0);
    let lon = DEMO_CENTER.0 + rng.random_range(-half..half) * dlon;
    let lat = DEMO_CENTER.1 + rng.random_range(-half..half) * dlat;
    let (Some(old_lon), Some(old_lat)) = (t.location.longitude, t.location.latitude) else {
        t.location.longitude = Some(lon);
        t.location.latitude = Some(lat);
        return;
    };
    let (dx, dy) = (lon - old_lon, lat - old_lat);
    t.location.longitude = Some(lon);
    t.location.latitude = Some(lat);
    if let Some(polygons) = t
        .location
        .polygon_wkt
        .as_deref()
        .and_then(|w| aegis_workflows::geometry::Polygon::parse_all(w).ok())
    {
        let rings: Vec<String> = polygons
            .iter()
            .map(|p| {
                let rs: Vec<String> = p
                    .rings
                    .iter()
                    .map(|r| {
                        let pts: Vec<String> = r
                            .iter()
                            .map(|(x, y)| format!("{:.7} {:.7}", x + dx, y + dy))
                            .collect();
                        format!("({})", pts.join(","))
                    })
                    .collect();
                format!("({})", rs.join(","))
            })
            .collect();
        t.location.polygon_wkt = Some(format!("MULTIPOLYGON({})", rings.join(",")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_histogram_deltas() {
        let before = "h_bucket{le=\"0.01\"} 5\nh_bucket{le=\"0.1\"} 5\nh_bucket{le=\"+Inf\"} 5\n";
        let after =
            "h_bucket{le=\"0.01\"} 95\nh_bucket{le=\"0.1\"} 104\nh_bucket{le=\"+Inf\"} 105\n";
        assert_eq!(histogram_percentile(before, after, "h", 0.5), Some(10.0));
        assert_eq!(histogram_percentile(before, after, "h", 0.95), Some(100.0));
        assert_eq!(histogram_percentile(after, after, "h", 0.5), None);
    }
}
