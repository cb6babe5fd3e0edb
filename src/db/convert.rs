//! Conversions between the runtime's records and database rows.

use aegis_actors::ports::StoreError;
use aegis_actors::records::{
    Alert, AlertState, DeadLetterKind, DeadLetterRecord, EventRecord, ScoreRecord, TimerKind,
    TimerRecord,
};
use aegis_workflows::lifecycle::{Event, State};

use super::rows::{AlertRow, DeadLetterRow, EventRow, ScoreRow, TimerRow};
use super::time::{from_db, to_db};

pub fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string().into())
}

pub fn state(s: &str) -> Result<State, StoreError> {
    State::parse(s).ok_or_else(|| corrupt(format!("unknown state '{s}'")))
}

pub fn alert_state(s: &str) -> Result<AlertState, StoreError> {
    AlertState::parse(s).ok_or_else(|| corrupt(format!("unknown alert state '{s}'")))
}

pub fn dead_letter_kind(s: &str) -> Result<DeadLetterKind, StoreError> {
    DeadLetterKind::parse(s).ok_or_else(|| corrupt(format!("unknown dead letter kind '{s}'")))
}

pub fn event_row(workflow_id: &str, e: &EventRecord) -> EventRow {
    EventRow {
        workflow_id: workflow_id.to_owned(),
        seq: e.seq,
        from_state: e.from_state.map(|s| s.as_str().to_owned()),
        to_state: e.to_state.as_str().to_owned(),
        event: e.event.kind().to_owned(),
        principal: e.principal.clone(),
        payload: e.payload.clone(),
        prev_hash: e.prev_hash.clone(),
        hash: e.hash.clone(),
        at: to_db(e.at),
    }
}

pub fn event_record(r: &EventRow) -> Result<EventRecord, StoreError> {
    let event: Event = serde_json::from_str(&r.payload).map_err(corrupt)?;
    Ok(EventRecord {
        seq: r.seq,
        from_state: r.from_state.as_deref().map(state).transpose()?,
        to_state: state(&r.to_state)?,
        event,
        principal: r.principal.clone(),
        payload: r.payload.clone(),
        at: from_db(r.at),
        prev_hash: r.prev_hash.clone(),
        hash: r.hash.clone(),
    })
}

/// JSON for a column; a value that does not serialize fails the write instead of storing an
/// empty stand-in.
fn json_column(v: &impl serde::Serialize) -> Result<String, diesel::result::Error> {
    serde_json::to_string(v).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}

pub fn score_row(workflow_id: &str, s: &ScoreRecord) -> Result<ScoreRow, diesel::result::Error> {
    Ok(ScoreRow {
        workflow_id: workflow_id.to_owned(),
        probability: s.probability,
        band: s.band.as_str().to_owned(),
        model_version: s.model_version.clone(),
        top_features: json_column(&s.top_features)?,
        features: json_column(&serde_json::json!({
            "schema": aegis_workflows::features::SCHEMA_VERSION,
            "values": s.features,
            "scored_with": s.feature_schema,
        }))?,
        scored_at: to_db(s.scored_at),
    })
}

pub fn alert_row(a: &Alert, center: &str, ticket_number: &str) -> AlertRow {
    AlertRow {
        id: a.id.clone(),
        workflow_id: a.workflow_id.clone(),
        center: center.to_owned(),
        ticket_number: ticket_number.to_owned(),
        state: a.state.as_str().to_owned(),
        tier: i64::from(a.tier),
        ack_deadline: a.ack_deadline.map(to_db),
        raised_at: to_db(a.raised_at),
        acknowledged_by: a.acknowledged_by.clone(),
        acknowledged_at: a.acknowledged_at.map(to_db),
        resolved_by: a.resolved_by.clone(),
        resolved_at: a.resolved_at.map(to_db),
        disposition: a.disposition.map(|d| d.as_str().to_owned()),
        note: a.note.clone(),
        updated_at: to_db(a.updated_at),
    }
}

pub fn alert_record(r: &AlertRow) -> Result<Alert, StoreError> {
    Ok(Alert {
        id: r.id.clone(),
        workflow_id: r.workflow_id.clone(),
        state: alert_state(&r.state)?,
        tier: u32::try_from(r.tier).map_err(corrupt)?,
        ack_deadline: r.ack_deadline.map(from_db),
        raised_at: from_db(r.raised_at),
        acknowledged_by: r.acknowledged_by.clone(),
        acknowledged_at: r.acknowledged_at.map(from_db),
        resolved_by: r.resolved_by.clone(),
        resolved_at: r.resolved_at.map(from_db),
        disposition: r
            .disposition
            .as_deref()
            .map(|d| {
                aegis_workflows::lifecycle::Disposition::parse(d)
                    .ok_or_else(|| corrupt(format!("unknown disposition '{d}'")))
            })
            .transpose()?,
        note: r.note.clone(),
        updated_at: from_db(r.updated_at),
    })
}

pub fn timer_row(t: &TimerRecord) -> Result<TimerRow, diesel::result::Error> {
    Ok(TimerRow {
        id: t.id.clone(),
        workflow_id: t.workflow_id.clone(),
        kind: t.kind.name().to_owned(),
        payload: json_column(&t.kind)?,
        due_at: to_db(t.due_at),
        claimed_by: None,
        claimed_until: None,
    })
}

pub fn timer_record(r: &TimerRow) -> Result<TimerRecord, StoreError> {
    let kind: TimerKind = serde_json::from_str(&r.payload).map_err(corrupt)?;
    Ok(TimerRecord {
        id: r.id.clone(),
        workflow_id: r.workflow_id.clone(),
        due_at: from_db(r.due_at),
        kind,
    })
}

pub fn dead_letter_row(d: &DeadLetterRecord) -> DeadLetterRow {
    DeadLetterRow {
        id: d.id.clone(),
        kind: d.kind.as_str().to_owned(),
        format: d.format.clone(),
        center: d.center.clone(),
        workflow_id: d.workflow_id.clone(),
        error: d.error.clone(),
        payload: d.payload.clone(),
        content_type: d.content_type.clone(),
        created_at: to_db(d.created_at),
        redriven_at: None,
        redriven_by: None,
        dismissed_at: None,
        dismissed_by: None,
        dismiss_reason: None,
    }
}
