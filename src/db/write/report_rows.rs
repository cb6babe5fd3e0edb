//! What the reports count of each ticket (`report_tickets`, contract §15): the row written with
//! the ticket at intake, and what later commits add to it — the screening's category, an
//! automatic clearing, the center accepting an answer — read from the events they record, so
//! no caller has to remember to keep the reports in step.

use aegis_actors::records::{EventRecord, IntakeRecord};
use aegis_workflows::investigation::WorkType;
use aegis_workflows::lifecycle::Event;
use aegis_workflows::ticket::TicketType;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::CHUNK;
use crate::db::schema::report_tickets;
use crate::db::time::to_db;
use crate::db::tx::Tx;
use crate::with_tx;

#[derive(Debug, Insertable)]
#[diesel(table_name = report_tickets, treat_none_as_default_value = false)]
pub struct NewReportTicket<'a> {
    pub workflow_id: &'a str,
    pub center: &'a str,
    pub received_at: i64,
    pub ticket_type: &'static str,
    pub counted: bool,
    pub work_type: Option<&'static str>,
    pub method: Option<&'static str>,
    pub excavator_key: Option<&'a str>,
    pub excavator: Option<&'a str>,
    pub legal_start_at: Option<i64>,
    pub due_at: Option<i64>,
    pub dug_early: bool,
    pub category: Option<&'static str>,
    pub cleared: bool,
    pub answered_at: Option<i64>,
    /// The hour of receipt since the epoch (UTC): what the reports group by.
    pub received_hour: i64,
}

/// Microseconds in an hour.
pub const HOUR_US: i64 = 3_600_000_000;

/// Whether a ticket of this type counts as an excavation ticket (the denominator of the damage
/// rate and Part D): cancellations, design requests and test tickets do not.
pub fn counts_as_excavation(kind: TicketType, is_test: bool) -> bool {
    !is_test && !matches!(kind, TicketType::Cancel | TicketType::Design)
}

pub fn report_row(r: &IntakeRecord) -> NewReportTicket<'_> {
    let t = &r.ticket;
    let kind = t.kind.unwrap_or(TicketType::Normal);
    let work = [t.work.kind.as_deref(), t.work.activity.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let excavator = [t.excavator.company.as_deref(), t.excavator.name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|s| !s.is_empty());
    let utc = |d: chrono::DateTime<chrono::FixedOffset>| to_db(d.with_timezone(&Utc));
    NewReportTicket {
        workflow_id: &r.workflow_id,
        center: &r.center,
        received_at: to_db(r.received_at),
        ticket_type: kind.as_str(),
        counted: counts_as_excavation(kind, t.is_test),
        work_type: WorkType::of_description(&work).map(WorkType::as_str),
        method: t.work.method.map(|m| m.as_str()),
        excavator_key: r.excavator_key.as_deref(),
        excavator,
        legal_start_at: t.legal_start_at.map(utc),
        due_at: aegis_workflows::due::due_at(t).map(to_db),
        dug_early: matches!((t.work_begin_at, t.legal_start_at), (Some(b), Some(l)) if b < l),
        category: None,
        cleared: false,
        answered_at: None,
        received_hour: to_db(r.received_at).div_euclid(HOUR_US),
    }
}

/// Inserts the rows of tickets just made durable.
pub fn insert(tx: &mut Tx<'_>, records: &[&IntakeRecord]) -> Result<(), DieselError> {
    for chunk in records.chunks(CHUNK) {
        let rows: Vec<_> = chunk.iter().map(|r| report_row(r)).collect();
        with_tx!(tx, |c| diesel::insert_into(report_tickets::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(())
}

/// Fills in what a commit's events tell the reports about their ticket.
pub fn follow(
    tx: &mut Tx<'_>,
    workflow_id: &str,
    events: &[EventRecord],
) -> Result<(), DieselError> {
    for e in events {
        match &e.event {
            Event::Screened { category, .. } => {
                let category = category.as_str();
                with_tx!(tx, |c| diesel::update(
                    report_tickets::table.find(workflow_id)
                )
                .set(report_tickets::category.eq(category))
                .execute(c))?;
            }
            Event::Cleared { .. } => {
                with_tx!(tx, |c| diesel::update(
                    report_tickets::table.find(workflow_id)
                )
                .set(report_tickets::cleared.eq(true))
                .execute(c))?;
            }
            Event::ResponsePosted { .. } => answered(tx, workflow_id, e.at)?,
            _ => {}
        }
    }
    Ok(())
}

/// The first answer the center accepted counts; a later one changes nothing.
fn answered(tx: &mut Tx<'_>, workflow_id: &str, at: DateTime<Utc>) -> Result<(), DieselError> {
    with_tx!(tx, |c| diesel::update(
        report_tickets::table
            .find(workflow_id)
            .filter(report_tickets::answered_at.is_null())
    )
    .set(report_tickets::answered_at.eq(to_db(at)))
    .execute(c))?;
    Ok(())
}
