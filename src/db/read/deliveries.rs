//! Notification reads: who rosters reach now (for the runtime and for operators), who was told
//! about an alert, one delivery behind an acknowledgement link, and the backlog of deliveries.

use std::collections::HashMap;

use aegis_actors::ports::{Cause, StoreError};
use aegis_actors::records::{DeliveryRecord, Reach, Target};
use aegis_workflows::notification;
use aegis_workflows::roster::{Channel, Roster};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::first_row::OneRow;
use crate::db::rows::DeliveryRow;
use crate::db::schema::{deliveries, principals, rosters, user_channels};
use crate::db::time::from_db;
use crate::db::{AnyConn, store_err};
use crate::with_conn;

fn corrupt(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Corrupt(Cause::new(e))
}

/// Who `recipients` (roster names) reach at `at`: each on-duty member, on each channel, of
/// users not revoked.
pub fn reach(
    conn: &mut AnyConn,
    recipients: &[String],
    at: DateTime<Utc>,
) -> Result<Reach, StoreError> {
    let roster_rows: Vec<(String, String)> = with_conn!(conn, |c| {
        rosters::table
            .filter(rosters::name.eq_any(recipients))
            .select((rosters::name, rosters::definition))
            .load(c)
            .map_err(store_err)?
    });
    let mut found: HashMap<String, Roster> = HashMap::new();
    for (name, def) in roster_rows {
        found.insert(name, serde_json::from_str(&def).map_err(corrupt)?);
    }
    let users: Vec<String> = found
        .values()
        .flat_map(|r| r.on_duty(at).iter().cloned())
        .collect();
    let channel_rows: Vec<(String, String)> = with_conn!(conn, |c| {
        user_channels::table
            .inner_join(principals::table.on(principals::id.eq(user_channels::principal_id)))
            .filter(principals::name.eq_any(&users))
            .filter(principals::revoked_at.is_null())
            .order((principals::name.asc(), user_channels::position.asc()))
            .select((principals::name, user_channels::definition))
            .load(c)
            .map_err(store_err)?
    });
    let mut channels: HashMap<String, Vec<Channel>> = HashMap::new();
    for (user, def) in channel_rows {
        channels
            .entry(user)
            .or_default()
            .push(serde_json::from_str(&def).map_err(corrupt)?);
    }
    let none: &[Channel] = &[];
    Ok(notification::reach(
        recipients,
        at,
        |n| found.get(n),
        |u| channels.get(u).map_or(none, Vec::as_slice),
    ))
}

/// Everyone told about an alert, each (user, channel) once, first told first.
pub fn notified(conn: &mut AnyConn, alert_id: &str) -> Result<Vec<Target>, StoreError> {
    let rows: Vec<(String, String)> = with_conn!(conn, |c| {
        deliveries::table
            .filter(deliveries::alert_id.eq(alert_id))
            .order((deliveries::created_at.asc(), deliveries::id.asc()))
            .select((deliveries::user_name, deliveries::channel))
            .load(c)
            .map_err(store_err)?
    });
    let mut out: Vec<Target> = Vec::new();
    for (user, def) in rows {
        let t = Target {
            user,
            channel: serde_json::from_str(&def).map_err(corrupt)?,
        };
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// One delivery with where it stands, for its acknowledgement link.
#[derive(Debug, Clone)]
pub struct DeliveryFound {
    pub record: DeliveryRecord,
    pub link_used_at: Option<DateTime<Utc>>,
}

pub fn delivery(conn: &mut AnyConn, id: &str) -> Result<Option<DeliveryFound>, StoreError> {
    let row: Option<DeliveryRow> = with_conn!(conn, |c| {
        deliveries::table
            .find(id)
            .select(DeliveryRow::as_select())
            .one(c)
            .map_err(store_err)?
    });
    row.map(|r| {
        let used = r.link_used_at.map(from_db);
        crate::db::write::deliveries::record(r)
            .map(|record| DeliveryFound {
                record,
                link_used_at: used,
            })
            .map_err(store_err)
    })
    .transpose()
}

/// One delivery as operators see it on an alert (no channel secret).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub id: String,
    pub change: String,
    pub user: String,
    pub channel: String,
    /// `pending`, `sent` or `failed`.
    pub state: String,
    pub attempts: i64,
    /// What the receiver answered to the last attempt (a status and an excerpt); operators
    /// only.
    pub last_error: Option<String>,
    /// When a pending delivery is tried next.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub fn for_alert(conn: &mut AnyConn, alert_id: &str) -> Result<Vec<DeliveryView>, StoreError> {
    let rows: Vec<DeliveryRow> = with_conn!(conn, |c| {
        deliveries::table
            .filter(deliveries::alert_id.eq(alert_id))
            .order((deliveries::created_at.asc(), deliveries::id.asc()))
            .select(DeliveryRow::as_select())
            .load(c)
            .map_err(store_err)?
    });
    rows.into_iter()
        .map(|r| {
            let subject = crate::db::write::deliveries::subject(&r).map_err(store_err)?;
            let change = subject.alert_change().ok_or_else(|| {
                crate::db::convert::corrupt(format!("delivery {} is not about an alert", r.id))
            })?;
            let next_attempt_at = (r.state == "pending").then(|| from_db(r.next_at));
            Ok(DeliveryView {
                id: r.id,
                change: change.key(),
                user: r.user_name,
                channel: r.channel_kind,
                state: r.state,
                attempts: r.attempts,
                last_error: r.last_error,
                next_attempt_at,
                created_at: from_db(r.created_at),
            })
        })
        .collect()
}

/// The delivery backlog operators watch.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct NotificationStats {
    /// Deliveries not yet sent (first attempts and retries).
    pub pending: i64,
    /// When the oldest of them was made.
    pub oldest_pending: Option<DateTime<Utc>>,
    /// Deliveries that gave up.
    pub failed: i64,
    pub sent: i64,
    /// Escalation recipients that reach nobody right now (no roster, or nobody on duty with a
    /// channel).
    pub unreachable_recipients: Vec<String>,
}

pub fn stats(
    conn: &mut AnyConn,
    recipients: &[String],
    now: DateTime<Utc>,
) -> Result<NotificationStats, StoreError> {
    let (by_state, oldest): (Vec<(String, i64)>, Option<i64>) = with_conn!(conn, |c| {
        let by_state = deliveries::table
            .group_by(deliveries::state)
            .select((deliveries::state, diesel::dsl::count_star()))
            .load(c)
            .map_err(store_err)?;
        let oldest = deliveries::table
            .filter(deliveries::state.eq("pending"))
            .select(diesel::dsl::min(deliveries::created_at))
            .get_result(c)
            .map_err(store_err)?;
        (by_state, oldest)
    });
    let count = |s: &str| by_state.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
    Ok(NotificationStats {
        pending: count("pending"),
        oldest_pending: oldest.map(from_db),
        failed: count("failed"),
        sent: count("sent"),
        unreachable_recipients: reach(conn, recipients, now)?.unreachable,
    })
}

/// What a notification says about its alert: the alert, the ticket, the score.
#[derive(Debug, Clone)]
pub struct NoticeFacts {
    pub alert: crate::app::views::alerts::AlertView,
    pub ticket: aegis_workflows::Ticket,
    pub score: Option<crate::app::views::workflows::ScoreView>,
    /// What is buried near the dig area, when it was screened.
    pub screening: Option<aegis_workflows::screening::Screening>,
    /// The standing rule that raised the alert, when the band did not.
    pub rule: Option<String>,
}

pub fn notice_facts(conn: &mut AnyConn, alert_id: &str) -> Result<Option<NoticeFacts>, StoreError> {
    use crate::db::rows::{AlertRow, ScoreRow};
    use crate::db::schema::{alerts, scores, tickets};
    let found: Option<(AlertRow, String, Option<ScoreRow>)> = with_conn!(conn, |c| {
        let Some(a) = alerts::table
            .find(alert_id)
            .select(AlertRow::as_select())
            .one(c)
            .map_err(store_err)?
        else {
            return Ok(None);
        };
        let ticket: Option<String> = tickets::table
            .find(&a.workflow_id)
            .select(tickets::ticket_json)
            .one(c)
            .map_err(store_err)?;
        let score = scores::table
            .find(&a.workflow_id)
            .select(ScoreRow::as_select())
            .one(c)
            .map_err(store_err)?;
        ticket.map(|t| (a, t, score))
    });
    let Some((a, ticket, score)) = found else {
        return Ok(None);
    };
    let screening = super::workflows::screening_of(conn, &a.workflow_id)?;
    let rule = super::workflows::raising_rule(conn, &a.workflow_id)?;
    Ok(Some(NoticeFacts {
        screening,
        rule,
        alert: super::alert_view(a)?,
        ticket: serde_json::from_str(&ticket).map_err(corrupt)?,
        score: score.map(super::score_view).transpose()?,
    }))
}
