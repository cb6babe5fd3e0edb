//! The center's daily summary (contract §9): the list of transmissions it sent a station that
//! day, read from the text its e-mail carries (USA North 811's layout) or from JSON, and
//! reconciled against what was received — in both directions, with the count checked.
//! Anything that is not a summary is refused with every problem named.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::notification::Audience;
use crate::problem::Problem;

/// The roster told when a center's summary lists tickets that never arrived.
pub const OPERATORS: &str = "operators";

/// One transmission the center lists.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Listed {
    pub ticket_number: String,
    pub revision: u32,
    /// `Original`, `AMND`, `Emergency`, `Cancelled`, …, as the center names it.
    #[serde(rename = "type", default)]
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub station: String,
    pub date: NaiveDate,
    pub tickets: Vec<Listed>,
    /// The center's own count (`TOTAL = NNNN`), which may disagree with the lines.
    pub total: u32,
}

/// A ticket and revision, as reconciliation compares them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TicketRef {
    pub ticket_number: String,
    pub revision: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciliation {
    pub listed: usize,
    pub total: u32,
    /// Listed but never received.
    pub missing: Vec<TicketRef>,
    /// Received that day but not listed.
    pub unexpected: Vec<TicketRef>,
    /// `TOTAL` differs from the lines listed.
    pub count_mismatch: bool,
}

/// Who must hear about a reconciliation: the `operators` roster when the center listed tickets
/// that never arrived — nobody has assessed those digs, and only the center can send them
/// again. Unlisted tickets and a wrong total are for the record (the list and the console), not
/// worth waking anyone.
pub fn audience(r: &Reconciliation) -> Option<Audience> {
    (!r.missing.is_empty()).then(|| Audience::Rosters(vec![OPERATORS.to_owned()]))
}

/// Compares the summary with what was received from the center (`received_any_day`: every
/// ticket ever received, so a ticket listed today that arrived late yesterday is not missing;
/// `received_that_day`: what arrived within the summary's day).
pub fn reconcile(
    summary: &Summary,
    received_any_day: &BTreeSet<TicketRef>,
    received_that_day: &BTreeSet<TicketRef>,
) -> Reconciliation {
    let listed: BTreeSet<TicketRef> = summary
        .tickets
        .iter()
        .map(|l| TicketRef {
            ticket_number: l.ticket_number.clone(),
            revision: l.revision,
        })
        .collect();
    Reconciliation {
        listed: summary.tickets.len(),
        total: summary.total,
        missing: listed.difference(received_any_day).cloned().collect(),
        unexpected: received_that_day.difference(&listed).cloned().collect(),
        count_mismatch: usize::try_from(summary.total).ok() != Some(summary.tickets.len()),
    }
}

/// Reads the summary as USA North 811's e-mail carries it: a `Station Code:` line, `Date:
/// MM/DD/YYYY`, one `TICKETNUMBER-REV - Type` line per transmission, `End of List`,
/// `TOTAL = NNNN`. Lines before the date (the e-mail's preamble) are ignored.
pub fn parse_text(body: &str) -> Result<Summary, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut station = None;
    let mut date = None;
    let mut tickets = Vec::new();
    let mut ended = false;
    let mut total = None;
    for (i, raw) in body.lines().enumerate() {
        let line = raw.trim();
        let at = format!("line {}", i + 1);
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("Station Code:") {
            let code = rest.split(" - ").next().unwrap_or("").trim();
            if code.is_empty() {
                problems.push(Problem::new(at, "required", "the station code is empty"));
            } else {
                station = Some(code.to_owned());
            }
        } else if let Some(rest) = line.strip_prefix("Date:") {
            match NaiveDate::parse_from_str(rest.trim(), "%m/%d/%Y") {
                Ok(d) => date = Some(d),
                Err(_) => problems.push(Problem::new(
                    at,
                    "invalid_format",
                    format!("'{}' is not a date as MM/DD/YYYY", rest.trim()),
                )),
            }
        } else if line.eq_ignore_ascii_case("End of List") {
            ended = true;
        } else if let Some(rest) = line.strip_prefix("TOTAL") {
            let n = rest.trim_start().strip_prefix('=').map(str::trim);
            match n.and_then(|n| n.parse::<u32>().ok()) {
                Some(n) => total = Some(n),
                None => problems.push(Problem::new(
                    at,
                    "invalid_format",
                    format!("the total '{}' is not a number", rest.trim()),
                )),
            }
        } else if date.is_some() && !ended {
            match parse_line(line) {
                Some(l) => tickets.push(l),
                None => problems.push(Problem::new(
                    at,
                    "invalid_format",
                    format!("'{line}' is not a transmission line (TICKETNUMBER-REV - Type)"),
                )),
            }
        }
        // Anything else before the date is the e-mail's preamble; after the list, its footer.
    }
    if station.is_none() {
        problems.push(Problem::new(
            "station",
            "required",
            "no 'Station Code:' line",
        ));
    }
    if date.is_none() && !problems.iter().any(|p| p.message.contains("MM/DD/YYYY")) {
        problems.push(Problem::new(
            "date",
            "required",
            "no 'Date: MM/DD/YYYY' line",
        ));
    }
    if !ended {
        problems.push(Problem::new("list", "required", "no 'End of List' line"));
    }
    if total.is_none() && !problems.iter().any(|p| p.message.contains("total")) {
        problems.push(Problem::new("total", "required", "no 'TOTAL = NNNN' line"));
    }
    match (station, date, total) {
        (Some(station), Some(date), Some(total)) if problems.is_empty() => Ok(Summary {
            station,
            date,
            tickets,
            total,
        }),
        _ => Err(problems),
    }
}

/// `2022051000008-001 - AMND`.
fn parse_line(line: &str) -> Option<Listed> {
    let (reference, kind) = line.split_once(" - ").map_or((line, ""), |(a, b)| (a, b));
    let (number, revision) = reference.trim().rsplit_once('-')?;
    let valid_number = !number.is_empty()
        && number.len() <= 32
        && number
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid_number || revision.is_empty() || !revision.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(Listed {
        ticket_number: number.to_owned(),
        revision: revision.parse().ok()?,
        kind: kind.trim().to_owned(),
    })
}

/// Checks a JSON summary once deserialized: a station, sane ticket references.
pub fn check(summary: &Summary) -> Result<(), Vec<Problem>> {
    let mut problems = Vec::new();
    if summary.station.trim().is_empty() {
        problems.push(Problem::new("station", "required", "the station is empty"));
    }
    for (i, t) in summary.tickets.iter().enumerate() {
        if t.ticket_number.trim().is_empty() || t.ticket_number.len() > 32 {
            problems.push(Problem::new(
                format!("tickets[{i}].ticket_number"),
                "invalid_format",
                "a ticket number is 1 to 32 characters",
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn operators_hear_of_missing_tickets_and_of_nothing_else() {
        let quiet = super::Reconciliation {
            listed: 2,
            total: 3,
            missing: vec![],
            unexpected: vec![super::TicketRef {
                ticket_number: "X".into(),
                revision: 0,
            }],
            count_mismatch: true,
        };
        assert_eq!(super::audience(&quiet), None);
        let missing = super::Reconciliation {
            missing: vec![super::TicketRef {
                ticket_number: "Y".into(),
                revision: 1,
            }],
            ..quiet
        };
        assert_eq!(
            super::audience(&missing),
            Some(super::Audience::Rosters(vec!["operators".into()]))
        );
    }

    use super::*;

    const EMPTY: &str = "Underground Service Alert - North 811\r\nPlease DO NOT REPLY TO THIS EMAIL.\r\n\r\nStation Code: TST811 - USA North 811 Test\r\n\r\nDate: 05/11/2022\r\n\r\n\r\nEnd of List\r\n\r\nTOTAL = 0000\r\n";

    fn r(n: &str, rev: u32) -> TicketRef {
        TicketRef {
            ticket_number: n.into(),
            revision: rev,
        }
    }

    #[test]
    fn the_centers_empty_summary_reads() {
        let s = parse_text(EMPTY).unwrap();
        assert_eq!(s.station, "TST811");
        assert_eq!(s.date, NaiveDate::from_ymd_opt(2022, 5, 11).unwrap());
        assert!(s.tickets.is_empty());
        assert_eq!(s.total, 0);
    }

    #[test]
    fn lines_are_reconciled_both_ways_and_the_count_checked() {
        let body = EMPTY.replace(
            "Date: 05/11/2022\r\n",
            "Date: 05/11/2022\r\n2022051000008-001 - AMND\r\n2022051000009-000 - Original\r\n",
        );
        let s = parse_text(&body.replace("TOTAL = 0000", "TOTAL = 0003")).unwrap();
        assert_eq!(s.tickets[0].kind, "AMND");
        let any: BTreeSet<_> = [r("2022051000009", 0), r("X1", 0)].into();
        let day: BTreeSet<_> = [r("2022051000009", 0), r("X1", 0)].into();
        let out = reconcile(&s, &any, &day);
        assert_eq!(out.missing, vec![r("2022051000008", 1)]);
        assert_eq!(out.unexpected, vec![r("X1", 0)]);
        assert!(out.count_mismatch);
    }

    #[test]
    fn what_is_not_a_summary_is_refused_with_every_problem() {
        let problems = parse_text("hello\nTOTAL = lots\n").unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert!(
            fields.contains(&"station") && fields.contains(&"date") && fields.contains(&"list")
        );
        assert!(
            problems
                .iter()
                .any(|p| p.message.contains("'= lots' is not a number"))
        );
        let garbage = EMPTY.replace(
            "Date: 05/11/2022\r\n",
            "Date: 05/11/2022\r\n<html>oops</html>\r\n",
        );
        let problems = parse_text(&garbage).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("not a transmission line"));
        assert!(parse_text(&EMPTY.replace("05/11/2022", "2022-05-11")).is_err());
    }
}
