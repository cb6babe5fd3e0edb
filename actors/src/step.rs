//! Steps: the messages that move one workflow, and what comes back.

use aegis_workflows::lifecycle::{Disposition, State, TransitionError};
use serde::{Deserialize, Serialize};

use crate::ports::{ScoreError, StoreError};
use crate::records::{Alert, Principal, SendResult, TimerRecord};

/// One unit of work for a ticket actor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "step")]
pub enum Step {
    /// Take every step the workflow can take by itself (validate, score, decide).
    Drive,
    /// A durable timer fell due.
    Timer { timer: TimerRecord },
    /// A person asked for something.
    Command { command: Command },
    /// A notification attempt ended: record it in the trail and settle its delivery. Carries
    /// no channel secret (steps can end up in dead letters and logs).
    Notified { attempt: NotifyAttempt },
    /// A positive-response attempt ended: record it and settle its row.
    Responded { attempt: RespondAttempt },
    /// Retries ran out: end the workflow `failed` and keep the step as a dead letter.
    Fail {
        error: String,
        attempts: u32,
        failed_step: Box<Step>,
    },
}

impl Step {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Drive => "drive",
            Self::Timer { .. } => "timer",
            Self::Command { command } => command.name(),
            Self::Notified { .. } => "notified",
            Self::Responded { .. } => "responded",
            Self::Fail { .. } => "fail",
        }
    }
}

/// One notification attempt and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifyAttempt {
    pub delivery: String,
    pub change: aegis_workflows::notification::Change,
    pub user: String,
    /// The channel's kind (`email`, `pagerduty`, …).
    pub channel: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub result: SendResult,
}

/// One attempt to post a positive response and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RespondAttempt {
    pub response: String,
    pub code: String,
    pub station: String,
    pub attempt: u32,
    pub result: SendResult,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "command")]
pub enum Command {
    Acknowledge {
        by: Principal,
        note: Option<String>,
        /// The channel whose acknowledgement link was used, if one was.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        via: Option<String>,
    },
    Resolve {
        by: Principal,
        disposition: Disposition,
        note: Option<String>,
    },
    Cancel {
        by: Principal,
        reason: String,
    },
    Retry {
        by: Principal,
    },
    /// An operator's explicit positive response (the code was checked against the center's
    /// active codes by whoever accepted the request).
    Respond {
        by: Principal,
        code: String,
        note: Option<String>,
    },
    /// Open, edit or close a damage investigation on this workflow (contract §14).
    Investigate {
        by: Principal,
        change: InvestigationChange,
    },
}

/// What a person does to an investigation; the findings were checked by whoever accepted the
/// request ([`aegis_workflows::investigation::apply`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "change")]
pub enum InvestigationChange {
    Open {
        id: String,
        findings: Box<aegis_workflows::investigation::Findings>,
        excavator_key: Option<String>,
    },
    /// The findings as they should be after the edit, made from `version`.
    Edit {
        id: String,
        findings: Box<aegis_workflows::investigation::Findings>,
        version: u32,
    },
    Close {
        id: String,
        version: u32,
    },
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Acknowledge { .. } => "acknowledge",
            Self::Resolve { .. } => "resolve",
            Self::Cancel { .. } => "cancel",
            Self::Retry { .. } => "retry",
            Self::Respond { .. } => "respond",
            Self::Investigate { .. } => "investigate",
        }
    }
}

/// Where a workflow stands after a step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepOutcome {
    pub state: State,
    pub version: i64,
    /// Whether this step changed anything (an idempotent repeat does not).
    pub changed: bool,
    pub alert: Option<Alert>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StepError {
    #[error("no such workflow")]
    NotFound,
    #[error(transparent)]
    InvalidTransition(#[from] TransitionError),
    /// The workflow allowed the command but its alert did not (they disagree only when the
    /// stored alert is out of step with its workflow).
    #[error(transparent)]
    InvalidAlertTransition(#[from] aegis_workflows::alert::AlertError),
    #[error("the alert was already acknowledged by {by}")]
    AlreadyAcknowledged { by: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Score(#[from] ScoreError),
    #[error("the step panicked: {0}")]
    Panicked(String),
    #[error("the workflow kept changing under us ({0} conflicts)")]
    Contended(u32),
    #[error("the ticket actor is gone: {0}")]
    ActorLost(String),
    #[error("the runtime is overloaded")]
    Overloaded,
    /// The workflow's center has no positive-response API to answer through.
    #[error("the center has no positive-response API configured")]
    NoResponseApi,
    /// The center marked the ticket a test: nothing is said back to it.
    #[error("a test ticket is never answered to the call center")]
    TestTicket,
    /// Something to be stored could not be written as JSON (an event, a message, a step).
    #[error("could not serialize: {0}")]
    Unserializable(String),
    #[error("no such investigation on this workflow")]
    NoInvestigation,
    #[error("the investigation was closed by {by}")]
    InvestigationClosed { by: String },
    /// Someone changed the investigation since the version the edit was made from.
    #[error("the investigation changed since version {from} (it is at version {now})")]
    InvestigationChanged { from: u32, now: u32 },
}

impl StepError {
    /// Whether trying again later may succeed. Answers to people (not found, refused
    /// transitions) are final; faults are retried with backoff and then dead-lettered.
    pub fn retryable(&self) -> bool {
        !matches!(
            self,
            Self::NotFound
                | Self::InvalidTransition(_)
                | Self::InvalidAlertTransition(_)
                | Self::AlreadyAcknowledged { .. }
                | Self::NoResponseApi
                | Self::TestTicket
                | Self::NoInvestigation
                | Self::InvestigationClosed { .. }
                | Self::InvestigationChanged { .. }
        )
    }
}
