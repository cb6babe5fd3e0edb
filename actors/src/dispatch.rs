//! Delivering a step to a ticket actor, with supervision: a step that fails (an error, a panic,
//! a lost actor) gets its actor replaced and is retried with backoff; once the retry policy is
//! used up the workflow ends `failed` and the step becomes a dead letter. Failures are counted
//! in the store, so a crash loop does not reset the count.

use std::sync::Arc;

use actix::Addr;
use rand::Rng;

use crate::deps::Deps;
use crate::directory::{Deliver, Directory};
use crate::step::{Step, StepError, StepOutcome};

/// Commands from people are retried this many times, quickly, and then the person gets an error:
/// an officer waits on the answer, and a database hiccup must not fail their workflow.
const COMMAND_ATTEMPTS: u32 = 3;

#[derive(Clone)]
pub struct Dispatcher {
    directory: Addr<Directory>,
    deps: Arc<Deps>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher").finish_non_exhaustive()
    }
}

impl Dispatcher {
    pub fn new(directory: Addr<Directory>, deps: Arc<Deps>) -> Self {
        Self { directory, deps }
    }

    /// Runs one step once on the workflow's actor.
    async fn attempt(&self, workflow_id: &str, step: &Step) -> Result<StepOutcome, StepError> {
        let deliver = Deliver {
            workflow_id: workflow_id.to_owned(),
            step: step.clone(),
        };
        self.directory
            .send(deliver)
            .await
            .map_err(|e| StepError::ActorLost(e.to_string()))?
    }

    /// Runs a step that the runtime owns (drive, timer): retried until it succeeds or the
    /// workflow is failed and dead-lettered. Returns an error only when even that could not be
    /// recorded (the store is down); the caller then leaves the message for redelivery.
    pub async fn run(&self, workflow_id: &str, step: Step) -> Result<StepOutcome, StepError> {
        let mut step = step;
        loop {
            let err = match self.attempt(workflow_id, &step).await {
                Ok(o) => return Ok(o),
                Err(e) if !e.retryable() => return Err(e),
                Err(e) => e,
            };
            if matches!(step, Step::Fail { .. }) {
                return Err(err);
            }
            let message = err.to_string();
            tracing::warn!(workflow_id, step = step.name(), error = %message, "step failed");
            let failures = self
                .deps
                .store
                .record_failure(workflow_id, &message)
                .await?;
            if self.deps.config.retry.exhausted(failures) {
                tracing::error!(workflow_id, failures, error = %message, "retries exhausted; failing the workflow");
                step = Step::Fail {
                    error: message,
                    attempts: failures,
                    failed_step: Box::new(step),
                };
                continue;
            }
            let jitter = rand::rng().random::<f64>();
            tokio::time::sleep(self.deps.config.retry.backoff(failures, jitter)).await;
        }
    }

    /// Runs a person's command, retrying faults briefly; faults are answered, not recorded.
    pub async fn command(&self, workflow_id: &str, step: Step) -> Result<StepOutcome, StepError> {
        let mut last = StepError::Overloaded;
        for attempt in 1..=COMMAND_ATTEMPTS {
            match self.attempt(workflow_id, &step).await {
                Ok(o) => return Ok(o),
                Err(e) if !e.retryable() => return Err(e),
                Err(e) => last = e,
            }
            let jitter = rand::rng().random::<f64>();
            tokio::time::sleep(self.deps.config.retry.backoff(attempt, jitter)).await;
        }
        Err(last)
    }
}
