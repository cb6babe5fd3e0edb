//! Open Ticket Standard deliveries (contract §11; `openticket/Open-Ticket-Specification.md`):
//! a ticket as one JSON document of sections (`header`, `workSite`, `geography`, `timeLine`, …).
//!
//! Real deliveries differ from the specification and from each other, so the document is read
//! leniently: keys are matched without case and under each format version's name (0.3's
//! `workSiteWkt`, 1.0's `geometry.workSiteArea`, …); numbers and booleans may be strings;
//! times may lack a zone (read in the center's), come as `YYYY/MM/DD…` or `MM/DD/YYYY`, or be
//! empty; latitude and longitude may be swapped; WKT may carry text after the geometry; the
//! JSON may carry trailing commas. Each such repair is a warning on the ticket. A document is
//! refused only when it is not a ticket (400) or its ticket cannot be identified or placed
//! (409), with the specification's error document.

mod center_says;
mod document;
mod geojson;
mod refusal;
mod sections;
mod site;
mod times;

pub use center_says::{Attachment, CenterSays, ResponseEntry, center_says};
pub use document::to_document;
pub use refusal::{ErrorItem, Refused, RefusedAs};

use aegis_workflows::Problem;
use aegis_workflows::ticket::{IdentityError, Ticket, check_ticket_number};
use serde_json::{Map, Value};

use super::lenient_json::{field, flag_of, number_of, section, text, without_trailing_commas};
use super::{ParseError, Parsed};

/// The format versions whose field names this reader knows.
const KNOWN_VERSIONS: [&str; 4] = ["0.3", "0.4", "0.5", "1.0"];

/// What the reader needs to know about the center besides the document.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// The zone times without one are read in (`centers.<CODE>.timezone`).
    pub tz: chrono_tz::Tz,
}

/// Parses an Open Ticket webhook body.
pub fn parse(body: &[u8], cx: Context) -> Result<Parsed, ParseError> {
    let text = std::str::from_utf8(body).map_err(|_| {
        refused(Refused::not_a_ticket(
            None,
            "INVALID_JSON",
            "the body is not UTF-8 text",
        ))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut problems = Vec::new();
    let doc: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(first) => {
            let repaired = without_trailing_commas(text);
            match serde_json::from_str(&repaired) {
                Ok(v) if repaired.len() != text.len() => {
                    problems.push(Problem::new(
                        "",
                        "invalid_format",
                        "the JSON has trailing commas (read as if it had none)",
                    ));
                    v
                }
                _ => {
                    return Err(refused(Refused::not_a_ticket(
                        None,
                        "INVALID_JSON",
                        format!("the body is not JSON: {first}"),
                    )));
                }
            }
        }
    };
    let Value::Object(doc) = doc else {
        return Err(refused(Refused::not_a_ticket(
            None,
            "INVALID_JSON",
            "the body must be a JSON object",
        )));
    };
    let Some(header) = section(&doc, &["header"]) else {
        return Err(refused(Refused::not_a_ticket(
            Some("header"),
            "MISSING_REQUIRED_FIELD",
            "an Open Ticket has a header section; this document has none",
        )));
    };
    Reader {
        doc: &doc,
        header,
        cx,
        problems,
    }
    .read()
}

fn refused(r: Refused) -> ParseError {
    ParseError::OpenTicket(Box::new(r))
}

struct Reader<'a> {
    doc: &'a Map<String, Value>,
    header: &'a Map<String, Value>,
    cx: Context,
    problems: Vec<Problem>,
}

impl Reader<'_> {
    fn warn(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.problems.push(Problem::new(field, code, message));
    }

    fn read(mut self) -> Result<Parsed, ParseError> {
        let version = text(self.header, &["formatVersion", "version"]).unwrap_or_default();
        self.check_version(&version);
        let number = self.ticket_number(&version)?;
        let revision = self.revision();
        let kind = self.kind();
        let source_type = text(self.header, &["type"]);
        let is_test = field(self.header, &["isTest"]).and_then(flag_of) == Some(true);
        let times = self.timeline();
        let work = self.work();
        let excavator = self.excavator();
        let location = self.location();
        let members = self.members();
        let remarks = self.remarks();
        let sequence = self.sequence();
        let ticket = Ticket {
            ticket_number: number.clone(),
            revision,
            kind: Some(kind),
            source_type,
            submitted_at: times.submitted,
            work_begin_at: times.work_begin,
            legal_start_at: times.legal_start,
            expires_at: times.expires,
            response_due_at: times.response_due,
            excavator,
            work,
            location,
            members,
            remarks,
            is_test,
            parse_problems: self.problems,
        };
        if !aegis_workflows::validation::placeable(&ticket) {
            return Err(refused(Refused {
                kind: RefusedAs::Unusable,
                ticket_number: number,
                format_version: version,
                errors: vec![ErrorItem {
                    field: Some("geography".into()),
                    error: "MISSING_GEOMETRY".into(),
                    message: "the ticket has no work-site polygon, no point in range and no street address: it cannot be placed".into(),
                }],
            }));
        }
        Ok(Parsed {
            ticket,
            delivery_id: None,
            sequence,
        })
    }

    fn check_version(&mut self, version: &str) {
        if !KNOWN_VERSIONS.contains(&normalize_version(version).as_str()) {
            self.warn(
                "header.formatVersion",
                "unknown_value",
                format!(
                    "format version '{version}' is not one of {}: read with the names of all of them",
                    KNOWN_VERSIONS.join(", ")
                ),
            );
        }
    }

    /// `header.ticketNumber`, or the error document that says why the ticket has none usable.
    fn ticket_number(&self, version: &str) -> Result<String, ParseError> {
        let number = text(self.header, &["ticketNumber", "ticketNo", "number"]);
        let identity = match number.as_deref() {
            None => Err(IdentityError::MissingNumber),
            Some(n) => check_ticket_number(n).map(|()| n.to_owned()),
        };
        identity.map_err(|e| {
            let (code, message) = match e {
                IdentityError::MissingNumber => (
                    "MISSING_REQUIRED_FIELD",
                    "header.ticketNumber is required".to_owned(),
                ),
                _ if number.as_deref().is_some_and(|n| n.len() > 32) => (
                    "FIELD_TOO_LONG",
                    "header.ticketNumber is longer than the 32 characters Aegis keys tickets by"
                        .to_owned(),
                ),
                _ => ("INVALID_DATA_TYPE", e.to_string()),
            };
            refused(Refused {
                kind: RefusedAs::Unusable,
                ticket_number: number.clone().unwrap_or_default(),
                format_version: version.to_owned(),
                errors: vec![ErrorItem {
                    field: Some("header.ticketNumber".into()),
                    error: code.into(),
                    message,
                }],
            })
        })
    }

    /// `header.sequence` under the center's name, for gap detection.
    fn sequence(&self) -> Option<(String, u64)> {
        let n = field(self.header, &["sequence"])
            .and_then(number_of)
            .filter(|n| *n >= 0.0 && n.fract() == 0.0)
            // A sequence beyond u64 is not tracked.
            .map(|n| n as u64)?;
        let station = text(self.header, &["centerName"])
            .filter(|s| s.len() <= 64)
            .unwrap_or_else(|| "openticket".into());
        Some((station, n))
    }
}

/// Reads "1.0", ".3", "0.5 " and "1" as "1.0", "0.3", "0.5" and "1.0".
fn normalize_version(v: &str) -> String {
    let v = v.trim();
    let v = if v.starts_with('.') {
        format!("0{v}")
    } else {
        v.to_owned()
    };
    if v.contains('.') { v } else { format!("{v}.0") }
}

#[cfg(test)]
mod tests;
