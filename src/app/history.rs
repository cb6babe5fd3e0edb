//! A history replayed (issue 33, `aegis generate --history-days`): the synthetic world's
//! tickets admitted hour by hour through the same admission and lifecycle as live ones, on a
//! clock that starts that many days ago and is moved on as the hours pass — so screenings,
//! scores, alerts and their escalations, the trail's hash chain and the reports' rows are the
//! runtime's own. Officers acknowledge and resolve the alerts after realistic delays;
//! damages and near misses become investigations with root causes in DIRT's proportions,
//! most closed by an operator. A newcomer's Reports page is then full, and the benchmark has
//! a year to read.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use aegis_workflows::Ticket;
use aegis_workflows::investigation::{Draft, Kind, Marks, RootCause, RootCauseGroup};
use chrono::{DateTime, TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::Service;
use super::alerts::AlertAction;
use super::errors::{Refusal, refusal};
use super::receive_ticket::{Delivery, Format, ReceiveError, Received, Signed};
use super::views::Role;
use crate::db::centers::CenterAuth;
use crate::db::read::workflows::Progress;
use crate::formats::Parsed;
use crate::risk::generate::Generated;

/// Who the trail says acted in a replayed history.
const OFFICERS: [&str; 3] = [
    "history:officer-ana",
    "history:officer-ben",
    "history:officer-cho",
];
const OPERATOR: &str = "history:operator";
/// How long a replay waits for one hour's tickets to settle before saying so.
const SETTLE_LIMIT: Duration = Duration::from_secs(120);

/// What a replay did.
#[derive(Debug, Clone, Default)]
pub struct Replayed {
    pub tickets: u64,
    pub alerts: u64,
    pub acknowledged: u64,
    pub investigations: u64,
    pub closed: u64,
    /// People's actions refused on the way (an alert escalated or resolved meanwhile, say).
    pub refused: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("this Aegis was not started on a replay clock")]
    NoReplayClock,
    #[error("admitting a generated ticket: {0}")]
    Admit(#[from] ReceiveError),
    #[error(transparent)]
    Store(#[from] aegis_actors::ports::StoreError),
    #[error(
        "an hour's tickets did not settle within {0:?}: is another Aegis driving this database?"
    )]
    Unsettled(Duration),
}

refusal!(HistoryError, self => match self {
    Self::NoReplayClock => Refusal::internal(self),
    Self::Admit(e) => e.refusal(),
    Self::Store(e) => e.refusal(),
    Self::Unsettled(_) => Refusal::unavailable(self.to_string(), 1),
});

/// A person's action due at a time, in the replay's order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Act {
    Acknowledge {
        alert: String,
        officer: usize,
    },
    Resolve {
        alert: String,
        officer: usize,
        disposition: &'static str,
    },
    Investigate {
        workflow: String,
        kind: Kind,
        occurred_at: DateTime<Utc>,
        cause: usize,
    },
    Close {
        investigation: String,
    },
}

/// Root causes in roughly DIRT's proportions for damages on ticketed digs (excavation
/// practices about half, locating about a quarter).
const CAUSES: &[(RootCause, u32)] = &[
    (RootCause::NoTestHole, 18),
    (RootCause::FailedClearance, 12),
    (RootCause::FailedToProtect, 6),
    (RootCause::ImproperBackfilling, 3),
    (RootCause::MarksNotMaintained, 4),
    (RootCause::ExcavationOther, 5),
    (RootCause::OutsideTicketArea, 5),
    (RootCause::BeforeValidStart, 4),
    (RootCause::AfterExpiry, 2),
    (RootCause::NotMarkedLocatorError, 6),
    (RootCause::NotMarkedRecords, 4),
    (RootCause::NotMarkedNoResponse, 2),
    (RootCause::InaccurateLocatorError, 6),
    (RootCause::InaccurateRecords, 4),
    (RootCause::DeterioratedFacility, 3),
    (RootCause::NotListed, 2),
    (RootCause::Unknown, 14),
];

fn pick_cause(rng: &mut StdRng) -> usize {
    let total: u32 = CAUSES.iter().map(|(_, w)| w).sum();
    let mut at = rng.random_range(0..total);
    for (i, (_, w)) in CAUSES.iter().enumerate() {
        if at < *w {
            return i;
        }
        at -= w;
    }
    CAUSES.len() - 1
}

fn marks_for(cause: RootCause) -> Marks {
    match cause.group() {
        RootCauseGroup::NotMarked => Marks::Absent,
        RootCauseGroup::MarkedInaccurately => Marks::PresentInaccurate,
        RootCauseGroup::Unknown => Marks::Unknown,
        _ => Marks::PresentAccurate,
    }
}

/// Minutes an officer takes to acknowledge: log-normal, median about 12, a tail past an hour.
fn ack_minutes(rng: &mut StdRng) -> f64 {
    let normal: f64 = (0..12).map(|_| rng.random::<f64>()).sum::<f64>() - 6.0;
    (12f64.ln() + 0.9 * normal).exp().clamp(0.5, 600.0)
}

/// A replay in progress: the clock, what people will do and when, the tallies.
pub struct Replay<'a> {
    app: &'a Service,
    center: CenterAuth,
    rng: StdRng,
    acts: BinaryHeap<Reverse<(DateTime<Utc>, Act)>>,
    near_miss_rate: f64,
    pub done: Replayed,
}

impl Service {
    /// Starts replaying into `center` (registered; its secret is not needed).
    pub async fn replay(
        &self,
        center: &str,
        seed: u64,
        near_miss_rate: f64,
    ) -> Result<Replay<'_>, HistoryError> {
        if self.manual_clock.is_none() {
            return Err(HistoryError::NoReplayClock);
        }
        Ok(Replay {
            app: self,
            center: self.center(center).await?,
            rng: StdRng::seed_from_u64(seed ^ 0x0005_eed0_fa11),
            acts: BinaryHeap::new(),
            near_miss_rate,
            done: Replayed::default(),
        })
    }

    /// Moves the replay clock on to `t` (never back) and wakes the timers due by then.
    fn replay_until(&self, t: DateTime<Utc>) {
        if let Some(clock) = &self.manual_clock {
            let by = t - self.now();
            if by > TimeDelta::zero() {
                clock.advance(by);
                self.runtime.deps.signals.timers.notify_one();
            }
        }
    }
}

impl Replay<'_> {
    /// The replay's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.app.now()
    }

    /// Admits one hour's tickets, waits for them to settle, plans what people do about them,
    /// does what falls due before `until`, and moves the clock to `until`.
    pub async fn hour(
        &mut self,
        tickets: Vec<Generated>,
        until: DateTime<Utc>,
    ) -> Result<(), HistoryError> {
        let admitted =
            futures::future::join_all(tickets.iter().map(|g| self.admit(&g.ticket))).await;
        let mut ids = Vec::with_capacity(tickets.len());
        for (g, id) in tickets.iter().zip(admitted) {
            if let Some(id) = id? {
                ids.push((id, g.damaged, g.ticket.clone()));
            }
        }
        self.done.tickets += ids.len() as u64;
        let progress = self
            .settle(ids.iter().map(|(id, ..)| id.clone()).collect())
            .await?;
        self.plan(&ids, &progress);
        self.act_until(until).await;
        self.app.replay_until(until);
        Ok(())
    }

    async fn admit(&self, ticket: &Ticket) -> Result<Option<String>, HistoryError> {
        let body =
            serde_json::to_vec(ticket).map_err(|e| ReceiveError::Unserializable(e.to_string()))?;
        let delivery = Delivery {
            format: Format::Native,
            body: body.into(),
            content_type: "application/json".into(),
            signed: Signed::default(),
        };
        let parsed = Parsed {
            ticket: ticket.clone(),
            delivery_id: None,
            sequence: None,
        };
        let id = format!("history:{}:{}", ticket.ticket_number, ticket.revision);
        let received = self
            .app
            .admit_replayed(&self.center, parsed, &id, &delivery)
            .await?;
        Ok(match received.outcome {
            Received::Accepted { workflow_id } => Some(workflow_id),
            // Replayed before (the same seed twice): already in the history.
            _ => None,
        })
    }

    /// Waits until no workflow is still being received or validated (the replay is the only
    /// traffic), then reads where `ids` stand.
    async fn settle(&self, ids: Vec<String>) -> Result<Vec<Progress>, HistoryError> {
        let started = std::time::Instant::now();
        loop {
            let moving = self
                .app
                .db
                .with_read(crate::db::read::workflows::in_flight)
                .await?;
            if moving == 0 {
                break;
            }
            if started.elapsed() > SETTLE_LIMIT {
                return Err(HistoryError::Unsettled(SETTLE_LIMIT));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(self
            .app
            .db
            .with_read(move |c| crate::db::read::workflows::progress_of(c, &ids))
            .await?)
    }

    fn plan(&mut self, ids: &[(String, bool, Ticket)], progress: &[Progress]) {
        let now = self.now();
        for p in progress {
            let Some((alert, _)) = &p.alert else { continue };
            self.done.alerts += 1;
            let officer = self.rng.random_range(0..OFFICERS.len());
            let ack = now + minutes(ack_minutes(&mut self.rng));
            let resolve = ack + minutes(self.rng.random_range(20.0..240.0));
            let disposition = match self.rng.random_range(0..10) {
                0..=5 => "locator_dispatched",
                6 | 7 => "excavator_contacted",
                8 => "site_standby",
                _ => "no_conflict",
            };
            self.push(
                ack,
                Act::Acknowledge {
                    alert: alert.clone(),
                    officer,
                },
            );
            self.push(
                resolve,
                Act::Resolve {
                    alert: alert.clone(),
                    officer,
                    disposition,
                },
            );
        }
        for (id, damaged, ticket) in ids {
            let kind = if *damaged {
                Kind::Damage
            } else if self.rng.random::<f64>() < self.near_miss_rate {
                Kind::NearMiss
            } else {
                continue;
            };
            let dig = ticket
                .work_begin_at
                .or(ticket.legal_start_at)
                .map_or(now, |t| t.with_timezone(&Utc))
                .max(now);
            let occurred_at = dig + TimeDelta::hours(self.rng.random_range(1..96));
            let cause = pick_cause(&mut self.rng);
            let reported = occurred_at + TimeDelta::hours(self.rng.random_range(2..72));
            self.push(
                reported,
                Act::Investigate {
                    workflow: id.clone(),
                    kind,
                    occurred_at,
                    cause,
                },
            );
        }
    }

    fn push(&mut self, at: DateTime<Utc>, act: Act) {
        self.acts.push(Reverse((at, act)));
    }

    /// Does every planned action due before `until`, in time order, the clock following.
    pub async fn act_until(&mut self, until: DateTime<Utc>) {
        while let Some(Reverse((at, _))) = self.acts.peek() {
            if *at >= until {
                break;
            }
            let Some(Reverse((at, act))) = self.acts.pop() else {
                break;
            };
            self.app.replay_until(at);
            if let Err(e) = self.act(act).await {
                tracing::debug!(error = %e, "a replayed action was refused");
                self.done.refused += 1;
            }
        }
    }

    async fn act(&mut self, act: Act) -> Result<(), String> {
        match act {
            Act::Acknowledge { alert, officer } => {
                let action = AlertAction::Acknowledge {
                    note: None,
                    via: Some("console".into()),
                };
                self.app
                    .act_on_alert(&alert, OFFICERS[officer].into(), action)
                    .await
                    .map_err(|e| e.to_string())?;
                self.done.acknowledged += 1;
            }
            Act::Resolve {
                alert,
                officer,
                disposition,
            } => {
                let action = AlertAction::Resolve {
                    disposition: disposition.into(),
                    note: None,
                };
                self.app
                    .act_on_alert(&alert, OFFICERS[officer].into(), action)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Act::Investigate {
                workflow,
                kind,
                occurred_at,
                cause,
            } => {
                let root = CAUSES[cause].0;
                let draft = Draft {
                    kind: Some(kind.as_str().into()),
                    occurred_at: Some(occurred_at),
                    facility_class: Some(self.damaged_class().into()),
                    root_cause: Some(root.as_str().into()),
                    marks: Some(marks_for(root).as_str().into()),
                    downtime_hours: (kind == Kind::Damage)
                        .then(|| f64::from(self.rng.random_range(1..12u32))),
                    cost_usd: (kind == Kind::Damage)
                        .then(|| f64::from(self.rng.random_range(8..120u32)) * 250.0),
                    ..Draft::default()
                };
                let officer = OFFICERS[self.rng.random_range(0..OFFICERS.len())];
                let opened = self
                    .app
                    .open_investigation(&workflow, officer.into(), draft)
                    .await
                    .map_err(|e| e.to_string())?;
                self.done.investigations += 1;
                if self.rng.random::<f64>() < 0.85 {
                    let close = self.now() + TimeDelta::days(self.rng.random_range(3..21));
                    self.push(
                        close,
                        Act::Close {
                            investigation: opened.id,
                        },
                    );
                }
            }
            Act::Close { investigation } => {
                self.app
                    .close_investigation(&investigation, OPERATOR.into(), Role::Operator, None)
                    .await
                    .map_err(|e| e.to_string())?;
                self.done.closed += 1;
            }
        }
        Ok(())
    }

    /// The class of the line a replayed damage hit: telecom and gas most often, as in DIRT.
    fn damaged_class(&mut self) -> &'static str {
        match self.rng.random_range(0..20) {
            0..=6 => "telecom",
            7..=11 => "gas_distribution",
            12..=13 => "gas_service",
            14..=16 => "water",
            17 => "sewer",
            _ => "electric_distribution",
        }
    }
}

fn minutes(m: f64) -> TimeDelta {
    // Minutes in a replay are far below i64's range of milliseconds.
    #[allow(clippy::cast_possible_truncation)]
    TimeDelta::milliseconds((m * 60_000.0) as i64)
}
