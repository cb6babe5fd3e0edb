//! Operators' use cases on workflows: the filtered list, one workflow's whole story, and the
//! repairs — retry a failed one, cancel an unfinished one, answer the center explicitly.

use aegis_actors::StepOutcome;
use aegis_actors::ports::StoreError;
use aegis_actors::step::{Command, StepError};
use aegis_workflows::positive_response::{LocateCode, is_active};

use super::errors::{Refusal, refusal};
use super::list_params::{self, InvalidParam};
use super::views::{Page, WorkflowDetail, WorkflowItem};
use super::{App, Service};
use crate::db::read::{self, WorkflowFilter};
use crate::db::response_apis;

/// The longest cancellation reason kept.
pub const MAX_REASON: usize = 4_000;
/// The longest note sent to a center with an explicit response.
pub const MAX_RESPONSE_NOTE: usize = 1_000;
pub const DEFAULT_REASON: &str = "cancelled by an operator";

/// The workflow filters as a caller gives them (query string or console form), unchecked.
#[derive(Debug, Clone, Default)]
pub struct WorkflowQuery {
    pub state: Option<String>,
    pub center: Option<String>,
    pub band: Option<String>,
    pub screening: Option<String>,
    pub ticket_number: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

impl WorkflowQuery {
    /// The filter, every value checked (the API and the console refuse the same things).
    pub fn check(&self) -> Result<WorkflowFilter, InvalidParam> {
        let states: Vec<&str> = aegis_workflows::State::ALL
            .iter()
            .map(|s| s.as_str())
            .collect();
        let bands: Vec<&str> = aegis_workflows::risk::Band::ALL
            .iter()
            .map(|b| b.as_str())
            .collect();
        Ok(WorkflowFilter {
            state: list_params::one_of("state", self.state.as_deref(), &states)?,
            center: self.center.clone(),
            band: list_params::one_of("band", self.band.as_deref(), &bands)?,
            screening: list_params::one_of(
                "screening",
                self.screening.as_deref(),
                &aegis_workflows::screening::Category::ALL.map(|c| c.as_str()),
            )?,
            ticket_number: self.ticket_number.clone(),
            since: list_params::time("since", self.since.as_deref())?,
            until: list_params::time("until", self.until.as_deref())?,
            cursor: list_params::cursor(self.cursor.as_deref())?,
            limit: list_params::limit(self.limit)?,
        })
    }
}

/// Reading one thing by its id.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

refusal!(LookupError, self => match self {
    Self::NotFound(what) => Refusal::not_found(what),
    Self::Store(e) => e.refusal(),
});

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error(transparent)]
    Invalid(#[from] InvalidParam),
    #[error(transparent)]
    Store(#[from] StoreError),
}

refusal!(ListError, self => match self {
    Self::Invalid(e) => e.refusal(),
    Self::Store(e) => e.refusal(),
});

#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    #[error("the reason is longer than {MAX_REASON} characters")]
    ReasonTooLong,
    #[error(transparent)]
    Step(#[from] StepError),
}

refusal!(CancelError, self => match self {
    Self::ReasonTooLong => Refusal::invalid("reason", self.to_string()),
    Self::Step(e) => e.refusal(),
});

#[derive(Debug, thiserror::Error)]
pub enum RespondError {
    #[error("note is longer than {MAX_RESPONSE_NOTE} characters")]
    NoteTooLong,
    #[error("no such workflow")]
    NotFound,
    #[error("center '{0}' has no positive-response API configured")]
    NoResponseApi(String),
    #[error("'{code}' is not an active locate code of center '{center}'")]
    InactiveCode { code: String, center: String },
    #[error("the response just queued is gone")]
    Vanished,
    #[error(transparent)]
    Step(#[from] StepError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

refusal!(RespondError, self => match self {
    Self::NoteTooLong => Refusal::invalid("note", self.to_string()),
    Self::NotFound => Refusal::not_found("workflow"),
    Self::NoResponseApi(_) => Refusal::conflict("NO_RESPONSE_API", self.to_string()),
    Self::InactiveCode { .. } => Refusal::invalid("code", self.to_string()),
    Self::Vanished => Refusal::internal(self),
    Self::Step(e) => e.refusal(),
    Self::Store(e) => e.refusal(),
});

impl App {
    /// `query`'s page of workflows, newest first.
    pub async fn list_workflows(
        &self,
        query: &WorkflowQuery,
    ) -> Result<Page<WorkflowItem>, ListError> {
        let filter = query.check()?;
        Ok(self
            .db
            .with_read(move |c| read::list_workflows(c, &filter))
            .await?)
    }

    /// One workflow: ticket, score, alert, response, audit trail and the chain's verdict.
    pub async fn workflow(&self, id: &str) -> Result<WorkflowDetail, LookupError> {
        let id = id.to_owned();
        self.db
            .with_read(move |c| read::workflow_detail(c, &id))
            .await?
            .ok_or(LookupError::NotFound("workflow"))
    }

    /// One workflow and, when its center has a PositiveResponse API, the center's locate codes
    /// (the operator's page offers them).
    pub async fn workflow_with_codes(
        &self,
        id: &str,
    ) -> Result<(WorkflowDetail, Option<Vec<LocateCode>>), LookupError> {
        let id = id.to_owned();
        self.db
            .with_read(move |c| {
                let Some(d) = read::workflow_detail(c, &id)? else {
                    return Ok(None);
                };
                let codes = match response_apis::api(c, &d.center)? {
                    Some(_) => Some(response_apis::locate_codes(c, &d.center)?.0),
                    None => None,
                };
                Ok(Some((d, codes)))
            })
            .await?
            .ok_or(LookupError::NotFound("workflow"))
    }

    /// What the center said beyond the ticket (Open Ticket's custom fields, response history
    /// and attachments), read from the payload as it arrived; `None` for other formats.
    pub async fn center_says(
        &self,
        id: &str,
    ) -> Result<Option<crate::formats::openticket::CenterSays>, StoreError> {
        let id = id.to_owned();
        let stored = self
            .db
            .with_read(move |c| read::ticket_payload(c, &id))
            .await?;
        Ok(stored
            .filter(|(format, _)| format == "openticket")
            .map(|(_, raw)| crate::formats::openticket::center_says(&raw)))
    }
}

impl Service {
    /// A failed workflow resumes where it stopped.
    pub async fn retry(&self, id: &str, by: String) -> Result<StepOutcome, StepError> {
        self.command(id, Command::Retry { by }).await
    }

    /// Ends an unfinished workflow (and its alert) for `reason` (a default when empty).
    pub async fn cancel(
        &self,
        id: &str,
        by: String,
        reason: Option<String>,
    ) -> Result<StepOutcome, CancelError> {
        let reason = reason
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| DEFAULT_REASON.to_owned());
        if reason.chars().count() > MAX_REASON {
            return Err(CancelError::ReasonTooLong);
        }
        Ok(self.command(id, Command::Cancel { by, reason }).await?)
    }

    /// Queues `by`'s explicit response to the workflow's center: the note, the workflow, the
    /// center's API and the code's being active are checked first. The answer is the response
    /// as queued (pending); the responder posts it.
    pub async fn respond(
        &self,
        id: &str,
        by: String,
        code: String,
        note: Option<String>,
    ) -> Result<super::views::ResponseView, RespondError> {
        if note
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_RESPONSE_NOTE)
        {
            return Err(RespondError::NoteTooLong);
        }
        let wf = self.workflow(id).await.map_err(|e| match e {
            LookupError::NotFound(_) => RespondError::NotFound,
            LookupError::Store(s) => RespondError::Store(s),
        })?;
        let center = wf.center.clone();
        let (api, (list, _)) = self
            .db
            .with_read(move |c| {
                Ok((
                    response_apis::api(c, &center)?,
                    response_apis::locate_codes(c, &center)?,
                ))
            })
            .await?;
        if api.is_none() {
            return Err(RespondError::NoResponseApi(wf.center));
        }
        if !is_active(&code, &list) {
            return Err(RespondError::InactiveCode {
                code,
                center: wf.center,
            });
        }
        let note = note.filter(|n| !n.trim().is_empty());
        self.command(id, Command::Respond { by, code, note })
            .await?;
        let key = id.to_owned();
        self.db
            .with_read(move |c| read::responses::latest(c, &key))
            .await?
            .ok_or(RespondError::Vanished)
    }
}
