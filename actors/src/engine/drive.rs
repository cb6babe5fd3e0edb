//! The lifecycle driver: a workflow moves by itself from `received` as far as its rules allow,
//! in one commit — validated (or rejected, superseded, cancelled by its own revision), screened
//! and scored, then cleared, resolved by the band or alerted. One method per state it leaves.

use aegis_workflows::alert::{self, AlertDecision};
use aegis_workflows::features::{self, ExcavatorHistory};
use aegis_workflows::lifecycle::{Disposition, Event, State};
use aegis_workflows::risk::Band;
use aegis_workflows::screening::{Category, Screening};
use aegis_workflows::ticket::TicketType;
use aegis_workflows::{revision, validation};
use chrono::{DateTime, Utc};

use super::plan::{Decision, Plan};
use super::timers::{due_timers, escalation_timer, urgent};
use crate::deps::Deps;
use crate::ports::StoreError;
use crate::records::{
    Alert, SYSTEM, ScoreRecord, TimerChange, TimerKind, TimerRecord, WorkflowSnapshot,
};
use crate::step::StepError;

/// Who clears a ticket screened `clear` (contract §10).
pub(crate) const SCREENING: &str = "system:screening";

/// One drive's working state as the workflow passes its states.
struct Drive<'a> {
    deps: &'a Deps,
    snap: &'a WorkflowSnapshot,
    now: DateTime<Utc>,
    plan: Plan,
    state: State,
    /// The excavator's history, once read (validation reads it with the siblings).
    history: Option<Option<ExcavatorHistory>>,
    band: Option<Band>,
    probability: Option<f64>,
    /// Only a screening recorded in this same run may clear the ticket (one resumed after a
    /// failure goes to the band's rule instead).
    screened: Option<Category>,
}

/// Validate → screen and score → clear or alert, as far as the workflow's state allows.
pub(crate) async fn drive(
    deps: &Deps,
    snap: &WorkflowSnapshot,
    now: DateTime<Utc>,
) -> Result<Decision, StepError> {
    let mut d = Drive {
        deps,
        snap,
        now,
        plan: Plan::default(),
        state: snap.workflow.state,
        history: None,
        band: snap.workflow.band,
        probability: None,
        screened: None,
    };
    if d.state == State::Received && d.validate().await?.is_break() {
        return Ok(d.commit());
    }
    if d.state == State::Validated {
        d.screen_and_score().await?;
    }
    if d.state == State::Scored {
        d.clear_or_alert().await?;
    }
    Ok(d.commit())
}

impl Drive<'_> {
    fn push(&mut self, event: Event) {
        self.plan.events.push((event, SYSTEM.to_owned()));
    }

    fn commit(self) -> Decision {
        if self.plan.events.is_empty() {
            Decision::Nothing
        } else {
            Decision::Commit(Box::new(self.plan))
        }
    }

    /// `received` → `validated`, or the end: rejected (every problem in the trail, in the
    /// ticket's order, so the operator answering the center sees it whole), superseded by a
    /// later revision, or a cancel notice that cancels itself.
    async fn validate(&mut self) -> Result<std::ops::ControlFlow<()>, StepError> {
        let found = validation::validate(&self.snap.ticket);
        if found.rejects() {
            let problems = validation::problems(&self.snap.ticket);
            self.push(Event::Rejected { problems });
            return Ok(std::ops::ControlFlow::Break(()));
        }
        self.push(Event::Validated {
            warnings: found.warnings,
        });
        let ctx = self.drive_context().await?;
        self.history = Some(ctx.history);
        let kind = self.snap.ticket.kind.unwrap_or(TicketType::Normal);
        let rev = revision::plan_after_validation(kind, self.snap.revision, &ctx.siblings);
        self.end_other_revisions(&rev.supersede, &rev.cancel);
        if let Some((by_workflow, by_revision)) = rev.superseded_by {
            self.push(Event::Superseded {
                by_workflow,
                by_revision,
            });
            return Ok(std::ops::ControlFlow::Break(()));
        }
        if rev.cancel_self {
            let reason = format!("this revision ({}) is a cancel notice", self.snap.revision);
            self.push(Event::Cancelled { reason });
            return Ok(std::ops::ControlFlow::Break(()));
        }
        self.state = State::Validated;
        Ok(std::ops::ControlFlow::Continue(()))
    }

    async fn drive_context(&self) -> Result<crate::records::DriveContext, StoreError> {
        let s = self.snap;
        self.deps
            .store
            .drive_context(
                &s.center,
                &s.ticket_number,
                &s.id,
                s.excavator_key.as_deref(),
            )
            .await
    }

    /// Timers that end the earlier revisions this one supersedes or cancels, due now.
    fn end_other_revisions(&mut self, supersede: &[String], cancel: &[String]) {
        let snap = self.snap;
        let timer = |workflow_id: &String, kind: TimerKind| {
            TimerChange::Add(TimerRecord {
                id: uuid::Uuid::now_v7().to_string(),
                workflow_id: workflow_id.clone(),
                due_at: self.now,
                kind,
            })
        };
        for target in supersede {
            let kind = TimerKind::Supersede {
                by_workflow: snap.id.clone(),
                by_revision: snap.revision,
            };
            self.plan.timers.push(timer(target, kind));
        }
        for target in cancel {
            let reason = format!(
                "cancel notice in revision {} of ticket {}",
                snap.revision, snap.ticket_number
            );
            let kind = TimerKind::Cancel { reason };
            self.plan.timers.push(timer(target, kind));
        }
    }

    /// `validated` → `scored`: what is buried there, recorded before the risk is judged, then
    /// the model's probability and band on the ticket's features.
    async fn screen_and_score(&mut self) -> Result<(), StepError> {
        let screening = self.deps.screener.screen(&self.snap.ticket);
        self.push(Event::Screened {
            category: screening.category,
            unknown: screening.unknown,
            layers: screening.summary(),
        });
        self.screened = Some(screening.category);
        let history = self.history_for_features().await?;
        let fv = features::extract_screened(&self.snap.ticket, history, &screening);
        self.plan.screening = Some(screening);
        let scoring = self
            .deps
            .scorer
            .score(crate::ports::ScoreInput {
                ticket_number: self.snap.ticket_number.clone(),
                features: fv.clone(),
            })
            .await?;
        let band = self.deps.config.thresholds.band(scoring.probability);
        self.push(Event::Scored {
            probability: scoring.probability,
            band,
            model_version: scoring.model_version.clone(),
        });
        self.plan.score = Some(ScoreRecord {
            probability: scoring.probability,
            band,
            model_version: scoring.model_version,
            feature_schema: scoring.feature_schema,
            top_features: scoring.top_features,
            features: fv.0.to_vec(),
            scored_at: self.now,
        });
        self.band = Some(band);
        self.probability = Some(scoring.probability);
        self.state = State::Scored;
        Ok(())
    }

    /// The excavator's prior tickets and damages, this ticket left out: the counters already
    /// include it when it is a first revision.
    async fn history_for_features(&self) -> Result<Option<ExcavatorHistory>, StoreError> {
        let counts = match self.history {
            Some(h) => h,
            None => self.drive_context().await?.history,
        };
        let own = u32::from(self.snap.revision == 0);
        Ok(counts.map(|c| ExcavatorHistory {
            prior_tickets: c.prior_tickets.saturating_sub(own),
            prior_damages: c.prior_damages,
        }))
    }

    /// `scored` → cleared by screening (the center's policy), resolved by the band, or alerted.
    async fn clear_or_alert(&mut self) -> Result<(), StepError> {
        let Some(band) = self.band else {
            return Err(StepError::Store(StoreError::Corrupt(
                "a scored workflow has no band".into(),
            )));
        };
        if self.clears() {
            return self.clear().await;
        }
        let facts = alert::AlertFacts {
            probability: self.probability,
            kind: self.snap.ticket.kind,
            screening: self.screened,
            is_test: self.snap.ticket.is_test,
        };
        match alert::decide(band, facts, self.deps.config.thresholds) {
            AlertDecision::Raise { rule } => self.raise(rule),
            AlertDecision::Clear { reason } => self.push(Event::AutoResolved { reason }),
        }
        Ok(())
    }

    /// Whether the center clears this ticket without a person: screened `clear` in this run, a
    /// type its policy lists, and not a test ticket (clearing posts a response).
    fn clears(&self) -> bool {
        let snap = self.snap;
        self.screened
            .filter(|_| !snap.ticket.is_test)
            .is_some_and(|category| {
                self.deps
                    .screener
                    .auto_clear(&snap.center)
                    .clears(category, snap.ticket.kind)
            })
    }

    async fn clear(&mut self) -> Result<(), StepError> {
        let layers = self
            .plan
            .screening
            .as_ref()
            .map(Screening::versions)
            .unwrap_or_default();
        self.plan.events.push((
            Event::Cleared {
                disposition: Disposition::NoConflict,
                layers,
            },
            SCREENING.to_owned(),
        ));
        super::respond::for_resolution(
            self.deps,
            self.snap,
            &mut self.plan,
            &SCREENING.to_owned(),
            Disposition::NoConflict,
            Some("no facility of ours within the screening distance"),
            self.now,
        )
        .await
    }

    /// Raises the alert at its first tier, with its escalation and due-time timers.
    fn raise(&mut self, rule: Option<String>) {
        let (snap, now) = (self.snap, self.now);
        let step = self.deps.config.escalation.raise(urgent(snap), now);
        let raised = Alert::raise(
            uuid::Uuid::now_v7().to_string(),
            snap.id.clone(),
            &step,
            now,
        );
        self.plan.timers.push(TimerChange::Add(escalation_timer(
            &snap.id,
            step.tier,
            step.deadline,
        )));
        self.push(Event::AlertRaised {
            tier: step.tier,
            ack_deadline: step.deadline,
            recipients: step.recipients,
            rule,
        });
        self.plan.alert = Some(raised);
        let due = due_timers(self.deps, snap, now);
        self.plan.timers.extend(due);
    }
}
