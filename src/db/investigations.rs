//! Damage investigations as stored (contract §14): a row per investigation, written by the
//! transition writer with the trail event that opens, edits or closes it, and read back one at a
//! time or listed with filters, newest occurrence first.

use aegis_actors::ports::StoreError;
use aegis_actors::records::InvestigationRecord;
use aegis_workflows::investigation::{
    AtFault, DamagedFacility, Equipment, ExcavatorKind, Findings, InvestigationState, Kind, Marks,
    RootCause, RootCauseGroup, WorkType,
};
use aegis_workflows::screening::FacilityClass;
use aegis_workflows::ticket::ExcavationMethod;
use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::first_row::OneRow;
use super::schema::investigations;
use super::time::{from_db, to_db};
use super::tx::Tx;
use super::{AnyConn, store_err};
use crate::{with_conn, with_tx};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = investigations, treat_none_as_default_value = false, treat_none_as_null = true)]
pub struct InvestigationRow {
    pub id: String,
    pub workflow_id: String,
    pub center: String,
    pub ticket_number: String,
    pub kind: String,
    pub state: String,
    pub occurred_at: i64,
    pub facility_class: String,
    pub facility_layer: Option<String>,
    pub facility_feature_id: Option<String>,
    pub root_cause: Option<String>,
    pub root_cause_group: Option<String>,
    pub excavator_type: Option<String>,
    pub excavator: Option<String>,
    pub excavator_key: Option<String>,
    pub equipment: Option<String>,
    pub work_type: Option<String>,
    pub method: Option<String>,
    pub marks: Option<String>,
    pub response_on_time: Option<bool>,
    pub downtime_hours: Option<f64>,
    pub cost_usd: Option<f64>,
    pub at_fault: Option<String>,
    pub narrative: Option<String>,
    pub opened_by: String,
    pub opened_at: i64,
    pub updated_at: i64,
    pub closed_by: Option<String>,
    pub closed_at: Option<i64>,
    pub version: i64,
}

/// The row of `r`, on the workflow of `center`'s ticket `ticket_number`.
pub fn row_of(r: &InvestigationRecord, center: &str, ticket_number: &str) -> InvestigationRow {
    let f = &r.findings;
    InvestigationRow {
        id: r.id.clone(),
        workflow_id: r.workflow_id.clone(),
        center: center.to_owned(),
        ticket_number: ticket_number.to_owned(),
        kind: f.kind.as_str().to_owned(),
        state: r.state.as_str().to_owned(),
        occurred_at: to_db(f.occurred_at),
        facility_class: f.facility.class.as_str().to_owned(),
        facility_layer: f.facility.layer.clone(),
        facility_feature_id: f.facility.feature_id.clone(),
        root_cause: f.root_cause.map(|c| c.as_str().to_owned()),
        root_cause_group: f.root_cause.map(|c| c.group().as_str().to_owned()),
        excavator_type: f.excavator_type.map(|e| e.as_str().to_owned()),
        excavator: f.excavator.clone(),
        excavator_key: r.excavator_key.clone(),
        equipment: f.equipment.map(|e| e.as_str().to_owned()),
        work_type: f.work_type.map(|w| w.as_str().to_owned()),
        method: f.method.map(|m| m.as_str().to_owned()),
        marks: f.marks.map(|m| m.as_str().to_owned()),
        response_on_time: f.response_on_time,
        downtime_hours: f.downtime_hours,
        cost_usd: f.cost_usd,
        at_fault: f.at_fault.map(|a| a.as_str().to_owned()),
        narrative: f.narrative.clone(),
        opened_by: r.opened_by.clone(),
        opened_at: to_db(r.opened_at),
        updated_at: to_db(r.updated_at),
        closed_by: r.closed_by.clone(),
        closed_at: r.closed_at.map(to_db),
        version: i64::from(r.version),
    }
}

fn corrupt(why: String) -> StoreError {
    StoreError::Failed(why.into())
}

fn word<W: aegis_workflows::vocabulary::Words>(
    field: &str,
    v: Option<&str>,
) -> Result<Option<W>, StoreError> {
    v.map(|s| {
        W::parse_name(s)
            .ok_or_else(|| corrupt(format!("stored {field} '{s}' is not a known value")))
    })
    .transpose()
}

/// The record a row holds; a stored word Aegis does not know is an error, never a default.
pub fn record_of(r: InvestigationRow) -> Result<InvestigationRecord, StoreError> {
    let class = FacilityClass::parse(&r.facility_class)
        .ok_or_else(|| corrupt(format!("stored facility class '{}'", r.facility_class)))?;
    let method = r
        .method
        .as_deref()
        .map(|m| ExcavationMethod::parse(m).ok_or_else(|| corrupt(format!("stored method '{m}'"))))
        .transpose()?;
    let findings = Findings {
        kind: word::<Kind>("kind", Some(&r.kind))?.ok_or_else(|| corrupt("no kind".into()))?,
        occurred_at: from_db(r.occurred_at),
        facility: DamagedFacility {
            class,
            layer: r.facility_layer,
            feature_id: r.facility_feature_id,
        },
        root_cause: word::<RootCause>("root_cause", r.root_cause.as_deref())?,
        excavator_type: word::<ExcavatorKind>("excavator_type", r.excavator_type.as_deref())?,
        excavator: r.excavator,
        equipment: word::<Equipment>("equipment", r.equipment.as_deref())?,
        work_type: word::<WorkType>("work_type", r.work_type.as_deref())?,
        method,
        marks: word::<Marks>("marks", r.marks.as_deref())?,
        response_on_time: r.response_on_time,
        downtime_hours: r.downtime_hours,
        cost_usd: r.cost_usd,
        at_fault: word::<AtFault>("at_fault", r.at_fault.as_deref())?,
        narrative: r.narrative,
    };
    Ok(InvestigationRecord {
        id: r.id,
        workflow_id: r.workflow_id,
        state: word::<InvestigationState>("state", Some(&r.state))?
            .ok_or_else(|| corrupt("no state".into()))?,
        findings,
        excavator_key: r.excavator_key,
        opened_by: r.opened_by,
        opened_at: from_db(r.opened_at),
        updated_at: from_db(r.updated_at),
        closed_by: r.closed_by,
        closed_at: r.closed_at.map(from_db),
        version: u32::try_from(r.version).map_err(|_| corrupt("stored version".into()))?,
    })
}

/// Writes investigations as a commit leaves them (new, or replacing the stored row).
pub fn upsert(tx: &mut Tx<'_>, rows: &[InvestigationRow]) -> Result<(), DieselError> {
    for r in rows {
        with_tx!(tx, |c| diesel::insert_into(investigations::table)
            .values(r)
            .on_conflict(investigations::id)
            .do_update()
            .set(r)
            .execute(c))?;
    }
    Ok(())
}

pub fn read(conn: &mut AnyConn, id: &str) -> Result<Option<InvestigationRow>, StoreError> {
    with_conn!(conn, |c| investigations::table
        .find(id)
        .select(InvestigationRow::as_select())
        .one(c))
    .map_err(store_err)
}

/// The investigations of one workflow, in the order they were opened.
pub fn of_workflow(
    conn: &mut AnyConn,
    workflow_id: &str,
) -> Result<Vec<InvestigationRow>, StoreError> {
    with_conn!(conn, |c| investigations::table
        .filter(investigations::workflow_id.eq(workflow_id))
        .order((investigations::opened_at.asc(), investigations::id.asc()))
        .select(InvestigationRow::as_select())
        .load(c))
    .map_err(store_err)
}

/// What a list asks for; every filter optional.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub state: Option<InvestigationState>,
    pub kind: Option<Kind>,
    pub center: Option<String>,
    pub root_cause_group: Option<RootCauseGroup>,
    /// Occurred at or after (µs).
    pub from: Option<i64>,
    /// Occurred before (µs).
    pub until: Option<i64>,
    /// Continue after this (occurred_at, id), newest first.
    pub after: Option<(i64, String)>,
    pub limit: i64,
}

/// Investigations newest occurrence first.
pub fn list(conn: &mut AnyConn, f: &ListFilter) -> Result<Vec<InvestigationRow>, StoreError> {
    with_conn!(conn, |c| {
        let mut q = investigations::table
            .select(InvestigationRow::as_select())
            .order((
                investigations::occurred_at.desc(),
                investigations::id.desc(),
            ))
            .limit(f.limit)
            .into_boxed();
        if let Some(s) = f.state {
            q = q.filter(investigations::state.eq(s.as_str()));
        }
        if let Some(k) = f.kind {
            q = q.filter(investigations::kind.eq(k.as_str()));
        }
        if let Some(center) = &f.center {
            q = q.filter(investigations::center.eq(center.clone()));
        }
        if let Some(g) = f.root_cause_group {
            q = q.filter(investigations::root_cause_group.eq(g.as_str()));
        }
        if let Some(from) = f.from {
            q = q.filter(investigations::occurred_at.ge(from));
        }
        if let Some(until) = f.until {
            q = q.filter(investigations::occurred_at.lt(until));
        }
        if let Some((at, id)) = &f.after {
            q = q.filter(
                investigations::occurred_at
                    .lt(*at)
                    .or(investigations::occurred_at
                        .eq(*at)
                        .and(investigations::id.lt(id.clone()))),
            );
        }
        q.load(c)
    })
    .map_err(store_err)
}
