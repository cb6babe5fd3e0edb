//! A center's daily summary as it arrives (contract §9): USA North 811's e-mail text, or JSON
//! `{"station", "date", "tickets", "total"}`; read into the domain's [`Summary`], or every
//! problem that stands in the way.

use aegis_workflows::Problem;
use aegis_workflows::daily_summary::{self, Listed, Summary};
use chrono::NaiveDate;
use serde::Deserialize;

/// A summary as JSON: `date` as `YYYY-MM-DD` (or the e-mail's `MM/DD/YYYY`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SummaryBody {
    #[schema(min_length = 1, pattern = r"\S")]
    pub station: String,
    /// `YYYY-MM-DD` (the e-mail's `MM/DD/YYYY` is read too).
    #[schema(format = Date)]
    pub date: String,
    #[schema(value_type = Vec<ListedSchema>)]
    pub tickets: Vec<Listed>,
    // utoipa calls a u32 `int32`, which reads as at most 2^31 - 1: the range is given whole.
    #[schema(format = Int64, minimum = 0, maximum = 4_294_967_295_f64)]
    pub total: u32,
}

/// One transmission a summary lists, as the OpenAPI document describes it (the domain's
/// [`Listed`] is what it is read into).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ListedSchema {
    #[schema(min_length = 1, max_length = 32, pattern = r"\S")]
    ticket_number: String,
    #[schema(format = Int64, minimum = 0, maximum = 4_294_967_295_f64)]
    revision: u32,
    /// `Original`, `AMND`, `Emergency`, …, as the center names it.
    r#type: Option<String>,
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%m/%d/%Y"))
        .ok()
}

/// The summary in `body`, sent as `content_type` (`application/json` or `text/plain`).
pub fn parse(content_type: &str, body: &[u8]) -> Result<Summary, Vec<Problem>> {
    if content_type == "application/json" {
        let b: SummaryBody = serde_json::from_slice(body).map_err(|e| {
            vec![Problem::new(
                "body",
                "invalid_format",
                format!("not a summary: {e}"),
            )]
        })?;
        let date = parse_date(&b.date).ok_or_else(|| {
            vec![Problem::new(
                "date",
                "invalid_format",
                format!("'{}' is not a date as YYYY-MM-DD", b.date),
            )]
        })?;
        let s = Summary {
            station: b.station,
            date,
            tickets: b.tickets,
            total: b.total,
        };
        daily_summary::check(&s)?;
        Ok(s)
    } else {
        let text = std::str::from_utf8(body).map_err(|_| {
            vec![Problem::new(
                "body",
                "invalid_format",
                "the text is not UTF-8",
            )]
        })?;
        daily_summary::parse_text(text)
    }
}
