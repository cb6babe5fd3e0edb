//! The officers' queue (contract §12): open alerts in priority order — expected harm raised as
//! the deadline nears, overdue on top — each with what an officer reads before opening it:
//! where, what work and method, what is buried how near, the risk in words and the time left.
//!
//! Priority depends on the clock, so it is computed when asked, over the open alerts (at most
//! [`MAX_CANDIDATES`], newest first), never stored. Live alerts come first; those whose dig time
//! passed more than `due.stale_after_secs` ago (a day) follow as their own group, counted apart.
//! Within each, alerts somebody has acknowledged follow the ones nobody has, each part in
//! priority order: the queue is what still needs a person.

use aegis_actors::records::AlertState;
use aegis_workflows::priority::{self, Consequence, Priority};
use aegis_workflows::ticket::Ticket;
use serde::Serialize;

use super::App;
use super::list_params;
use super::views::AlertItem;
use super::workflows::ListError;
use crate::db::read;

/// Open alerts the order is computed over at most; a deployment with more open alerts than
/// this has a larger problem than their order, and the list says it was cut.
pub const MAX_CANDIDATES: usize = 5_000;

/// The states in the queue, unacknowledged first.
pub const QUEUE_STATES: [&str; 3] = ["escalated", "open", "acknowledged"];

/// The queue's filters as a caller gives them, unchecked.
#[derive(Debug, Clone, Default)]
pub struct QueueQuery {
    pub state: Option<String>,
    pub center: Option<String>,
    pub since: Option<String>,
    pub limit: Option<usize>,
}

/// An alert's priority, as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PriorityView {
    /// What the queue orders by: expected harm × urgency.
    pub score: f64,
    /// Probability × consequence weight.
    pub expected_harm: f64,
    /// The weight and why (`conflict` with its class, `unknown`, `no_conflict`).
    #[schema(value_type = Object)]
    pub consequence: Consequence,
    /// The legal start or the response due time, whichever is first.
    pub deadline: Option<chrono::DateTime<chrono::Utc>>,
    /// Seconds to the deadline, negative once it has passed.
    pub seconds_left: Option<i64>,
    pub overdue: bool,
    /// The dig time passed long ago (`due.stale_after_secs`): listed below the live alerts.
    pub stale: bool,
}

/// A queue row in words.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowWords {
    /// Address and city, or the coordinates.
    pub place: String,
    /// The work and the method ("Water main repair · directional drilling").
    pub work: String,
    /// What is buried how near ("gas transmission 5 ft").
    pub buried: String,
    /// "2.4 % — 12× a usual ticket".
    pub risk: String,
    /// "2 h 10 min left", "overdue 35 min".
    pub time_left: String,
    /// The ticket's type ("emergency").
    pub ticket_type: Option<String>,
}

/// One alert in the queue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueueItem {
    #[serde(flatten)]
    pub item: AlertItem,
    pub priority: PriorityView,
    pub words: RowWords,
}

/// The queue, and whether it was computed over every open alert.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Queue {
    pub items: Vec<QueueItem>,
    /// Always empty: the order changes with the clock, so it is not paged; `limit` says how
    /// many of the most pressing come back.
    pub next_cursor: Option<String>,
    /// More open alerts than [`MAX_CANDIDATES`]: the oldest were left out of the order.
    pub truncated: bool,
    /// How many of the alerts asked for are stale (listed after the live ones).
    pub stale: usize,
}

impl App {
    /// One open alert as the queue shows it: its priority and its row in words.
    fn queue_item(
        &self,
        s: read::QueueSource,
        now: chrono::DateTime<chrono::Utc>,
        stale_after: chrono::TimeDelta,
    ) -> (Priority, QueueItem) {
        let (ticket, screening) = (s.ticket, s.screening);
        let consequence = Consequence::of(screening.as_ref(), &self.consequence);
        let deadline = priority::deadline(&ticket);
        // An alert without a score yet is judged as the band would: a person looks.
        let probability = s.item.probability.unwrap_or(f64::NAN);
        let p = Priority::new(probability, consequence.weight(), deadline, now);
        let words = RowWords {
            place: ticket.location.in_words(),
            work: work(&ticket),
            buried: screening.as_ref().map_or_else(
                || "not screened".to_owned(),
                |s| priority::buried_in_words(s, &self.consequence),
            ),
            risk: aegis_workflows::risk::in_words(probability),
            time_left: priority::time_left_words(deadline, now),
            ticket_type: ticket.kind.map(|k| k.as_str().replace('_', " ")),
        };
        let view = PriorityView {
            score: p.score,
            expected_harm: p.expected_harm,
            consequence,
            deadline,
            seconds_left: p.time_left(now).map(|d| d.num_seconds()),
            overdue: p.overdue,
            stale: p.is_stale(now, stale_after),
        };
        let item = QueueItem {
            priority: view,
            words,
            item: s.item,
        };
        (p, item)
    }
}

fn work(t: &Ticket) -> String {
    let method = t.work.method.map(|m| m.in_words());
    [t.work.kind.clone(), method]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ")
}

impl App {
    /// Open alerts, the most pressing first.
    pub async fn alert_queue(&self, query: &QueueQuery) -> Result<Queue, ListError> {
        let all: Vec<&str> = AlertState::ALL.iter().map(|s| s.as_str()).collect();
        // A closed state names no alert the queue holds: an empty queue, not a refusal.
        let states: Vec<String> = match list_params::one_of("state", query.state.as_deref(), &all)?
        {
            Some(s) if QUEUE_STATES.contains(&s.as_str()) => vec![s],
            Some(_) => Vec::new(),
            None => QUEUE_STATES.iter().map(|s| (*s).to_owned()).collect(),
        };
        let limit = list_params::limit(query.limit)?;
        let since = list_params::time("since", query.since.as_deref())?;
        let center = query.center.clone();
        let sources = if states.is_empty() {
            Vec::new()
        } else {
            self.db
                .with_read(move |c| {
                    read::open_alerts_for_queue(
                        c,
                        &states,
                        center.as_deref(),
                        since,
                        MAX_CANDIDATES + 1,
                    )
                })
                .await?
        };
        let truncated = sources.len() > MAX_CANDIDATES;
        let now = self.now();
        let stale_after = self.settings.due.stale_after();
        let mut items: Vec<(Priority, QueueItem)> = sources
            .into_iter()
            .take(MAX_CANDIDATES)
            .map(|s| self.queue_item(s, now, stale_after))
            .collect();
        items.sort_by(|a, b| {
            let group = |q: &QueueItem| {
                let handled = q.item.alert.state == AlertState::Acknowledged;
                (q.priority.stale, handled)
            };
            group(&a.1).cmp(&group(&b.1)).then(a.0.queue_order(&b.0))
        });
        let stale = items.iter().filter(|(_, q)| q.priority.stale).count();
        items.truncate(limit);
        Ok(Queue {
            items: items.into_iter().map(|(_, q)| q).collect(),
            next_cursor: None,
            truncated,
            stale,
        })
    }
}
