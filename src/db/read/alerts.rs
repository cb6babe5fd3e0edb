//! Reading alerts: the officers' list, newest first, and an alert's workflow.

use aegis_actors::ports::StoreError;
use diesel::prelude::*;

use super::page::{Cursor, page};
use crate::app::views::alerts::{AlertItem, AlertView};
use crate::app::views::page::Page;
use crate::db::convert::corrupt;
use crate::db::first_row::OneRow;
use crate::db::rows::AlertRow;
use crate::db::schema::{alerts, scores};
use crate::db::time::from_db;
use crate::db::{AnyConn, store_err};
use crate::with_conn;

pub fn alert_view(r: AlertRow) -> Result<AlertView, StoreError> {
    Ok(AlertView {
        id: r.id,
        workflow_id: r.workflow_id,
        center: r.center,
        ticket_number: r.ticket_number,
        state: crate::db::convert::alert_state(&r.state)?,
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
    })
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
        .map(|(a, probability, band)| {
            Ok(AlertItem {
                alert: alert_view(a)?,
                probability,
                band,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(page(items, f.limit, |i: &AlertItem| Cursor {
        at: i.alert.raised_at.timestamp_micros(),
        id: i.alert.id.clone(),
    }))
}

/// What the queue needs of one open alert besides the alert: its ticket and its screening.
#[derive(Debug, Clone)]
pub struct QueueSource {
    pub item: AlertItem,
    pub ticket: aegis_workflows::Ticket,
    pub screening: Option<aegis_workflows::screening::Screening>,
}

/// Alerts in `states` (the open ones) with their tickets and screenings, newest first, raised
/// at or after `since`, at most `cap`: the candidates the priority order is computed over.
pub fn open_alerts_for_queue(
    conn: &mut AnyConn,
    states: &[String],
    center: Option<&str>,
    since: Option<i64>,
    cap: usize,
) -> Result<Vec<QueueSource>, StoreError> {
    use crate::db::schema::{screenings, tickets};
    let cap = i64::try_from(cap).unwrap_or(i64::MAX);
    type Row = (
        AlertRow,
        Option<f64>,
        Option<String>,
        String,
        Option<String>,
    );
    let rows: Vec<Row> = with_conn!(conn, |c| {
        let mut q = alerts::table
            .inner_join(tickets::table.on(tickets::workflow_id.eq(alerts::workflow_id)))
            .left_join(scores::table.on(scores::workflow_id.eq(alerts::workflow_id)))
            .left_join(screenings::table.on(screenings::workflow_id.eq(alerts::workflow_id)))
            .select((
                AlertRow::as_select(),
                scores::probability.nullable(),
                scores::band.nullable(),
                tickets::ticket_json,
                screenings::screening.nullable(),
            ))
            .filter(alerts::state.eq_any(states.to_vec()))
            .order((alerts::raised_at.desc(), alerts::id.desc()))
            .limit(cap)
            .into_boxed();
        if let Some(cn) = center {
            q = q.filter(alerts::center.eq(cn.to_owned()));
        }
        if let Some(since) = since {
            q = q.filter(alerts::raised_at.ge(since));
        }
        q.load(c).map_err(store_err)?
    });
    rows.into_iter()
        .map(|(a, probability, band, ticket_json, screening_json)| {
            Ok(QueueSource {
                item: AlertItem {
                    alert: alert_view(a)?,
                    probability,
                    band,
                },
                ticket: serde_json::from_str(&ticket_json).map_err(corrupt)?,
                screening: screening_json
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(corrupt)?,
            })
        })
        .collect()
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
