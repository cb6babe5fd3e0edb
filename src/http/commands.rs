//! Sending a person's command to a workflow's actor and turning the outcome into an answer.

use aegis_actors::step::{Command, Step, StepError, StepOutcome};
use serde_json::json;

use super::error::ApiError;
use super::state::AppState;

pub async fn run(
    state: &AppState,
    workflow_id: &str,
    command: Command,
) -> Result<StepOutcome, ApiError> {
    let step = Step::Command { command };
    match state.runtime.dispatcher.command(workflow_id, step).await {
        Ok(o) => Ok(o),
        Err(StepError::NotFound) => Err(ApiError::not_found("workflow")),
        Err(StepError::InvalidTransition(e)) => Err(ApiError::conflict(
            "INVALID_TRANSITION",
            format!("not possible while the workflow is {}", e.from.as_str()),
        )
        .with_details(json!({ "state": e.from.as_str(), "reason": e.reason }))),
        Err(StepError::InvalidAlertTransition(e)) => {
            Err(ApiError::conflict("INVALID_TRANSITION", e.to_string())
                .with_details(json!({ "state": e.from })))
        }
        Err(StepError::AlreadyAcknowledged { by }) => Err(ApiError::conflict(
            "CONFLICT",
            format!("the alert was already acknowledged by {by}"),
        )
        .with_details(json!({ "acknowledged_by": by }))),
        Err(StepError::NoResponseApi) => Err(ApiError::conflict(
            "NO_RESPONSE_API",
            "the workflow's center has no positive-response API configured",
        )),
        Err(e) => {
            tracing::warn!(workflow_id, error = %e, "command failed");
            Err(ApiError::unavailable(
                "the workflow could not be updated just now; try again",
                2,
            ))
        }
    }
}
