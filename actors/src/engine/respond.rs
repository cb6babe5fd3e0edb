//! Positive responses in the step engine: a person's resolution with a disposition the
//! center's codes map, or an operator's explicit code, plans a response row in the same
//! commit as its audit event; each posting attempt's outcome is recorded and settles the row.
//! Nothing here runs for a score alone (auto-resolution is not a resolution by a person).

use aegis_workflows::lifecycle::{Disposition, Event};
use aegis_workflows::notification::{AfterAttempt, short_error};
use chrono::{DateTime, Utc};
use rand::Rng as _;

use super::plan::{Decision, Plan};
use crate::deps::Deps;
use crate::records::{
    DeliveryState, Principal, ResponseRecord, ResponseSetup, ResponseUpdate, SYSTEM,
    WorkflowSnapshot,
};
use crate::step::{RespondAttempt, StepError};

/// Adds a response to `plan` when the center answers through an API and maps `disposition`.
pub(crate) async fn for_resolution(
    deps: &Deps,
    snap: &WorkflowSnapshot,
    plan: &mut Plan,
    by: &Principal,
    disposition: Disposition,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StepError> {
    // The center asked for no answer to a test ticket (Open Ticket's `isTest`).
    if snap.ticket.is_test {
        return Ok(());
    }
    let Some(setup) = deps.store.response_setup(&snap.center).await? else {
        return Ok(());
    };
    let Some(code) = setup.codes.get(&disposition).cloned() else {
        return Ok(());
    };
    push(snap, plan, &setup, by, code, note, now);
    Ok(())
}

/// Adds an operator's explicit response to `plan`.
pub(crate) async fn explicit(
    deps: &Deps,
    snap: &WorkflowSnapshot,
    plan: &mut Plan,
    by: &Principal,
    code: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StepError> {
    if snap.ticket.is_test {
        return Err(StepError::TestTicket);
    }
    let setup = deps
        .store
        .response_setup(&snap.center)
        .await?
        .ok_or(StepError::NoResponseApi)?;
    push(snap, plan, &setup, by, code.to_owned(), note, now);
    Ok(())
}

fn push(
    snap: &WorkflowSnapshot,
    plan: &mut Plan,
    setup: &ResponseSetup,
    by: &Principal,
    code: String,
    note: Option<&str>,
    now: DateTime<Utc>,
) {
    let id = uuid::Uuid::now_v7().to_string();
    plan.events.push((
        Event::ResponseRequested {
            response: id.clone(),
            code: code.clone(),
            station: setup.station.clone(),
            by: by.clone(),
        },
        by.clone(),
    ));
    plan.responses.push(ResponseRecord {
        id,
        workflow_id: snap.id.clone(),
        center: snap.center.clone(),
        ticket_number: snap.ticket_number.clone(),
        station: setup.station.clone(),
        code,
        note: note.map(str::to_owned),
        account: account_name(by),
        created_at: now,
    });
}

/// The person's name without its role (`officer:dana` → `dana`): the center knows people, not
/// Aegis's roles.
fn account_name(by: &str) -> String {
    by.split_once(':').map_or(by, |(_, name)| name).to_owned()
}

/// Records one finished attempt: the audit event, and the row posted, rejected or due again.
pub(crate) fn on_responded(deps: &Deps, a: &RespondAttempt, now: DateTime<Utc>) -> Decision {
    let jitter = rand::rng().random::<f64>();
    let after = deps
        .config
        .delivery
        .after(a.attempt, &a.result, now, jitter);
    let (event, state, error) = match after {
        AfterAttempt::Sent => (
            Event::ResponsePosted {
                response: a.response.clone(),
                code: a.code.clone(),
                station: a.station.clone(),
                attempt: a.attempt,
            },
            DeliveryState::Sent,
            None,
        ),
        AfterAttempt::Retry { at, error } => {
            let error = short_error(&error);
            (
                Event::ResponseFailed {
                    response: a.response.clone(),
                    code: a.code.clone(),
                    attempt: a.attempt,
                    error: error.clone(),
                    retry_at: at,
                },
                DeliveryState::Pending { next_at: at },
                Some(error),
            )
        }
        AfterAttempt::GaveUp { error } => {
            let error = short_error(&error);
            (
                Event::ResponseRejected {
                    response: a.response.clone(),
                    code: a.code.clone(),
                    attempt: a.attempt,
                    error: error.clone(),
                },
                DeliveryState::Failed,
                Some(error),
            )
        }
    };
    let plan = Plan {
        events: vec![(event, SYSTEM.to_owned())],
        response_update: Some(ResponseUpdate {
            id: a.response.clone(),
            attempts: a.attempt,
            state,
            error,
        }),
        ..Plan::default()
    };
    Decision::Commit(Box::new(plan))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_center_is_given_the_persons_name() {
        assert_eq!(super::account_name("officer:dana"), "dana");
        assert_eq!(super::account_name("dana"), "dana");
    }
}
