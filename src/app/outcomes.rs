//! Outcomes (contract §3): whether an excavation damaged a facility — the labels the model is
//! retrained on. An operator reports one, or the center signs it as it signs its webhooks; a
//! report is recorded once (the same delivery id, or the same ticket revision and time).

use aegis_actors::ports::StoreError;
use chrono::{DateTime, Utc};

use super::errors::{Kind, Refusal, refusal};
use super::receive_ticket::{ReceiveError, Signed};
use super::{App, Service};
use crate::db::outcomes::{self, NewOutcome, OutcomeRecord, Recorded};

pub const FACILITIES: &[&str] = &[
    "gas", "electric", "telecom", "water", "sewer", "steam", "other",
];

/// The longest notes kept with an outcome.
pub const MAX_NOTES: usize = 4_000;

/// An outcome as reported.
#[derive(Debug, Clone)]
pub struct OutcomeReport {
    pub damage: bool,
    pub facility: Option<String>,
    /// When it was observed; default now.
    pub reported_at: Option<DateTime<Utc>>,
    pub notes: Option<String>,
}

/// Who reports: an operator (by audit name) or the center, with the delivery id it signed.
#[derive(Debug, Clone)]
pub struct Reporter {
    pub name: String,
    pub delivery_id: Option<String>,
}

/// A recorded outcome; `duplicate` when this report had been recorded before.
#[derive(Debug, Clone)]
pub struct OutcomeRecorded {
    pub outcome: OutcomeRecord,
    pub duplicate: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum OutcomeError {
    #[error("the signature does not match any secret of this center")]
    BadSignature,
    #[error("facility must be one of: {}", FACILITIES.join(", "))]
    UnknownFacility,
    #[error("notes are longer than {MAX_NOTES} characters")]
    NotesTooLong,
    #[error(
        "an outcome for this ticket revision and time (or with this delivery id) was already recorded with other content"
    )]
    Conflict { outcome_id: String },
    #[error("no such ticket")]
    NoTicket,
    #[error(transparent)]
    Center(#[from] ReceiveError),
    #[error("the damage was recorded but its investigation could not be opened: {0}")]
    Investigation(Box<super::investigations::InvestigationError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Service {
    /// The investigation a damage outcome opens, unless it is open already.
    async fn investigate_damage(&self, o: &OutcomeRecord) -> Result<(), OutcomeError> {
        if !o.damage {
            return Ok(());
        }
        let existing = self.workflow_investigations(&o.workflow_id).await?;
        let opened = existing.iter().any(|i| {
            i.opened_by == o.recorded_by && i.occurred_at == o.reported_at.min(self.now())
        });
        if !opened {
            self.investigate_outcome(
                &o.workflow_id,
                o.recorded_by.clone(),
                o.facility.as_deref(),
                o.reported_at,
                o.notes.clone(),
            )
            .await
            .map_err(|e| OutcomeError::Investigation(Box::new(e)))?;
        }
        Ok(())
    }
}

refusal!(OutcomeError, self => match self {
    Self::BadSignature => {
        Refusal::new(Kind::Unauthenticated, "SIGNATURE_INVALID", self.to_string())
    }
    Self::UnknownFacility => Refusal::invalid("facility", self.to_string()),
    Self::NotesTooLong => Refusal::invalid("notes", self.to_string()),
    Self::Conflict { outcome_id } => Refusal::conflict("CONFLICT", self.to_string())
        .with_details(serde_json::json!({ "outcome_id": outcome_id })),
    Self::NoTicket => Refusal::not_found("ticket"),
    Self::Center(e) => e.refusal(),
    Self::Investigation(e) => e.refusal(),
    Self::Store(e) => e.refusal(),
});

impl App {
    /// The center `code` as a reporter, when `body` carries its webhook signature.
    pub async fn center_reporter(
        &self,
        code: &str,
        signed: &Signed,
        body: &[u8],
    ) -> Result<Reporter, OutcomeError> {
        let center = self.center(code).await?;
        let native = crate::db::centers::CenterAuth {
            format: crate::db::centers::CenterFormat::Native,
            ..center
        };
        // Outcomes are signed the Standard Webhooks way, whatever the center's ticket format.
        self.verify_signed(&native, signed, body)
            .map_err(|_| OutcomeError::BadSignature)?;
        Ok(Reporter {
            name: format!("center:{code}"),
            delivery_id: signed.webhook_id.clone(),
        })
    }
}

impl Service {
    /// Records `report` for the ticket, once; a damage it reports is opened as an
    /// investigation (once, however often the report is sent again).
    pub async fn record_outcome(
        &self,
        center: &str,
        ticket_number: &str,
        report: OutcomeReport,
        by: Reporter,
    ) -> Result<OutcomeRecorded, OutcomeError> {
        if let Some(f) = &report.facility
            && !FACILITIES.contains(&f.as_str())
        {
            return Err(OutcomeError::UnknownFacility);
        }
        if report
            .notes
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NOTES)
        {
            return Err(OutcomeError::NotesTooLong);
        }
        let now = self.clock.now();
        let o = NewOutcome {
            center: center.to_owned(),
            ticket_number: ticket_number.to_owned(),
            damage: report.damage,
            facility: report.facility,
            reported_at: report.reported_at.unwrap_or(now),
            notes: report.notes,
            recorded_by: by.name,
            delivery_id: by.delivery_id,
        };
        match self
            .store
            .writer()
            .run(move |tx| outcomes::record(tx, &o, now))
            .await?
        {
            Recorded::New(outcome) => {
                self.investigate_damage(&outcome).await?;
                Ok(OutcomeRecorded {
                    outcome,
                    duplicate: false,
                })
            }
            Recorded::Duplicate(outcome) => {
                // The first report may have been recorded without its investigation (the
                // node died in between): the repeat finishes it.
                self.investigate_damage(&outcome).await?;
                Ok(OutcomeRecorded {
                    outcome,
                    duplicate: true,
                })
            }
            Recorded::Conflict(rec) => Err(OutcomeError::Conflict { outcome_id: rec.id }),
            Recorded::NoTicket => Err(OutcomeError::NoTicket),
        }
    }
}
