//! `aegis generate --history-days N`: a history replayed into the configured database through
//! the lifecycle (`app::history`), hour by hour on a clock that starts N days ago, with a
//! progress bar on a terminal (nothing drawn in a pipe) and a summary at the end.

use std::time::Instant;

use anyhow::{Context as _, anyhow, bail};
use chrono::{TimeDelta, Utc};

use crate::app::UseCaseError as _;
use crate::cli::GenerateArgs;
use crate::config::Settings;
use crate::risk::generate::{Generator, GeneratorConfig};
use crate::startup::Application;

pub fn replay(settings: &Settings, args: &GenerateArgs, days: u32) -> anyhow::Result<()> {
    if days == 0 || days > 3 * 366 {
        bail!("--history-days must be between 1 and {}", 3 * 366);
    }
    let mut settings = settings.clone();
    // The replay serves nobody: no port of the configuration's is taken from a running Aegis.
    settings.http.bind = "127.0.0.1:0".into();
    let (center, per_day, seed) = (args.center.clone(), args.tickets_per_day, args.seed);
    let near_miss_rate = args.near_miss_rate;
    actix_web::rt::System::new().block_on(async move {
        let end = Utc::now();
        let start = end - TimeDelta::days(i64::from(days));
        let app = Application::build_replaying(settings, start).await?;
        let state = app.state();
        let service = state.app.clone();
        let cfg = GeneratorConfig {
            seed,
            damage_rate: args.damage_rate,
            expected_tickets: per_day as usize * days as usize,
            start,
            mean_gap_secs: 86_400.0 / f64::from(per_day.max(1)),
            ..GeneratorConfig::with_world()?
        };
        let mut tickets = Generator::new(&cfg).peekable();
        let mut replay = service
            .replay(&center, seed, near_miss_rate)
            .await
            .map_err(|e| anyhow!("{}", e.refusal()))
            .with_context(|| format!("replaying into center {center} (register it first, or run `make run` once for DEMO)"))?;
        let hours = u64::from(days) * 24;
        // About a thousand tickets a step: an hour at a few thousand a day, up to a day at
        // fewer (each step waits for its tickets to settle, so fewer steps go faster; times of
        // day within a step are the step's, days and weeks are right).
        let step = (24_000 / u64::from(per_day.max(1))).clamp(1, 24);
        let step = (1..=step).rev().find(|s| 24 % s == 0).unwrap_or(1);
        let progress = super::progress(hours, "hours");
        let started = Instant::now();
        for h in (step..=hours).step_by(usize::try_from(step).unwrap_or(1)) {
            let until = start + TimeDelta::hours(i64::try_from(h).unwrap_or(i64::MAX));
            let mut hour = Vec::new();
            while let Some(g) = tickets.next_if(|g| g.ticket.submitted_at.is_some_and(|s| s < until)) {
                hour.push(g);
            }
            replay.hour(hour, until).await.map_err(|e| anyhow!("{}", e.refusal()))?;
            progress.set_position(h);
            progress.set_message(format!("{} tickets", replay.done.tickets));
        }
        progress.finish_and_clear();
        let d = &replay.done;
        println!(
            "replayed {days} days into {center}: {} tickets, {} alerts ({} acknowledged), {} investigations ({} closed), {} actions refused on the way, in {:.0} s ({:.0} tickets/s)",
            d.tickets,
            d.alerts,
            d.acknowledged,
            d.investigations,
            d.closed,
            d.refused,
            started.elapsed().as_secs_f64(),
            d.tickets as f64 / started.elapsed().as_secs_f64().max(1e-9),
        );
        Ok(())
    })
}
