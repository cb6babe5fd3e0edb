//! Officers' use cases: the alert queue, one alert with everything needed to judge it,
//! acknowledging and resolving (by whichever door: API, console, e-mail link), and the live
//! feed of alert changes.

use aegis_actors::ports::{EventMessage, StoreError};
use aegis_actors::records::AlertState;
use aegis_actors::step::{Command, StepError};
use aegis_workflows::lifecycle::Disposition;
use serde::Serialize;
use tokio::sync::broadcast;

use super::errors::{Refusal, refusal};
use super::list_params::{self, InvalidParam};
use super::views::{AlertItem, AlertView, Page, WorkflowDetail};
use super::workflows::{ListError, LookupError};
use super::{App, Service};
use crate::db::principals::Role;
use crate::db::read::deliveries::DeliveryView;
use crate::db::read::{self, AlertFilter};

/// The longest note kept with an acknowledgement or a resolution.
pub const MAX_NOTE: usize = 4_000;

/// The alert filters as a caller gives them, unchecked.
#[derive(Debug, Clone, Default)]
pub struct AlertQuery {
    pub state: Option<String>,
    pub center: Option<String>,
    pub since: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

impl AlertQuery {
    pub fn check(&self) -> Result<AlertFilter, InvalidParam> {
        let states: Vec<&str> = AlertState::ALL.iter().map(|s| s.as_str()).collect();
        Ok(AlertFilter {
            state: list_params::one_of("state", self.state.as_deref(), &states)?,
            center: self.center.clone(),
            since: list_params::time("since", self.since.as_deref())?,
            cursor: list_params::cursor(self.cursor.as_deref())?,
            limit: list_params::limit(self.limit)?,
        })
    }
}

/// One alert with everything an officer needs to judge it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertDetail {
    pub alert: AlertView,
    /// The workflow: ticket, score with its top contributing features, full history.
    pub workflow: WorkflowDetail,
    /// Who was told of this alert, on which channel, and how that went (no secrets).
    pub notifications: Vec<DeliveryView>,
    /// The standing rule that raised the alert, when the band did not ("an emergency ticket
    /// where what is buried is not known").
    pub rule: Option<String>,
    /// Why this is an alert, in words: the rule, or the band.
    pub raised_because: String,
}

/// The rule in the workflow's latest `alert_raised` event, if one raised it.
fn raising_rule(w: &WorkflowDetail) -> Option<String> {
    w.events
        .iter()
        .rev()
        .find(|e| e.event == "alert_raised")
        .and_then(|e| e.detail.get("rule"))
        .and_then(|r| r.as_str())
        .map(str::to_owned)
}

/// What resolving with one disposition does at the call center.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResolutionChoice {
    #[schema(value_type = String, example = "locator_dispatched")]
    pub disposition: Disposition,
    /// The locate code posted to the center (none: nothing is posted).
    pub posts: Option<String>,
    /// The code's description as the center lists it ("Marked").
    pub description: Option<String>,
    /// The center that hears it.
    pub center: String,
    /// "posts CODE 2 (Marked) to USA North 811 (USAN) for ticket 20261122…" or "posts nothing
    /// to the call center".
    pub in_words: String,
}

/// What a person does to an alert.
#[derive(Debug, Clone)]
pub enum AlertAction {
    Acknowledge {
        note: Option<String>,
        /// The door it came through when not the API (`console`, `email`…), for the trail.
        via: Option<String>,
    },
    Resolve {
        /// A disposition's name, as the person chose it.
        disposition: String,
        note: Option<String>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum AlertActionError {
    #[error("note is longer than {MAX_NOTE} characters")]
    NoteTooLong,
    #[error("disposition must be one of: {}", Disposition::ALL.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(", "))]
    UnknownDisposition,
    #[error("no such alert")]
    NotFound,
    /// The alert moved on since the page was read: who did what, when.
    #[error("{message}")]
    Stale {
        message: String,
        state: AlertState,
        by: Option<String>,
        at: Option<chrono::DateTime<chrono::Utc>>,
    },
    #[error(transparent)]
    Step(#[from] StepError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

refusal!(AlertActionError, self => match self {
    Self::NoteTooLong => Refusal::invalid("note", self.to_string()),
    Self::UnknownDisposition => Refusal::invalid("disposition", self.to_string()),
    Self::NotFound => Refusal::not_found("alert"),
    Self::Stale { message, state, by, at } => Refusal::conflict("INVALID_TRANSITION", message.clone())
        .with_details(serde_json::json!({ "state": state, "by": by, "at": at })),
    Self::Step(e) => e.refusal(),
    Self::Store(e) => e.refusal(),
});

/// The alert after an action, and whether the action changed anything.
#[derive(Debug)]
pub struct Acted {
    pub detail: AlertDetail,
    pub workflow_state: String,
    /// False when the call repeated what was already done (an idempotent acknowledgement).
    pub changed: bool,
}

impl App {
    /// A page of alerts, newest first.
    pub async fn list_alerts(&self, query: &AlertQuery) -> Result<Page<AlertItem>, ListError> {
        let filter = query.check()?;
        Ok(self
            .db
            .with_read(move |c| read::list_alerts(c, &filter))
            .await?)
    }

    /// The alert, its workflow and who was told, as `viewer` may see it: what receivers
    /// answered (notification errors, a center's answers) is for operators; an officer sees
    /// that a delivery failed and when it is tried again.
    pub async fn alert(&self, id: &str, viewer: Role) -> Result<AlertDetail, LookupError> {
        let mut detail = self.alert_as_stored(id).await?;
        if viewer != Role::Operator {
            hide_receivers_answers(&mut detail);
        }
        Ok(detail)
    }

    async fn alert_as_stored(&self, id: &str) -> Result<AlertDetail, LookupError> {
        let id = id.to_owned();
        let (workflow, notifications) = self
            .db
            .with_read(move |c| {
                let Some(wf) = read::alert_workflow(c, &id)? else {
                    return Ok(None);
                };
                let told = read::deliveries::for_alert(c, &id)?;
                Ok(read::workflow_detail(c, &wf)?.map(|w| (w, told)))
            })
            .await?
            .ok_or(LookupError::NotFound("alert"))?;
        let alert = workflow
            .alert
            .clone()
            .ok_or(LookupError::NotFound("alert"))?;
        let rule = raising_rule(&workflow);
        Ok(AlertDetail {
            raised_because: aegis_workflows::alert::raised_because(rule.as_deref()),
            rule,
            alert,
            workflow,
            notifications,
        })
    }
}

impl App {
    /// What resolving the alert with each disposition does at its center: the code posted, or
    /// nothing (no response API, an unmapped disposition, or a test ticket).
    pub async fn resolution_choices(
        &self,
        detail: &AlertDetail,
    ) -> Result<Vec<ResolutionChoice>, StoreError> {
        let center = detail.alert.center.clone();
        let key = center.clone();
        let (setup, (codes, _)) = self
            .db
            .with_read(move |c| {
                Ok((
                    crate::db::response_apis::setup(c, &key)?,
                    crate::db::response_apis::locate_codes(c, &key)?,
                ))
            })
            .await?;
        let ticket = &detail.alert.ticket_number;
        let is_test = detail.workflow.ticket.is_test;
        Ok(Disposition::ALL
            .into_iter()
            .map(|d| {
                let posts = setup
                    .as_ref()
                    .filter(|_| !is_test)
                    .and_then(|s| s.codes.get(&d).cloned());
                let description = posts
                    .as_ref()
                    .and_then(|p| codes.iter().find(|c| &c.code == p))
                    .map(|c| c.description.clone());
                let in_words = match (&posts, &description) {
                    (Some(p), Some(desc)) => {
                        format!("posts {p} ({desc}) to {center} for ticket {ticket}")
                    }
                    (Some(p), None) => format!("posts {p} to {center} for ticket {ticket}"),
                    (None, _) => "posts nothing to the call center".to_owned(),
                };
                ResolutionChoice {
                    disposition: d,
                    posts,
                    description,
                    center: center.clone(),
                    in_words,
                }
            })
            .collect())
    }
}

impl Service {
    /// `by` acknowledges or resolves the alert; the answer is the alert as it is now.
    pub async fn act_on_alert(
        &self,
        alert_id: &str,
        by: String,
        action: AlertAction,
    ) -> Result<Acted, AlertActionError> {
        let too_long =
            |n: &Option<String>| n.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE);
        let command = match action {
            AlertAction::Acknowledge { note, via } => {
                if too_long(&note) {
                    return Err(AlertActionError::NoteTooLong);
                }
                Command::Acknowledge { by, note, via }
            }
            AlertAction::Resolve { disposition, note } => {
                if too_long(&note) {
                    return Err(AlertActionError::NoteTooLong);
                }
                let disposition =
                    Disposition::parse(&disposition).ok_or(AlertActionError::UnknownDisposition)?;
                Command::Resolve {
                    by,
                    disposition,
                    note,
                }
            }
        };
        let id = alert_id.to_owned();
        let workflow = self
            .db
            .with_read(move |c| read::alert_workflow(c, &id))
            .await?
            .ok_or(AlertActionError::NotFound)?;
        let outcome = match self.command(&workflow, command).await {
            Ok(o) => o,
            Err(e @ (StepError::InvalidTransition(_) | StepError::InvalidAlertTransition(_))) => {
                return Err(self.stale(alert_id, e).await);
            }
            Err(e) => return Err(e.into()),
        };
        let detail = self.alert_as_stored(alert_id).await.map_err(|e| match e {
            LookupError::NotFound(_) => AlertActionError::NotFound,
            LookupError::Store(s) => AlertActionError::Store(s),
        })?;
        Ok(Acted {
            detail,
            workflow_state: outcome.state.as_str().to_owned(),
            changed: outcome.changed,
        })
    }

    /// A refusal on a page that was out of date, saying who did what to the alert, and when.
    async fn stale(&self, alert_id: &str, refused: StepError) -> AlertActionError {
        let Ok(now) = self.alert_as_stored(alert_id).await else {
            return refused.into();
        };
        let a = now.alert;
        let (by, at) = match a.state {
            AlertState::Resolved => (a.resolved_by.clone(), a.resolved_at),
            AlertState::Acknowledged => (a.acknowledged_by.clone(), a.acknowledged_at),
            _ => (None, Some(a.updated_at)),
        };
        let how = a
            .disposition
            .as_deref()
            .filter(|_| a.state == AlertState::Resolved)
            .map_or_else(String::new, |d| format!(" as {}", d.replace('_', " ")));
        let who = by
            .as_deref()
            .map_or_else(String::new, |b| format!(" by {b}"));
        let when = at.map_or_else(String::new, |t| {
            format!(" at {}", t.format("%Y-%m-%d %H:%M UTC"))
        });
        AlertActionError::Stale {
            message: format!(
                "not done: the alert was already {}{who}{when}{how}; this page was out of date",
                a.state
            ),
            state: a.state,
            by,
            at,
        }
    }

    /// Alert changes as they are committed, on any node.
    pub fn alert_changes(&self) -> broadcast::Receiver<EventMessage> {
        self.runtime.alerts.subscribe()
    }
}

/// The trail's events that carry a receiver's answer in `error`.
const ANSWERING_EVENTS: [&str; 3] = [
    "notification_failed",
    "response_failed",
    "response_rejected",
];

/// What stands in for a receiver's answer where officers look.
const HIDDEN: &str = "(the receiver's answer is shown to operators)";

/// Removes what receivers answered: an operator's target may be anything, and its answer is not
/// for everyone who reads an alert.
fn hide_receivers_answers(detail: &mut AlertDetail) {
    for d in &mut detail.notifications {
        d.last_error = None;
    }
    for e in &mut detail.workflow.events {
        if ANSWERING_EVENTS.contains(&e.event.as_str())
            && let Some(error) = e.detail.get_mut("error")
        {
            *error = serde_json::Value::String(HIDDEN.to_owned());
        }
    }
    if let Some(r) = &mut detail.workflow.response
        && r.error.is_some()
    {
        r.error = Some(HIDDEN.to_owned());
    }
}
