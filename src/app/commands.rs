//! A person's command to a workflow (acknowledge, resolve, retry, cancel, respond), delivered
//! to its ticket actor; the runtime's refusal presented as the error policy says.

use aegis_actors::step::{Command, Step, StepError, StepOutcome};
use serde_json::json;

use super::Service;
use super::errors::{Kind, Refusal, refusal};

impl Service {
    /// Runs `command` on the workflow's actor and waits for the commit.
    pub async fn command(
        &self,
        workflow_id: &str,
        command: Command,
    ) -> Result<StepOutcome, StepError> {
        let step = Step::Command { command };
        self.runtime.dispatcher.command(workflow_id, step).await
    }
}

refusal!(StepError, self => match self {
    StepError::NotFound => Refusal::not_found("workflow"),
    StepError::InvalidTransition(e) => Refusal::conflict(
        "INVALID_TRANSITION",
        format!("not possible while the workflow is {}", e.from.as_str()),
    )
    .with_details(json!({ "state": e.from.as_str(), "reason": e.reason })),
    StepError::InvalidAlertTransition(e) => {
        Refusal::conflict("INVALID_TRANSITION", e.to_string())
            .with_details(json!({ "state": e.from }))
    }
    StepError::AlreadyAcknowledged { by } => Refusal::conflict(
        "CONFLICT",
        format!("the alert was already acknowledged by {by}"),
    )
    .with_details(json!({ "acknowledged_by": by })),
    StepError::NoResponseApi => Refusal::conflict(
        "NO_RESPONSE_API",
        "the workflow's center has no positive-response API configured",
    ),
    StepError::TestTicket => {
        Refusal::conflict("TEST_TICKET", StepError::TestTicket.to_string())
    }
    StepError::NoInvestigation => Refusal::not_found("investigation"),
    StepError::InvestigationClosed { by } => Refusal::conflict(
        "INVESTIGATION_CLOSED",
        format!("the investigation was closed by {by}"),
    )
    .with_details(json!({ "closed_by": by })),
    StepError::InvestigationChanged { from, now } => Refusal::conflict(
        "INVESTIGATION_CHANGED",
        format!("the investigation changed since version {from}: read it again (version {now})"),
    )
    .with_details(json!({ "version": now })),
    e => {
        tracing::warn!(error = %e, "command failed");
        Refusal::new(
            Kind::Unavailable,
            "UNAVAILABLE",
            "the workflow could not be updated just now; try again",
        )
        .retry_after(2)
    }
});
