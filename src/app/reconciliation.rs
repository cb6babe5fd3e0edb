//! A center's daily summary (contract §9): read in its format, reconciled against what was
//! received, kept, and — when it lists tickets that never arrived — announced to the operators
//! in the same transaction (the domain decides who hears: `daily_summary::audience`). Also the
//! lists operators read: reconciliations, and the OneCall sequence numbers a center skipped.

use aegis_actors::ports::StoreError;
use aegis_actors::records::{DeadLetterKind, DeadLetterRecord, DeliveryRecord, Subject};
use aegis_workflows::Problem;
use aegis_workflows::daily_summary;
use aegis_workflows::notification::Audience;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use super::errors::{Refusal, refusal};
use super::receive_ticket::{ReceiveError, Signed, content_id};
use super::{App, Service};
use crate::db::centers::CenterAuth;
use crate::db::reconciliations::{self, ReconciliationView};
use crate::db::sequence_gaps::{self, GapView};
use crate::formats::signature::SignatureError;
use crate::telemetry::names;

#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// Not a summary: kept as an `unreadable_summary` dead letter.
    #[error("{} problem(s)", .0.len())]
    Unreadable(Vec<Problem>),
    #[error("the summary's day cannot be placed in time")]
    Unplaceable,
    #[error("centers.timezone: {0}")]
    Config(String),
    #[error("the reconciliation just kept is gone")]
    Vanished,
    #[error(transparent)]
    Store(#[from] StoreError),
}

refusal!(SummaryError, self => match self {
    Self::Signature(e) => ReceiveError::Signature(e.clone()).refusal(),
    Self::Unreadable(problems) => Refusal::problems(problems),
    Self::Unplaceable => Refusal::invalid("date", self.to_string()),
    Self::Config(_) | Self::Vanished => Refusal::internal(self),
    Self::Store(e) => e.refusal(),
});

/// The reconciliation filters as a caller gives them, unchecked.
#[derive(Debug, Clone, Default)]
pub struct ReconciliationQuery {
    pub center: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReconciliationListError {
    #[error("date must be YYYY-MM-DD")]
    BadDate,
    #[error(transparent)]
    Store(#[from] StoreError),
}

refusal!(ReconciliationListError, self => match self {
    Self::BadDate => Refusal::invalid("date", self.to_string()),
    Self::Store(e) => e.refusal(),
});

/// What the operators' "missing" page shows: the gaps and the latest reconciliations.
#[derive(Debug)]
pub struct Missing {
    pub gaps: Vec<GapView>,
    pub reconciliations: Vec<ReconciliationView>,
}

impl Service {
    /// Reconciles one summary `center` sent (signed as its webhooks are) and keeps it.
    pub async fn reconcile_summary(
        &self,
        center: &CenterAuth,
        content_type: &str,
        body: &[u8],
        signed: &Signed,
    ) -> Result<ReconciliationView, SummaryError> {
        self.verify_signed(center, signed, body)?;
        let summary = match crate::formats::summary::parse(content_type, body) {
            Ok(s) => s,
            Err(problems) => {
                self.keep_unreadable(&center.code, body, content_type, &problems)
                    .await?;
                return Err(SummaryError::Unreadable(problems));
            }
        };
        let (from, until) = self.day_of(summary.date)?;
        let numbers: Vec<String> = summary
            .tickets
            .iter()
            .map(|t| t.ticket_number.clone())
            .collect();
        let code = center.code.clone();
        let key = code.clone();
        let (any, day) = self
            .db
            .with_read(move |c| reconciliations::received(c, &key, &numbers, from, until))
            .await?;
        let result = daily_summary::reconcile(&summary, &any, &day);
        let id = uuid::Uuid::now_v7().to_string();
        let now = self.clock.now();
        let day_text = summary.date.format("%Y-%m-%d").to_string();
        // Who hears is the domain's rule; the deliveries are written with the reconciliation,
        // so neither is kept without the other.
        let notices = match daily_summary::audience(&result) {
            Some(Audience::Rosters(rosters)) => self.missing_notices(&id, &rosters, now).await?,
            _ => Vec::new(),
        };
        let kept = (
            id.clone(),
            code.clone(),
            summary.station.clone(),
            day_text.clone(),
            result.clone(),
        );
        self.keep_reconciliation(kept, &notices, now).await?;
        if !notices.is_empty() {
            self.runtime.wake_deliverer();
        }
        if !result.missing.is_empty() {
            // AegisTicketsMissing follows from the gauge; the log names them.
            tracing::error!(
                center = %code,
                station = %summary.station,
                date = %day_text,
                missing = ?result.missing,
                operators_told = notices.len(),
                "the center's daily summary lists tickets that never arrived"
            );
        }
        let key = code.clone();
        self.db
            .with_read(move |c| {
                Ok(reconciliations::list(c, Some(&key), Some(&day_text), 50)?
                    .into_iter()
                    .find(|v| v.id == id))
            })
            .await?
            .ok_or(SummaryError::Vanished)
    }

    /// The summary's day in the centers' zone, as a half-open UTC range.
    fn day_of(&self, date: NaiveDate) -> Result<(DateTime<Utc>, DateTime<Utc>), SummaryError> {
        let tz = self
            .settings
            .centers
            .tz()
            .map_err(|e| SummaryError::Config(e.to_string()))?;
        let start = |d: NaiveDate| {
            d.and_hms_opt(0, 0, 0)
                .and_then(|t| tz.from_local_datetime(&t).earliest())
                .map(|t| t.with_timezone(&Utc))
        };
        match (start(date), date.succ_opt().and_then(start)) {
            (Some(from), Some(until)) => Ok((from, until)),
            _ => Err(SummaryError::Unplaceable),
        }
    }

    /// The reconciliation (id, center, station, day, result) and its notices, in one commit:
    /// neither is kept without the other.
    async fn keep_reconciliation(
        &self,
        (id, center, station, day, result): (
            String,
            String,
            String,
            String,
            daily_summary::Reconciliation,
        ),
        notices: &[DeliveryRecord],
        now: DateTime<Utc>,
    ) -> Result<(), SummaryError> {
        let rows = notices
            .iter()
            .map(crate::db::write::deliveries::new_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(crate::db::store_err)?;
        self.store
            .writer()
            .run(move |tx| {
                reconciliations::insert(tx, &id, &center, &station, &day, &result, now)?;
                crate::db::write::deliveries::insert(tx, &rows)
            })
            .await?;
        Ok(())
    }

    /// One delivery per (on-duty member of `rosters` × channel) for a reconciliation's missing
    /// tickets.
    async fn missing_notices(
        &self,
        reconciliation: &str,
        rosters: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let wanted = rosters.to_vec();
        let reach = self
            .db
            .with_read(move |c| crate::db::read::deliveries::reach(c, &wanted, now))
            .await?;
        if !reach.unreachable.is_empty() {
            tracing::error!(
                rosters = ?reach.unreachable,
                "missing tickets reach no operator: no such roster, or nobody on duty with a channel"
            );
        }
        Ok(reach
            .targets
            .into_iter()
            .map(|t| DeliveryRecord {
                id: uuid::Uuid::now_v7().to_string(),
                subject: Subject::MissingTickets {
                    reconciliation_id: reconciliation.to_owned(),
                },
                user: t.user,
                channel: t.channel,
                created_at: now,
            })
            .collect())
    }

    /// Keeps a body that is not a summary for operators.
    async fn keep_unreadable(
        &self,
        center: &str,
        body: &[u8],
        content_type: &str,
        problems: &[Problem],
    ) -> Result<(), StoreError> {
        let error = problems
            .iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect::<Vec<_>>()
            .join("; ");
        let dead = DeadLetterRecord {
            id: content_id(&[center.as_bytes(), b"summary", body]),
            kind: DeadLetterKind::UnreadableSummary,
            format: Some("summary".into()),
            center: Some(center.to_owned()),
            workflow_id: None,
            error,
            payload: body.to_vec(),
            content_type: Some(content_type.to_owned()),
            created_at: self.clock.now(),
        };
        use aegis_actors::ports::store::Store;
        self.store.dead_letter(dead).await?;
        metrics::counter!(names::DEAD_LETTERED, "kind" => "unreadable_summary").increment(1);
        Ok(())
    }
}

impl App {
    /// Reconciliations, newest first (at most 200).
    pub async fn reconciliations(
        &self,
        q: &ReconciliationQuery,
    ) -> Result<Vec<ReconciliationView>, ReconciliationListError> {
        if let Some(d) = &q.date
            && NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err()
        {
            return Err(ReconciliationListError::BadDate);
        }
        let q = q.clone();
        Ok(self
            .db
            .with_read(move |c| {
                reconciliations::list(c, q.center.as_deref(), q.date.as_deref(), 200)
            })
            .await?)
    }

    /// OneCall sequence numbers skipped and not filled within `reconcile.gap_grace_secs`.
    pub async fn sequence_gaps(&self) -> Result<Vec<GapView>, StoreError> {
        let (now, grace) = (self.clock.now(), self.settings.reconcile.grace());
        self.db
            .with_read(move |c| sequence_gaps::gaps(c, now, grace))
            .await
    }

    /// The gaps and the latest reconciliations with something wrong or missing (the console).
    pub async fn missing(&self) -> Result<Missing, StoreError> {
        let (now, grace) = (self.clock.now(), self.settings.reconcile.grace());
        let (gaps, reconciliations) = self
            .db
            .with_read(move |c| {
                Ok((
                    sequence_gaps::gaps(c, now, grace)?,
                    reconciliations::list(c, None, None, 100)?,
                ))
            })
            .await?;
        Ok(Missing {
            gaps,
            reconciliations,
        })
    }
}
