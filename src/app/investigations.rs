//! Damage investigations (contract §14): opened by an officer or operator on a ticket's
//! workflow (or by a center's outcome that reports a damage), starting from what the ticket and
//! Aegis's own record say; edited while open; closed by an operator. Every change goes through
//! the workflow's step, so the trail's event and the row are written together.

use aegis_actors::ports::StoreError;
use aegis_actors::records::InvestigationRecord;
use aegis_actors::step::{Command, InvestigationChange, StepError};
use aegis_workflows::investigation::{
    self, Draft, InvestigationState, Kind, RootCauseGroup, Screened,
};
use aegis_workflows::problem::Problem;
use aegis_workflows::screening::FacilityClass;
use chrono::{DateTime, Utc};

use super::errors::{Refusal, refusal};
use super::views::{InvestigationView, Page, Role};
use super::{App, Service, list_params};
use crate::db::investigations::{self as stored, ListFilter};
use crate::db::read::Cursor;

#[derive(Debug, thiserror::Error)]
pub enum InvestigationError {
    #[error("{} problem(s)", .0.len())]
    Invalid(Vec<Problem>),
    #[error("no such workflow")]
    NoWorkflow,
    #[error("no such investigation")]
    NotFound,
    #[error("only an operator closes an investigation")]
    NotOperator,
    #[error(transparent)]
    Step(#[from] StepError),
    #[error(transparent)]
    Param(#[from] super::list_params::InvalidParam),
    #[error(transparent)]
    Store(#[from] StoreError),
}

refusal!(InvestigationError, self => match self {
    Self::Invalid(problems) => Refusal::problems(problems),
    Self::NoWorkflow => Refusal::not_found("workflow"),
    Self::NotFound => Refusal::not_found("investigation"),
    Self::NotOperator => Refusal::new(super::errors::Kind::Forbidden, "FORBIDDEN", self.to_string()),
    Self::Step(e) => e.refusal(),
    Self::Param(e) => e.refusal(),
    Self::Store(e) => e.refusal(),
});

/// List filters as a caller gives them, unchecked.
#[derive(Debug, Clone, Default)]
pub struct InvestigationQuery {
    pub state: Option<String>,
    pub kind: Option<String>,
    pub center: Option<String>,
    pub root_cause_group: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

fn word<W: aegis_workflows::vocabulary::Words>(
    field: &str,
    v: Option<&str>,
) -> Result<Option<W>, InvestigationError> {
    v.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| aegis_workflows::vocabulary::read::<W>(field, v))
        .transpose()
        .map_err(|p| InvestigationError::Invalid(vec![p]))
}

impl App {
    /// One investigation.
    pub async fn investigation(&self, id: &str) -> Result<InvestigationView, InvestigationError> {
        let key = id.to_owned();
        let row = self
            .db
            .with_read(move |c| stored::read(c, &key))
            .await?
            .ok_or(InvestigationError::NotFound)?;
        Ok(InvestigationView::of(row)?)
    }

    /// That investigation `id` is one of workflow `workflow_id`'s (a path naming both).
    pub async fn investigation_on(
        &self,
        workflow_id: &str,
        id: &str,
    ) -> Result<(), InvestigationError> {
        let view = self.investigation(id).await?;
        if view.workflow_id == workflow_id {
            Ok(())
        } else {
            Err(InvestigationError::NotFound)
        }
    }

    /// The investigations of one workflow, oldest first.
    pub async fn workflow_investigations(
        &self,
        workflow_id: &str,
    ) -> Result<Vec<InvestigationView>, StoreError> {
        let key = workflow_id.to_owned();
        let rows = self
            .db
            .with_read(move |c| stored::of_workflow(c, &key))
            .await?;
        rows.into_iter().map(InvestigationView::of).collect()
    }

    /// A page of investigations, newest occurrence first.
    pub async fn investigations(
        &self,
        q: &InvestigationQuery,
    ) -> Result<Page<InvestigationView>, InvestigationError> {
        let limit = list_params::limit(q.limit)?;
        let after = list_params::cursor(q.cursor.as_deref())?.map(|c: Cursor| (c.at, c.id));
        let filter = ListFilter {
            state: word::<InvestigationState>("state", q.state.as_deref())?,
            kind: word::<Kind>("kind", q.kind.as_deref())?,
            center: q.center.clone().filter(|c| !c.trim().is_empty()),
            root_cause_group: word::<RootCauseGroup>(
                "root_cause_group",
                q.root_cause_group.as_deref(),
            )?,
            from: q.from.map(crate::db::time::to_db),
            until: q.until.map(crate::db::time::to_db),
            after,
            limit: i64::try_from(limit + 1).unwrap_or(i64::MAX),
        };
        let rows = self.db.with_read(move |c| stored::list(c, &filter)).await?;
        let items = rows
            .into_iter()
            .map(InvestigationView::of)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(crate::db::read::page::page(
            items,
            limit,
            |v: &InvestigationView| Cursor {
                at: crate::db::time::to_db(v.occurred_at),
                id: v.id.clone(),
            },
        ))
    }

    /// Whether Aegis's answer to the center came by the ticket's due time, from its own record:
    /// `None` when the ticket has no due time, or is not due yet and unanswered.
    async fn answered_on_time(&self, workflow_id: &str) -> Result<Option<bool>, StoreError> {
        let key = workflow_id.to_owned();
        let (due, answered) = self
            .db
            .with_read(move |c| crate::db::reports::answer_of(c, &key))
            .await?;
        Ok(match (due, answered) {
            (Some(due), Some(at)) => Some(at <= due),
            (Some(due), None) if due < self.now() => Some(false),
            _ => None,
        })
    }
}

impl Service {
    /// Opens an investigation on a workflow from `draft` (its kind required; the facility's
    /// class unless a screened facility names it) over what the ticket says.
    pub async fn open_investigation(
        &self,
        workflow_id: &str,
        by: String,
        draft: Draft,
    ) -> Result<InvestigationView, InvestigationError> {
        let detail = self
            .workflow(workflow_id)
            .await
            .map_err(|_| InvestigationError::NoWorkflow)?;
        let mut missing = Vec::new();
        let kind = word::<Kind>("kind", draft.kind.as_deref())?;
        if kind.is_none() {
            missing.push(Problem::required("kind"));
        }
        let named = draft
            .facility_class
            .as_deref()
            .is_some_and(|c| !c.trim().is_empty())
            || draft.facility_layer.is_some();
        if !named {
            missing.push(Problem::required("facility.class"));
        }
        if !missing.is_empty() {
            return Err(InvestigationError::Invalid(missing));
        }
        let now = self.now();
        let base = investigation::prefilled(
            &detail.ticket,
            kind.unwrap_or(Kind::Damage),
            now,
            FacilityClass::Other,
            self.answered_on_time(workflow_id).await?,
        );
        let screened = self.screened_facilities(workflow_id).await?;
        let findings = investigation::apply(&base, &draft, &screened, now)
            .map_err(InvestigationError::Invalid)?;
        let id = uuid::Uuid::now_v7().to_string();
        let excavator_key = detail.ticket.excavator.history_key();
        self.investigate(
            workflow_id,
            by,
            InvestigationChange::Open {
                id: id.clone(),
                findings: Box::new(findings),
                excavator_key,
            },
        )
        .await?;
        self.investigation(&id).await
    }

    /// Edits an open investigation; `version` is the one the person saw (default: the stored).
    pub async fn edit_investigation(
        &self,
        id: &str,
        by: String,
        draft: Draft,
        version: Option<u32>,
    ) -> Result<InvestigationView, InvestigationError> {
        let current = self.investigation_record(id).await?;
        let screened = self.screened_facilities(&current.workflow_id).await?;
        let findings = investigation::apply(&current.findings, &draft, &screened, self.now())
            .map_err(InvestigationError::Invalid)?;
        self.investigate(
            &current.workflow_id,
            by,
            InvestigationChange::Edit {
                id: id.to_owned(),
                findings: Box::new(findings),
                version: version.unwrap_or(current.version),
            },
        )
        .await?;
        self.investigation(id).await
    }

    /// Closes an open investigation (operators only).
    pub async fn close_investigation(
        &self,
        id: &str,
        by: String,
        role: Role,
        version: Option<u32>,
    ) -> Result<InvestigationView, InvestigationError> {
        if role != Role::Operator {
            return Err(InvestigationError::NotOperator);
        }
        let current = self.investigation_record(id).await?;
        self.investigate(
            &current.workflow_id,
            by,
            InvestigationChange::Close {
                id: id.to_owned(),
                version: version.unwrap_or(current.version),
            },
        )
        .await?;
        self.investigation(id).await
    }

    /// A damage a center's (or an operator's) outcome reports, opened as an investigation.
    pub(super) async fn investigate_outcome(
        &self,
        workflow_id: &str,
        by: String,
        facility: Option<&str>,
        occurred_at: DateTime<Utc>,
        notes: Option<String>,
    ) -> Result<InvestigationView, InvestigationError> {
        let draft = Draft {
            kind: Some(Kind::Damage.as_str().to_owned()),
            occurred_at: Some(occurred_at),
            facility_class: Some(
                investigation::class_of_outcome(facility)
                    .as_str()
                    .to_owned(),
            ),
            narrative: notes,
            ..Draft::default()
        };
        self.open_investigation(workflow_id, by, draft).await
    }

    async fn investigate(
        &self,
        workflow_id: &str,
        by: String,
        change: InvestigationChange,
    ) -> Result<(), InvestigationError> {
        self.command(workflow_id, Command::Investigate { by, change })
            .await?;
        Ok(())
    }

    async fn investigation_record(
        &self,
        id: &str,
    ) -> Result<InvestigationRecord, InvestigationError> {
        let key = id.to_owned();
        let row = self
            .db
            .with_read(move |c| stored::read(c, &key))
            .await?
            .ok_or(InvestigationError::NotFound)?;
        Ok(stored::record_of(row)?)
    }

    /// The facilities the workflow's screening found, each with its layer and class: those an
    /// investigation may name by layer and feature.
    pub async fn screened_facilities(
        &self,
        workflow_id: &str,
    ) -> Result<Vec<Screened>, StoreError> {
        let key = workflow_id.to_owned();
        let screening = self
            .db
            .with_read(move |c| crate::db::read::workflows::screening_of(c, &key))
            .await?;
        Ok(screening
            .map(|s| {
                s.layers
                    .iter()
                    .flat_map(|l| {
                        l.facilities.iter().map(|f| Screened {
                            layer: l.name.clone(),
                            feature_id: f.id.clone(),
                            class: l.class,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
}
