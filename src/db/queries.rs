//! Read models for the officer and operator APIs: a workflow with its whole story, lists with
//! filters and cursors, counts.

use aegis_actors::ports::{Contribution, StoreError};
use aegis_workflows::audit::{self, Link};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

use super::convert::{self, corrupt};
use super::rows::{AlertRow, EventRow, ScoreRow, WorkflowRow};
use super::schema::{alerts, events, scores, tickets, workflows};
use super::time::from_db;
use super::{AnyConn, store_err};
use crate::with_conn;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScoreView {
    pub probability: f64,
    pub band: String,
    pub model_version: String,
    #[schema(value_type = Vec<Object>)]
    pub top_features: Vec<Contribution>,
    pub scored_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AlertView {
    pub id: String,
    pub workflow_id: String,
    pub center: String,
    pub ticket_number: String,
    pub state: String,
    pub tier: i64,
    pub ack_deadline: Option<DateTime<Utc>>,
    pub raised_at: DateTime<Utc>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub disposition: Option<String>,
    pub note: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub seq: i64,
    pub from_state: Option<String>,
    pub to_state: String,
    pub event: String,
    pub principal: String,
    pub at: DateTime<Utc>,
    /// The event itself (reasons, probabilities, dispositions…).
    #[schema(value_type = Object)]
    pub detail: Value,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkflowDetail {
    pub id: String,
    pub center: String,
    pub ticket_number: String,
    pub revision: i64,
    pub state: String,
    pub version: i64,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub ticket: Value,
    pub score: Option<ScoreView>,
    pub alert: Option<AlertView>,
    pub events: Vec<EventView>,
    pub chain_valid: bool,
    /// The first event whose hash does not fit, when the chain is broken.
    pub chain_broken_at: Option<i64>,
}

pub fn score_view(r: ScoreRow) -> Result<ScoreView, StoreError> {
    Ok(ScoreView {
        probability: r.probability,
        band: r.band,
        model_version: r.model_version,
        top_features: serde_json::from_str(&r.top_features).map_err(corrupt)?,
        scored_at: from_db(r.scored_at),
    })
}

pub fn alert_view(r: AlertRow) -> AlertView {
    AlertView {
        id: r.id,
        workflow_id: r.workflow_id,
        center: r.center,
        ticket_number: r.ticket_number,
        state: r.state,
        tier: r.tier,
        ack_deadline: r.ack_deadline.map(from_db),
        raised_at: from_db(r.raised_at),
        acknowledged_by: r.acknowledged_by,
        acknowledged_at: r.acknowledged_at.map(from_db),
        resolved_by: r.resolved_by,
        resolved_at: r.resolved_at.map(from_db),
        disposition: r.disposition,
        note: r.note,
        updated_at: from_db(r.updated_at),
    }
}

/// Verifies a workflow's chain from its stored rows.
pub fn verify_chain(rows: &[EventRow]) -> audit::ChainCheck {
    audit::verify(rows.iter().map(|r| {
        (
            Link {
                workflow_id: &r.workflow_id,
                seq: r.seq,
                from_state: r.from_state.as_deref(),
                to_state: &r.to_state,
                event: &r.event,
                principal: &r.principal,
                payload: &r.payload,
                at_micros: r.at,
            },
            r.prev_hash.as_str(),
            r.hash.as_str(),
        )
    }))
}

type DetailRows = (
    WorkflowRow,
    String,
    Option<ScoreRow>,
    Option<AlertRow>,
    Vec<EventRow>,
);

pub fn workflow_detail(conn: &mut AnyConn, id: &str) -> Result<Option<WorkflowDetail>, StoreError> {
    let rows: Option<DetailRows> = with_conn!(conn, |c| {
        let Some(w) = workflows::table
            .find(id)
            .select(WorkflowRow::as_select())
            .first(c)
            .optional()
            .map_err(store_err)?
        else {
            return Ok(None);
        };
        let ticket: String = tickets::table
            .find(id)
            .select(tickets::ticket_json)
            .first(c)
            .map_err(store_err)?;
        let score = scores::table
            .find(id)
            .select(ScoreRow::as_select())
            .first(c)
            .optional()
            .map_err(store_err)?;
        let alert = alerts::table
            .filter(alerts::workflow_id.eq(id))
            .select(AlertRow::as_select())
            .first(c)
            .optional()
            .map_err(store_err)?;
        let evs = events::table
            .filter(events::workflow_id.eq(id))
            .order(events::seq.asc())
            .select(EventRow::as_select())
            .load(c)
            .map_err(store_err)?;
        Some((w, ticket, score, alert, evs))
    });
    let Some((w, ticket, score, alert, evs)) = rows else {
        return Ok(None);
    };
    let check = verify_chain(&evs);
    // The chain must also end where the workflow says it does.
    let tip_ok = evs
        .last()
        .is_none_or(|e| e.hash == w.last_hash && e.seq == w.version);
    let events = evs
        .into_iter()
        .map(|r| {
            Ok(EventView {
                detail: serde_json::from_str(&r.payload).map_err(corrupt)?,
                seq: r.seq,
                from_state: r.from_state,
                to_state: r.to_state,
                event: r.event,
                principal: r.principal,
                at: from_db(r.at),
                prev_hash: r.prev_hash,
                hash: r.hash,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let _ = convert::state(&w.state)?;
    Ok(Some(WorkflowDetail {
        id: w.id,
        center: w.center,
        ticket_number: w.ticket_number,
        revision: w.revision,
        state: w.state,
        version: w.version,
        attempts: w.attempts,
        last_error: w.last_error,
        created_at: from_db(w.created_at),
        updated_at: from_db(w.updated_at),
        ticket: serde_json::from_str(&ticket).map_err(corrupt)?,
        score: score.map(score_view).transpose()?,
        alert: alert.map(alert_view),
        events,
        chain_valid: check.valid && tip_ok,
        chain_broken_at: check.broken_at.or((!tip_ok).then_some(w.version)),
    }))
}

/// Counts for `/v1/admin/stats` and the database-derived gauges.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub workflows: std::collections::BTreeMap<String, i64>,
    pub alerts: std::collections::BTreeMap<String, i64>,
    /// Unacknowledged alerts past their deadline.
    pub alerts_overdue: i64,
    /// Dead letters not yet redriven.
    pub dead_letters: i64,
    pub outbox_pending: i64,
    pub outbox_oldest: Option<DateTime<Utc>>,
}

pub fn stats(conn: &mut AnyConn, now: DateTime<Utc>) -> Result<Stats, StoreError> {
    use super::schema::{dead_letters, outbox};
    let now = super::time::to_db(now);
    type Counts = Vec<(String, i64)>;
    let (wf, al, overdue, dead, pending, oldest): (Counts, Counts, i64, i64, i64, Option<i64>) =
        with_conn!(conn, |c| {
            let wf = workflows::table
                .group_by(workflows::state)
                .select((workflows::state, diesel::dsl::count_star()))
                .load(c)
                .map_err(store_err)?;
            let al = alerts::table
                .group_by(alerts::state)
                .select((alerts::state, diesel::dsl::count_star()))
                .load(c)
                .map_err(store_err)?;
            let overdue = alerts::table
                .filter(alerts::state.eq_any(["open", "escalated"]))
                .filter(alerts::ack_deadline.lt(now))
                .count()
                .get_result(c)
                .map_err(store_err)?;
            let dead = dead_letters::table
                .filter(dead_letters::redriven_at.is_null())
                .count()
                .get_result(c)
                .map_err(store_err)?;
            let pending = outbox::table.count().get_result(c).map_err(store_err)?;
            let oldest = outbox::table
                .select(diesel::dsl::min(outbox::created_at))
                .first(c)
                .map_err(store_err)?;
            (wf, al, overdue, dead, pending, oldest)
        });
    Ok(Stats {
        workflows: wf.into_iter().collect(),
        alerts: al.into_iter().collect(),
        alerts_overdue: overdue,
        dead_letters: dead,
        outbox_pending: pending,
        outbox_oldest: oldest.map(from_db),
    })
}
