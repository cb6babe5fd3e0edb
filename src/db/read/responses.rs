//! Reading positive responses: the latest one of a workflow, as its read-back shows it
//! (`response.state` pending, posted or rejected, with the code and the center's reason).

use aegis_actors::ports::StoreError;
use diesel::prelude::*;

use crate::app::views::responses::ResponseView;
use crate::db::first_row::OneRow;
use crate::db::rows::ResponseRow;
use crate::db::schema::responses;
use crate::db::time::from_db;
use crate::db::{AnyConn, store_err};
use crate::with_conn;

pub fn latest(conn: &mut AnyConn, workflow_id: &str) -> Result<Option<ResponseView>, StoreError> {
    let row: Option<ResponseRow> = with_conn!(conn, |c| responses::table
        .filter(responses::workflow_id.eq(workflow_id))
        .order((responses::created_at.desc(), responses::id.desc()))
        .select(ResponseRow::as_select())
        .one(c))
    .map_err(store_err)?;
    Ok(row.map(|r| ResponseView {
        at: from_db(if r.state == "pending" {
            r.created_at
        } else {
            r.updated_at
        }),
        id: r.id,
        state: r.state,
        code: r.code,
        station: r.station,
        account: r.account,
        note: r.note,
        attempts: r.attempts,
        error: r.last_error,
    }))
}

/// Whether the center accepted a response for the workflow.
pub fn posted(conn: &mut AnyConn, workflow_id: &str) -> Result<bool, StoreError> {
    let n: i64 = with_conn!(conn, |c| responses::table
        .filter(responses::workflow_id.eq(workflow_id))
        .filter(responses::state.eq("posted"))
        .count()
        .get_result(c))
    .map_err(store_err)?;
    Ok(n > 0)
}
