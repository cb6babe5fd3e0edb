//! Reading dead letters: what nobody could read, and workflows whose retries ran out.

use aegis_actors::ports::StoreError;
use diesel::prelude::*;

use super::page::{Cursor, page};
use crate::app::views::dead_letters::DeadLetterView;
use crate::app::views::page::Page;
use crate::db::first_row::OneRow;
use crate::db::time::from_db;
use crate::db::{AnyConn, store_err};
use crate::with_conn;

pub fn dead_letter_view(r: crate::db::rows::DeadLetterRow) -> Result<DeadLetterView, StoreError> {
    use base64::Engine as _;
    let (payload, payload_encoding) = match String::from_utf8(r.payload.clone()) {
        Ok(s) => (s, "utf-8".to_owned()),
        Err(_) => (
            base64::engine::general_purpose::STANDARD.encode(&r.payload),
            "base64".to_owned(),
        ),
    };
    Ok(DeadLetterView {
        kind: crate::db::convert::dead_letter_kind(&r.kind)?,
        id: r.id,
        center: r.center,
        workflow_id: r.workflow_id,
        error: r.error,
        content_type: r.content_type,
        payload,
        payload_encoding,
        created_at: from_db(r.created_at),
        redriven_at: r.redriven_at.map(from_db),
        redriven_by: r.redriven_by,
        dismissed_at: r.dismissed_at.map(from_db),
        dismissed_by: r.dismissed_by,
        dismiss_reason: r.dismiss_reason,
    })
}

pub fn list_dead_letters(
    conn: &mut AnyConn,
    kind: Option<&str>,
    cursor: Option<&Cursor>,
    limit: usize,
) -> Result<Page<DeadLetterView>, StoreError> {
    use crate::db::rows::DeadLetterRow;
    use crate::db::schema::dead_letters;
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
    let items = rows
        .into_iter()
        .map(dead_letter_view)
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(page(items, limit, |d: &DeadLetterView| Cursor {
        at: d.created_at.timestamp_micros(),
        id: d.id.clone(),
    }))
}

pub fn dead_letter(
    conn: &mut AnyConn,
    id: &str,
) -> Result<Option<crate::db::rows::DeadLetterRow>, StoreError> {
    use crate::db::rows::DeadLetterRow;
    use crate::db::schema::dead_letters;
    Ok(with_conn!(conn, |c| {
        dead_letters::table
            .find(id)
            .select(DeadLetterRow::as_select())
            .one(c)
            .map_err(store_err)?
    }))
}
