//! Damage investigations on a workflow's trail (contract §14): opening one, editing it from the
//! version the person saw, closing it. The row is read here, inside the workflow's step, so a
//! change and its audit event are decided and written together and never race another step.

use aegis_workflows::investigation::{self, InvestigationState};
use aegis_workflows::lifecycle::Event;
use chrono::{DateTime, Utc};

use super::plan::{Decision, Plan};
use crate::deps::Deps;
use crate::records::{InvestigationRecord, WorkflowSnapshot};
use crate::step::{InvestigationChange, StepError};

pub(crate) async fn investigate(
    deps: &Deps,
    snap: &WorkflowSnapshot,
    by: &str,
    change: &InvestigationChange,
    now: DateTime<Utc>,
) -> Result<Decision, StepError> {
    let (event, record) = match change {
        InvestigationChange::Open {
            id,
            findings,
            excavator_key,
        } => {
            if deps.store.investigation(id).await?.is_some() {
                // The same request again (a retried step): it is already open.
                return Ok(Decision::Nothing);
            }
            opened(snap, id, findings, excavator_key.as_ref(), by, now)
        }
        InvestigationChange::Edit {
            id,
            findings,
            version,
        } => {
            let current = open_at(deps, snap, id, *version).await?;
            let changes = investigation::changes(&current.findings, findings);
            if changes.is_empty() {
                return Ok(Decision::Nothing);
            }
            let record = InvestigationRecord {
                findings: (**findings).clone(),
                updated_at: now,
                version: current.version + 1,
                ..current
            };
            let event = Event::InvestigationChanged {
                investigation: id.clone(),
                changes,
            };
            (event, record)
        }
        InvestigationChange::Close { id, version } => {
            let current = open_at(deps, snap, id, *version).await?;
            let record = InvestigationRecord {
                state: InvestigationState::Closed,
                closed_by: Some(by.to_owned()),
                closed_at: Some(now),
                updated_at: now,
                version: current.version + 1,
                ..current
            };
            let event = Event::InvestigationClosed {
                investigation: id.clone(),
            };
            (event, record)
        }
    };
    snap.workflow.apply(&event)?;
    Ok(Decision::Commit(Box::new(Plan {
        events: vec![(event, by.to_owned())],
        investigation: Some(record),
        ..Plan::default()
    })))
}

/// The investigation `id` of this workflow, open and still at `version`.
async fn open_at(
    deps: &Deps,
    snap: &WorkflowSnapshot,
    id: &str,
    version: u32,
) -> Result<InvestigationRecord, StepError> {
    let current = deps
        .store
        .investigation(id)
        .await?
        .filter(|i| i.workflow_id == snap.id)
        .ok_or(StepError::NoInvestigation)?;
    if current.state == InvestigationState::Closed {
        return Err(StepError::InvestigationClosed {
            by: current.closed_by.unwrap_or_default(),
        });
    }
    if current.version != version {
        return Err(StepError::InvestigationChanged {
            from: version,
            now: current.version,
        });
    }
    Ok(current)
}

/// A new investigation's record and the event that opens it.
fn opened(
    snap: &WorkflowSnapshot,
    id: &str,
    findings: &investigation::Findings,
    excavator_key: Option<&String>,
    by: &str,
    now: DateTime<Utc>,
) -> (Event, InvestigationRecord) {
    let record = InvestigationRecord {
        id: id.to_owned(),
        workflow_id: snap.id.clone(),
        state: InvestigationState::Open,
        findings: findings.clone(),
        excavator_key: excavator_key.cloned(),
        opened_by: by.to_owned(),
        opened_at: now,
        updated_at: now,
        closed_by: None,
        closed_at: None,
        version: 1,
    };
    let event = Event::InvestigationOpened {
        investigation: id.to_owned(),
        findings: Box::new(findings.clone()),
    };
    (event, record)
}
