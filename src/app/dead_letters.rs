//! Operators' use cases on dead letters: the list, redriving one (a failed step's workflow is
//! retried; an unidentifiable payload is read again and admitted; a conflicting revision
//! becomes the next revision of its ticket) and dismissing one with a reason.

use aegis_actors::ports::StoreError;
use aegis_actors::step::StepError;

use super::errors::{Refusal, refusal};
use super::list_params;
use super::receive_ticket::{Delivery, Format, ReceiveError, Received, Signed};
use super::views::{DeadLetterView, Page};
use super::workflows::ListError;
use super::{App, Service};
use crate::db::read;
use crate::db::rows::DeadLetterRow;
use aegis_actors::records::DeadLetterKind;

/// The kinds of dead letter there are, by name.
pub fn kind_names() -> Vec<&'static str> {
    DeadLetterKind::ALL.map(DeadLetterKind::as_str).to_vec()
}

/// The longest dismissal reason kept.
pub const MAX_REASON: usize = 4_000;

/// The list filters as a caller gives them, unchecked.
#[derive(Debug, Clone, Default)]
pub struct DeadLetterQuery {
    pub kind: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Redriven {
    pub dead_letter_id: String,
    pub workflow_id: String,
    pub state: String,
}

#[derive(Debug, Clone)]
pub struct Dismissed {
    pub dead_letter_id: String,
    pub dismissed_by: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RedriveError {
    #[error("no such dead letter")]
    NotFound,
    #[error("this dead letter was already redriven")]
    AlreadyRedriven,
    #[error("this dead letter was dismissed")]
    Dismissed,
    #[error("a summary is not redriven: ask the center to send it again, then dismiss this")]
    Summary,
    #[error("a failed step without a workflow")]
    NoWorkflow,
    #[error("the dead letter names no center")]
    NoCenter,
    #[error("the payload is still not an identifiable ticket: {0}")]
    StillUnidentifiable(String),
    #[error("the ticket in this dead letter conflicts with a stored revision")]
    Conflicts { workflow_id: String },
    #[error(transparent)]
    Receive(#[from] ReceiveError),
    #[error(transparent)]
    Step(#[from] StepError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

refusal!(RedriveError, self => match self {
    Self::NotFound => Refusal::not_found("dead letter"),
    Self::AlreadyRedriven | Self::Dismissed | Self::Summary => {
        Refusal::conflict("CONFLICT", self.to_string())
    }
    Self::NoWorkflow => Refusal::internal(self),
    // The request is fine; the letter's content is what stands in the way.
    Self::NoCenter => Refusal::conflict("CONFLICT", self.to_string())
        .with_details(serde_json::json!({ "field": "center" })),
    Self::StillUnidentifiable(_) => Refusal::conflict("CONFLICT", self.to_string())
        .with_details(serde_json::json!({ "field": "payload" })),
    Self::Conflicts { workflow_id } => {
        Refusal::conflict("TICKET_REVISION_CONFLICT", self.to_string())
            .with_details(serde_json::json!({ "workflow_id": workflow_id }))
    }
    Self::Receive(e) => e.refusal(),
    Self::Step(e) => e.refusal(),
    Self::Store(e) => e.refusal(),
});

#[derive(Debug, thiserror::Error)]
pub enum DismissError {
    #[error("reason is longer than {MAX_REASON} characters")]
    ReasonTooLong,
    #[error("no such dead letter")]
    NotFound,
    #[error("this dead letter was already redriven or dismissed")]
    AlreadyHandled,
    #[error("this dead letter was redriven or dismissed meanwhile")]
    HandledMeanwhile,
    #[error(transparent)]
    Store(#[from] StoreError),
}

refusal!(DismissError, self => match self {
    Self::ReasonTooLong => Refusal::invalid("reason", self.to_string()),
    Self::NotFound => Refusal::not_found("dead letter"),
    Self::AlreadyHandled | Self::HandledMeanwhile => {
        Refusal::conflict("CONFLICT", self.to_string())
    }
    Self::Store(e) => e.refusal(),
});

impl App {
    /// A page of dead letters, newest first.
    pub async fn list_dead_letters(
        &self,
        query: &DeadLetterQuery,
    ) -> Result<Page<DeadLetterView>, ListError> {
        let kind = list_params::one_of("kind", query.kind.as_deref(), &kind_names())?;
        let cursor = list_params::cursor(query.cursor.as_deref())?;
        let limit = list_params::limit(query.limit)?;
        Ok(self
            .db
            .with_read(move |c| read::list_dead_letters(c, kind.as_deref(), cursor.as_ref(), limit))
            .await?)
    }

    /// One dead letter as listed.
    pub async fn dead_letter_view(&self, id: &str) -> Result<DeadLetterView, DismissError> {
        let row = self.dead_letter(id).await?.ok_or(DismissError::NotFound)?;
        Ok(read::dead_letter_view(row)?)
    }

    async fn dead_letter(&self, id: &str) -> Result<Option<DeadLetterRow>, StoreError> {
        let key = id.to_owned();
        self.db.with_read(move |c| read::dead_letter(c, &key)).await
    }
}

impl Service {
    /// Redrives one dead letter for `by`.
    pub async fn redrive(&self, id: &str, by: String) -> Result<Redriven, RedriveError> {
        let dead = self.dead_letter(id).await?.ok_or(RedriveError::NotFound)?;
        if dead.redriven_at.is_some() {
            return Err(RedriveError::AlreadyRedriven);
        }
        if dead.dismissed_at.is_some() {
            return Err(RedriveError::Dismissed);
        }
        if dead.kind == DeadLetterKind::UnreadableSummary.as_str() {
            return Err(RedriveError::Summary);
        }
        let (workflow_id, state) = if dead.kind == DeadLetterKind::StepFailed.as_str() {
            let wf = dead.workflow_id.clone().ok_or(RedriveError::NoWorkflow)?;
            let o = self.retry(&wf, by.clone()).await?;
            (wf, o.state.as_str().to_owned())
        } else {
            self.readmit(&dead).await?
        };
        let now = self.clock.now();
        let (dl, who) = (id.to_owned(), by);
        let marked = self
            .store
            .writer()
            .run(move |tx| crate::db::write::failures::mark_redriven(tx, &dl, &who, now))
            .await?;
        if !marked {
            // Two operators redrove at once; admission is idempotent, so both answers hold.
            tracing::info!(dead_letter = %id, "dead letter was redriven by someone else meanwhile");
        }
        Ok(Redriven {
            dead_letter_id: id.to_owned(),
            workflow_id,
            state,
        })
    }

    /// Reads a kept payload again and admits it (a parser fix, say, makes it a ticket now).
    async fn readmit(&self, dead: &DeadLetterRow) -> Result<(String, String), RedriveError> {
        let format = Format::parse_name(dead.format.as_deref());
        let code = dead.center.clone().ok_or(RedriveError::NoCenter)?;
        let tz = self
            .settings
            .centers
            .tz_of(&code)
            .map_err(|e| RedriveError::StillUnidentifiable(e.to_string()))?;
        let mut parsed = format
            .parse(&dead.payload, tz)
            .map_err(|e| RedriveError::StillUnidentifiable(e.to_string()))?;
        if dead.kind == DeadLetterKind::RevisionConflict.as_str() {
            // The changed ticket becomes the next revision of its ticket, which supersedes the
            // one it conflicted with once validated: the member works on what the center sent
            // last.
            let (c, n) = (code.clone(), parsed.ticket.ticket_number.clone());
            let latest = self
                .db
                .with_read(move |conn| read::latest_revision(conn, &c, &n))
                .await?;
            parsed.ticket.revision = latest.map_or(0, |r| r.saturating_add(1));
        }
        let center = self.center(&code).await?;
        let delivery = Delivery {
            format,
            body: bytes::Bytes::from(dead.payload.clone()),
            content_type: dead
                .content_type
                .clone()
                .unwrap_or_else(|| "application/json".into()),
            signed: Signed::default(),
        };
        let received = self
            .admit_parsed(
                &center,
                format,
                parsed,
                &format!("redrive:{}", dead.id),
                &delivery,
                super::receive_ticket::OnConflict::Keep,
            )
            .await?;
        match received.outcome {
            Received::Accepted { workflow_id } => Ok((workflow_id, "received".to_owned())),
            Received::Duplicate { workflow_id, state } => {
                Ok((workflow_id, state.as_str().to_owned()))
            }
            Received::Conflict { workflow_id, .. } => Err(RedriveError::Conflicts { workflow_id }),
        }
    }
}

impl App {
    /// An operator decides a dead letter is not to be redriven: it is kept, with who and why,
    /// and no longer counts as waiting.
    pub async fn dismiss(
        &self,
        id: &str,
        by: String,
        reason: Option<String>,
    ) -> Result<Dismissed, DismissError> {
        let reason = reason
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "dismissed by an operator".to_owned());
        if reason.chars().count() > MAX_REASON {
            return Err(DismissError::ReasonTooLong);
        }
        let dead = self.dead_letter(id).await?.ok_or(DismissError::NotFound)?;
        if dead.redriven_at.is_some() || dead.dismissed_at.is_some() {
            return Err(DismissError::AlreadyHandled);
        }
        let now = self.clock.now();
        let (dl, who, why) = (id.to_owned(), by.clone(), reason.clone());
        let marked = self
            .store
            .writer()
            .run(move |tx| crate::db::write::failures::mark_dismissed(tx, &dl, &who, &why, now))
            .await?;
        if !marked {
            return Err(DismissError::HandledMeanwhile);
        }
        tracing::info!(dead_letter = %id, kind = %dead.kind, by = %by, "dead letter dismissed");
        Ok(Dismissed {
            dead_letter_id: id.to_owned(),
            dismissed_by: by,
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::UseCaseError as _;

    #[test]
    fn a_letter_that_cannot_be_redriven_says_why() {
        let e = RedriveError::StillUnidentifiable("no ticket number".into());
        let r = e.refusal();
        assert_eq!(r.kind, super::super::Kind::Conflict);
        assert_eq!(r.details, Some(serde_json::json!({ "field": "payload" })));
        let missing = RedriveError::NoCenter.refusal();
        assert_eq!(missing.kind, super::super::Kind::Conflict);
        assert!(missing.message.contains("no center"), "{}", missing.message);
    }
}
