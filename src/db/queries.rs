//! Read models for the officer and operator APIs: a workflow with its whole story, lists with
//! filters and cursors, counts.

use aegis_actors::ports::{Contribution, StoreError};
use aegis_workflows::audit::{self, Link};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::first_row::OneRow;
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
    /// What looked odd in the ticket but did not stop it (field, code, message), from its
    /// validation.
    #[schema(value_type = Vec<Object>)]
    pub warnings: Vec<Value>,
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
            .one(c)
            .map_err(store_err)?
        else {
            return Ok(None);
        };
        let ticket: String = tickets::table
            .find(id)
            .select(tickets::ticket_json)
            .the(c)
            .map_err(store_err)?;
        let score = scores::table
            .find(id)
            .select(ScoreRow::as_select())
            .one(c)
            .map_err(store_err)?;
        let alert = alerts::table
            .filter(alerts::workflow_id.eq(id))
            .select(AlertRow::as_select())
            .one(c)
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
    let warnings = events
        .iter()
        .filter(|e| e.event == "validated")
        .filter_map(|e| e.detail.get("warnings").and_then(Value::as_array))
        .flatten()
        .cloned()
        .collect();
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
        warnings,
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
                .get_result(c)
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

/// A keyset position in a newest-first list: (time, id) of the last item seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: i64,
    pub id: String,
}

/// Cursors read `{at}.{id}`: plain, so that every string of that shape is one (the OpenAPI
/// document gives the pattern), and clients need not treat them as anything but opaque.
impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}.{}", self.at, self.id)
    }

    pub fn decode(s: &str) -> Option<Self> {
        let (at, id) = s.split_once('.')?;
        let well_formed = (1..=18).contains(&at.len())
            && at.bytes().all(|b| b.is_ascii_digit())
            && (1..=36).contains(&id.len())
            && id
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f' | b'-'));
        if !well_formed {
            return None;
        }
        Some(Self {
            at: at.parse().ok()?,
            id: id.to_owned(),
        })
    }
}

/// A page of a list and where the next one starts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

fn page<T>(mut items: Vec<T>, limit: usize, key: impl Fn(&T) -> Cursor) -> Page<T> {
    let more = items.len() > limit;
    items.truncate(limit);
    let next_cursor = if more {
        items.last().map(|i| key(i).encode())
    } else {
        None
    };
    Page { items, next_cursor }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AlertItem {
    #[serde(flatten)]
    pub alert: AlertView,
    pub probability: Option<f64>,
    pub band: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub state: Option<String>,
    pub center: Option<String>,
    pub since: Option<i64>,
    pub cursor: Option<Cursor>,
    pub limit: usize,
}

pub fn list_alerts(conn: &mut AnyConn, f: &AlertFilter) -> Result<Page<AlertItem>, StoreError> {
    let limit = i64::try_from(f.limit + 1).unwrap_or(i64::MAX);
    let rows: Vec<(AlertRow, Option<f64>, Option<String>)> = with_conn!(conn, |c| {
        let mut q = alerts::table
            .left_join(scores::table.on(scores::workflow_id.eq(alerts::workflow_id)))
            .select((
                AlertRow::as_select(),
                scores::probability.nullable(),
                scores::band.nullable(),
            ))
            .order((alerts::raised_at.desc(), alerts::id.desc()))
            .limit(limit)
            .into_boxed();
        if let Some(s) = &f.state {
            q = q.filter(alerts::state.eq(s.clone()));
        }
        if let Some(cn) = &f.center {
            q = q.filter(alerts::center.eq(cn.clone()));
        }
        if let Some(since) = f.since {
            q = q.filter(alerts::raised_at.ge(since));
        }
        if let Some(cur) = &f.cursor {
            q = q.filter(
                alerts::raised_at.lt(cur.at).or(alerts::raised_at
                    .eq(cur.at)
                    .and(alerts::id.lt(cur.id.clone()))),
            );
        }
        q.load(c).map_err(store_err)?
    });
    let items = rows
        .into_iter()
        .map(|(a, probability, band)| AlertItem {
            alert: alert_view(a),
            probability,
            band,
        })
        .collect();
    Ok(page(items, f.limit, |i: &AlertItem| Cursor {
        at: i.alert.raised_at.timestamp_micros(),
        id: i.alert.id.clone(),
    }))
}

/// The workflow an alert belongs to.
pub fn alert_workflow(conn: &mut AnyConn, alert_id: &str) -> Result<Option<String>, StoreError> {
    Ok(with_conn!(conn, |c| {
        alerts::table
            .find(alert_id)
            .select(alerts::workflow_id)
            .one::<String>(c)
            .map_err(store_err)?
    }))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkflowItem {
    pub id: String,
    pub center: String,
    pub ticket_number: String,
    pub revision: i64,
    pub state: String,
    pub band: Option<String>,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct WorkflowFilter {
    pub state: Option<String>,
    pub center: Option<String>,
    pub band: Option<String>,
    pub ticket_number: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub cursor: Option<Cursor>,
    pub limit: usize,
}

pub fn list_workflows(
    conn: &mut AnyConn,
    f: &WorkflowFilter,
) -> Result<Page<WorkflowItem>, StoreError> {
    let limit = i64::try_from(f.limit + 1).unwrap_or(i64::MAX);
    let rows: Vec<WorkflowRow> = with_conn!(conn, |c| {
        let mut q = workflows::table
            .select(WorkflowRow::as_select())
            .order((workflows::created_at.desc(), workflows::id.desc()))
            .limit(limit)
            .into_boxed();
        if let Some(s) = &f.state {
            q = q.filter(workflows::state.eq(s.clone()));
        }
        if let Some(cn) = &f.center {
            q = q.filter(workflows::center.eq(cn.clone()));
        }
        if let Some(b) = &f.band {
            q = q.filter(workflows::band.eq(b.clone()));
        }
        if let Some(t) = &f.ticket_number {
            q = q.filter(workflows::ticket_number.eq(t.clone()));
        }
        if let Some(s) = f.since {
            q = q.filter(workflows::created_at.ge(s));
        }
        if let Some(u) = f.until {
            q = q.filter(workflows::created_at.lt(u));
        }
        if let Some(cur) = &f.cursor {
            q = q.filter(
                workflows::created_at.lt(cur.at).or(workflows::created_at
                    .eq(cur.at)
                    .and(workflows::id.lt(cur.id.clone()))),
            );
        }
        q.load(c).map_err(store_err)?
    });
    let items = rows
        .into_iter()
        .map(|w| WorkflowItem {
            id: w.id,
            center: w.center,
            ticket_number: w.ticket_number,
            revision: w.revision,
            state: w.state,
            band: w.band,
            attempts: w.attempts,
            created_at: from_db(w.created_at),
            updated_at: from_db(w.updated_at),
        })
        .collect();
    Ok(page(items, f.limit, |i: &WorkflowItem| Cursor {
        at: i.created_at.timestamp_micros(),
        id: i.id.clone(),
    }))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeadLetterView {
    pub id: String,
    pub kind: String,
    pub center: Option<String>,
    pub workflow_id: Option<String>,
    pub error: String,
    pub content_type: Option<String>,
    /// The payload as text when it is UTF-8, else base64 (`payload_encoding` says which).
    pub payload: String,
    pub payload_encoding: String,
    pub created_at: DateTime<Utc>,
    pub redriven_at: Option<DateTime<Utc>>,
    pub redriven_by: Option<String>,
}

pub fn dead_letter_view(r: super::rows::DeadLetterRow) -> DeadLetterView {
    use base64::Engine as _;
    let (payload, payload_encoding) = match String::from_utf8(r.payload.clone()) {
        Ok(s) => (s, "utf-8".to_owned()),
        Err(_) => (
            base64::engine::general_purpose::STANDARD.encode(&r.payload),
            "base64".to_owned(),
        ),
    };
    DeadLetterView {
        id: r.id,
        kind: r.kind,
        center: r.center,
        workflow_id: r.workflow_id,
        error: r.error,
        content_type: r.content_type,
        payload,
        payload_encoding,
        created_at: from_db(r.created_at),
        redriven_at: r.redriven_at.map(from_db),
        redriven_by: r.redriven_by,
    }
}

pub fn list_dead_letters(
    conn: &mut AnyConn,
    kind: Option<&str>,
    cursor: Option<&Cursor>,
    limit: usize,
) -> Result<Page<DeadLetterView>, StoreError> {
    use super::rows::DeadLetterRow;
    use super::schema::dead_letters;
    let lim = i64::try_from(limit + 1).unwrap_or(i64::MAX);
    let rows: Vec<DeadLetterRow> = with_conn!(conn, |c| {
        let mut q = dead_letters::table
            .select(DeadLetterRow::as_select())
            .order((dead_letters::created_at.desc(), dead_letters::id.desc()))
            .limit(lim)
            .into_boxed();
        if let Some(k) = kind {
            q = q.filter(dead_letters::kind.eq(k.to_owned()));
        }
        if let Some(cur) = cursor {
            q = q.filter(
                dead_letters::created_at
                    .lt(cur.at)
                    .or(dead_letters::created_at
                        .eq(cur.at)
                        .and(dead_letters::id.lt(cur.id.clone()))),
            );
        }
        q.load(c).map_err(store_err)?
    });
    let items = rows.into_iter().map(dead_letter_view).collect();
    Ok(page(items, limit, |d: &DeadLetterView| Cursor {
        at: d.created_at.timestamp_micros(),
        id: d.id.clone(),
    }))
}

pub fn dead_letter(
    conn: &mut AnyConn,
    id: &str,
) -> Result<Option<super::rows::DeadLetterRow>, StoreError> {
    use super::rows::DeadLetterRow;
    use super::schema::dead_letters;
    Ok(with_conn!(conn, |c| {
        dead_letters::table
            .find(id)
            .select(DeadLetterRow::as_select())
            .one(c)
            .map_err(store_err)?
    }))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ModelRecord {
    pub version: String,
    pub path: String,
    #[schema(value_type = Object)]
    pub metrics: Value,
    pub created_at: DateTime<Utc>,
}

pub fn trained_models(conn: &mut AnyConn) -> Result<Vec<ModelRecord>, StoreError> {
    use super::schema::models;
    let rows: Vec<(String, String, String, i64)> = with_conn!(conn, |c| {
        models::table
            .order(models::created_at.desc())
            .limit(20)
            .select((
                models::version,
                models::path,
                models::metrics,
                models::created_at,
            ))
            .load(c)
            .map_err(store_err)?
    });
    rows.into_iter()
        .map(|(version, path, metrics, at)| {
            Ok(ModelRecord {
                version,
                path,
                metrics: serde_json::from_str(&metrics).map_err(corrupt)?,
                created_at: from_db(at),
            })
        })
        .collect()
}
