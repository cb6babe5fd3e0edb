//! Reading workflows: one with its whole story (ticket, score, alert, audit trail and the
//! chain's verdict), and lists by state, center, band, ticket number and time.

use aegis_actors::ports::StoreError;
use aegis_workflows::audit::{self, Link};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;

use super::alerts::alert_view;
use super::page::{Cursor, page};
use crate::app::views::page::Page;
use crate::app::views::workflows::{EventView, ScoreView, WorkflowDetail, WorkflowItem};
use crate::db::convert::{self, corrupt};
use crate::db::first_row::OneRow;
use crate::db::rows::{AlertRow, EventRow, ScoreRow, WorkflowRow};
use crate::db::schema::{alerts, events, scores, screenings, tickets, workflows};
use crate::db::time::from_db;
use crate::db::{AnyConn, store_err};
use crate::with_conn;

/// A stored screening as the read-back shows it: each layer's `within_buffer` is whether any
/// facility is within its tolerance zone (§10), and `within_buffer_count` how many.
pub fn screening_view(stored: &str) -> Result<Value, StoreError> {
    let mut v: Value = serde_json::from_str(stored).map_err(corrupt)?;
    if let Some(layers) = v.get_mut("layers").and_then(Value::as_array_mut) {
        for l in layers {
            if let Some(obj) = l.as_object_mut() {
                let n = obj
                    .get("within_buffer")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                obj.insert("within_buffer".into(), Value::Bool(n > 0));
                obj.insert("within_buffer_count".into(), Value::from(n));
            }
        }
    }
    Ok(v)
}

/// The stored screening of a workflow, as the domain has it.
pub fn screening_of(
    conn: &mut AnyConn,
    id: &str,
) -> Result<Option<aegis_workflows::screening::Screening>, StoreError> {
    let text: Option<String> = with_conn!(conn, |c| screenings::table
        .find(id)
        .select(screenings::screening)
        .one(c))
    .map_err(store_err)?;
    text.map(|t| serde_json::from_str(&t).map_err(corrupt))
        .transpose()
}

/// The standing rule that raised the workflow's latest alert (`None`: the band raised it, or
/// no alert was).
pub fn raising_rule(conn: &mut AnyConn, id: &str) -> Result<Option<String>, StoreError> {
    let payload: Option<String> = with_conn!(conn, |c| events::table
        .filter(events::workflow_id.eq(id))
        .filter(events::event.eq("alert_raised"))
        .order(events::seq.desc())
        .select(events::payload)
        .one(c))
    .map_err(store_err)?;
    let Some(payload) = payload else {
        return Ok(None);
    };
    let v: Value = serde_json::from_str(&payload).map_err(corrupt)?;
    Ok(v.get("rule").and_then(Value::as_str).map(str::to_owned))
}

/// The schema a stored score was read with: scores from before v2 name none and were v1's.
fn scored_with(features: &str) -> Result<String, StoreError> {
    #[derive(serde::Deserialize)]
    struct Stored {
        schema: String,
        scored_with: Option<String>,
    }
    let s: Stored = serde_json::from_str(features).map_err(corrupt)?;
    Ok(s.scored_with.unwrap_or(s.schema))
}

pub fn score_view(r: ScoreRow) -> Result<ScoreView, StoreError> {
    Ok(ScoreView {
        feature_schema: scored_with(&r.features)?,
        probability: r.probability,
        band: r.band,
        model_version: r.model_version,
        top_features: serde_json::from_str(&r.top_features).map_err(corrupt)?,
        scored_at: from_db(r.scored_at),
    })
}

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

/// Everything stored of one workflow, read in one snapshot.
struct DetailRows {
    workflow: WorkflowRow,
    ticket: String,
    score: Option<ScoreRow>,
    alert: Option<AlertRow>,
    screening: Option<String>,
    events: Vec<EventRow>,
}

/// One snapshot for every read: a step committed between two of them would show a screening
/// without its event, or a trail ahead of its workflow row (a chain "broken" at its tip).
/// SQLite's deferred transaction reads one snapshot from its first read; PostgreSQL's needs
/// REPEATABLE READ.
fn detail_rows(conn: &mut AnyConn, id: &str) -> Result<Option<DetailRows>, StoreError> {
    let pg = matches!(conn, AnyConn::Pg(_));
    Ok(with_conn!(conn, |c| {
        c.transaction::<_, diesel::result::Error, _>(|c| {
            if pg {
                diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(c)?;
            }
            let Some(workflow) = workflows::table
                .find(id)
                .select(WorkflowRow::as_select())
                .one(c)?
            else {
                return Ok(None);
            };
            Ok(Some(DetailRows {
                workflow,
                ticket: tickets::table
                    .find(id)
                    .select(tickets::ticket_json)
                    .the(c)?,
                score: scores::table
                    .find(id)
                    .select(ScoreRow::as_select())
                    .one(c)?,
                alert: alerts::table
                    .filter(alerts::workflow_id.eq(id))
                    .select(AlertRow::as_select())
                    .one(c)?,
                screening: screenings::table
                    .find(id)
                    .select(screenings::screening)
                    .one(c)?,
                events: events::table
                    .filter(events::workflow_id.eq(id))
                    .order(events::seq.asc())
                    .select(EventRow::as_select())
                    .load(c)?,
            }))
        })
        .map_err(store_err)?
    }))
}

fn event_view(r: EventRow) -> Result<EventView, StoreError> {
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
}

pub fn workflow_detail(conn: &mut AnyConn, id: &str) -> Result<Option<WorkflowDetail>, StoreError> {
    let Some(rows) = detail_rows(conn, id)? else {
        return Ok(None);
    };
    let w = rows.workflow;
    let check = verify_chain(&rows.events);
    // The chain must also end where the workflow says it does.
    let tip_ok = rows
        .events
        .last()
        .is_none_or(|e| e.hash == w.last_hash && e.seq == w.version);
    let events = rows
        .events
        .into_iter()
        .map(event_view)
        .collect::<Result<Vec<_>, StoreError>>()?;
    let response = super::responses::latest(conn, &w.id)?;
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
        state: convert::state(&w.state)?,
        version: w.version,
        attempts: w.attempts,
        last_error: w.last_error,
        created_at: from_db(w.created_at),
        updated_at: from_db(w.updated_at),
        ticket: serde_json::from_str(&rows.ticket).map_err(corrupt)?,
        score: rows.score.map(score_view).transpose()?,
        alert: rows.alert.map(alert_view).transpose()?,
        events,
        warnings,
        chain_valid: check.valid && tip_ok,
        chain_broken_at: check.broken_at.or((!tip_ok).then_some(w.version)),
        response,
        screening: rows.screening.as_deref().map(screening_view).transpose()?,
    }))
}

/// Counts for `/v1/admin/stats` and the database-derived gauges.

#[derive(Debug, Clone, Default)]
pub struct WorkflowFilter {
    pub state: Option<String>,
    pub screening: Option<String>,
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
        if let Some(cat) = &f.screening {
            q = q.filter(
                workflows::id.eq_any(
                    screenings::table
                        .filter(screenings::category.eq(cat.clone()))
                        .select(screenings::workflow_id),
                ),
            );
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
    let ids: Vec<&str> = rows.iter().map(|w| w.id.as_str()).collect();
    let categories: std::collections::HashMap<String, String> = with_conn!(conn, |c| {
        screenings::table
            .filter(screenings::workflow_id.eq_any(&ids))
            .select((screenings::workflow_id, screenings::category))
            .load::<(String, String)>(c)
    })
    .map_err(store_err)?
    .into_iter()
    .collect();
    let items = rows
        .into_iter()
        .map(|w| {
            Ok(WorkflowItem {
                screening: categories.get(&w.id).cloned(),
                state: convert::state(&w.state)?,
                id: w.id,
                center: w.center,
                ticket_number: w.ticket_number,
                revision: w.revision,
                band: w.band,
                attempts: w.attempts,
                created_at: from_db(w.created_at),
                updated_at: from_db(w.updated_at),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(page(items, f.limit, |i: &WorkflowItem| Cursor {
        at: i.created_at.timestamp_micros(),
        id: i.id.clone(),
    }))
}

/// The content hash of a workflow's ticket, if it exists.
pub fn ticket_content_hash(
    conn: &mut AnyConn,
    workflow_id: &str,
) -> Result<Option<String>, StoreError> {
    with_conn!(conn, |c| {
        tickets::table
            .find(workflow_id)
            .select(tickets::content_hash)
            .one(c)
            .map_err(store_err)
    })
}

/// The format a workflow's ticket arrived in and the payload as it arrived.
pub fn ticket_payload(
    conn: &mut AnyConn,
    workflow_id: &str,
) -> Result<Option<(String, Vec<u8>)>, StoreError> {
    with_conn!(conn, |c| {
        tickets::table
            .find(workflow_id)
            .select((tickets::format, tickets::raw_payload))
            .one(c)
            .map_err(store_err)
    })
}

/// The highest revision received of a center's ticket.
pub fn latest_revision(
    conn: &mut AnyConn,
    center: &str,
    ticket_number: &str,
) -> Result<Option<u32>, StoreError> {
    let max: Option<i64> = with_conn!(conn, |c| {
        workflows::table
            .filter(workflows::center.eq(center))
            .filter(workflows::ticket_number.eq(ticket_number))
            .select(diesel::dsl::max(workflows::revision))
            .get_result(c)
            .map_err(store_err)?
    });
    max.map(|m| {
        u32::try_from(m).map_err(|e| StoreError::Corrupt(aegis_actors::ports::Cause::new(e)))
    })
    .transpose()
}

/// When the latest ticket from `center` was received (the silence alarm's start-up value).
pub fn latest_from_center(
    conn: &mut AnyConn,
    center: &str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let at: Option<i64> = with_conn!(conn, |c| workflows::table
        .filter(workflows::center.eq(center))
        .select(diesel::dsl::max(workflows::created_at))
        .get_result(c))
    .map_err(store_err)?;
    Ok(at.map(from_db))
}

/// Where a ticket's dig is, as a report names it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Place {
    pub state: Option<String>,
    pub county: Option<String>,
    pub city: Option<String>,
}

/// The places of these workflows' tickets, by workflow id.
pub fn places_of(
    conn: &mut AnyConn,
    ids: &[String],
) -> Result<std::collections::HashMap<String, Place>, StoreError> {
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows: Vec<(String, String)> = with_conn!(conn, |c| tickets::table
            .filter(tickets::workflow_id.eq_any(chunk))
            .select((tickets::workflow_id, tickets::ticket_json))
            .load(c))
        .map_err(store_err)?;
        for (id, json) in rows {
            let t: aegis_workflows::Ticket = serde_json::from_str(&json).map_err(corrupt)?;
            let l = t.location;
            out.insert(
                id,
                Place {
                    state: l.state,
                    county: l.county,
                    city: l.city,
                },
            );
        }
    }
    Ok(out)
}

/// Where one workflow of a replayed batch stands: its state, and its alert's id and state.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub workflow_id: String,
    pub state: String,
    pub alert: Option<(String, String)>,
}

/// The progress of these workflows (a history replay waits for its batch to settle).
pub fn progress_of(conn: &mut AnyConn, ids: &[String]) -> Result<Vec<Progress>, StoreError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let states: Vec<(String, String)> = with_conn!(conn, |c| workflows::table
            .filter(workflows::id.eq_any(chunk))
            .select((workflows::id, workflows::state))
            .load(c))
        .map_err(store_err)?;
        let raised: Vec<(String, String, String)> = with_conn!(conn, |c| alerts::table
            .filter(alerts::workflow_id.eq_any(chunk))
            .select((alerts::workflow_id, alerts::id, alerts::state))
            .load(c))
        .map_err(store_err)?;
        let mut alerts: std::collections::HashMap<String, (String, String)> = raised
            .into_iter()
            .map(|(w, id, state)| (w, (id, state)))
            .collect();
        out.extend(states.into_iter().map(|(id, state)| Progress {
            alert: alerts.remove(&id),
            workflow_id: id,
            state,
        }));
    }
    Ok(out)
}

/// Workflows still being received or validated, anywhere (the state index answers it).
pub fn in_flight(conn: &mut AnyConn) -> Result<i64, StoreError> {
    with_conn!(conn, |c| workflows::table
        .filter(workflows::state.eq_any(["received", "validated"]))
        .count()
        .get_result::<i64>(c))
    .map_err(store_err)
}
