//! Reading the document's sections other than the site and the times: the revision and the
//! ticket type from the header, the center's custom fields, the work, the excavator, the
//! members and the remarks.

use aegis_workflows::ticket::{ExcavationMethod, Excavator, TicketType, Work};
use serde_json::{Map, Value};

use super::Reader;
use crate::formats::lenient_json::{field, flag_of, number_of, section, text, text_of, texts_of};
use crate::formats::onecall;

impl Reader<'_> {
    /// `header.ticketVersion`, else a custom field the center keeps its version in, else 0.
    pub(super) fn revision(&mut self) -> u32 {
        let parse = |v: &Value| {
            number_of(v).filter(|n| *n >= 0.0 && n.fract() == 0.0 && *n <= f64::from(u32::MAX))
        };
        if let Some(v) = field(self.header, &["ticketVersion", "revision"]) {
            match parse(v) {
                Some(n) => return n as u32,
                None => self.warn(
                    "header.ticketVersion",
                    "invalid_format",
                    format!("ticketVersion {v} is not a whole number: read as the center's version field, else 0"),
                ),
            }
        }
        self.custom(&["version", "ticketVersion", "revision"])
            .and_then(parse)
            .map_or(0, |n| n as u32)
    }

    /// The first custom field with one of `names`, in any group (field lists are `fields` in
    /// 0.3–0.5, `fieldList` in 1.0); its value, when it has one.
    pub(super) fn custom(&self, names: &[&str]) -> Option<&Value> {
        let groups = field(self.doc, &["customFieldGroups", "customFieldGroupList"])?.as_array()?;
        let fields = groups
            .iter()
            .filter_map(Value::as_object)
            .filter_map(|g| field(g, &["fields", "fieldList"]).and_then(Value::as_array))
            .flatten()
            .filter_map(Value::as_object);
        for f in fields {
            let name = text(f, &["fieldName", "name"]).unwrap_or_default();
            if names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
                return field(f, &["value"]);
            }
        }
        None
    }

    /// The ticket type. A cancellation (in the standard type, the action or the status) is a
    /// cancellation whatever its priority. Otherwise the standard type — the center's own
    /// mapping to the national standard — decides when it maps; the priority (which only says
    /// how fast to process) and then the action or status (before 1.0) only when it does not,
    /// and the legal type last.
    pub(super) fn kind(&self) -> TicketType {
        let word = |k: &str| text(self.header, &[k]).map(|s| s.to_ascii_lowercase());
        let cancels = ["standardType", "action", "status"]
            .iter()
            .filter_map(|k| word(k))
            .any(|w| w.contains("cancel"));
        if cancels {
            return TicketType::Cancel;
        }
        word("standardType")
            .and_then(|w| standard_type(&w))
            .or_else(|| word("priority").and_then(|w| priority_type(&w)))
            .or_else(|| {
                ["action", "status"]
                    .iter()
                    .find_map(|k| word(k).and_then(|w| action_type(&w)))
            })
            .or_else(|| word("type").and_then(|w| standard_type(&w)))
            // Other, Damage, Resend…: the center's own words stay in `source_type` and the
            // raw payload.
            .unwrap_or(TicketType::Normal)
    }

    pub(super) fn work(&mut self) -> Work {
        let Some(p) = section(self.doc, &["project"]) else {
            return Work::default();
        };
        let boring = self.flag(p, "project", "isDirectionalBoring");
        let explosives = self.flag(p, "project", "isExplosives");
        let duration = field(p, &["duration"]);
        let duration_days = match duration {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) if !s.trim().is_empty() => {
                let d = crate::formats::text::duration_days(s);
                if d.is_none() {
                    self.warn(
                        "project.duration",
                        "invalid_format",
                        format!("project.duration '{}' names no length of time", s.trim()),
                    );
                }
                d
            }
            _ => None,
        };
        let stated = self
            .custom(&["workMainMethod", "excavationEquipment", "excavationMethod"])
            .and_then(text_of)
            .filter(|s| !s.eq_ignore_ascii_case("value"));
        let method = if boring == Some(true) {
            Some(ExcavationMethod::DirectionalDrilling)
        } else if explosives == Some(true) {
            Some(ExcavationMethod::Blasting)
        } else {
            stated.as_deref().map(onecall::method)
        };
        Work {
            kind: text(p, &["workType"]),
            activity: text(p, &["projectReference"]),
            method,
            depth_inches: None,
            depth_text: None,
            boring,
            explosives,
            vacuum: None,
            pavement_only: None,
            duration_days,
            done_for: text(p, &["workDoneFor"]),
        }
    }

    pub(super) fn flag(
        &mut self,
        s: &Map<String, Value>,
        section: &str,
        name: &str,
    ) -> Option<bool> {
        let v = field(s, &[name])?;
        let f = flag_of(v);
        if f.is_none() && text_of(v).is_some() {
            self.warn(
                &format!("{section}.{name}"),
                "invalid_type",
                format!("{section}.{name} {v} is not true or false"),
            );
        }
        f
    }

    pub(super) fn excavator(&self) -> Excavator {
        let Some(e) = section(self.doc, &["excavator"]) else {
            return Excavator::default();
        };
        // 1.0 lists contacts; earlier versions name the caller and the contact inline.
        let first_contact = field(e, &["contactList", "contacts"])
            .and_then(Value::as_array)
            .and_then(|l| l.iter().find_map(Value::as_object));
        let contact = |names: &[&str]| first_contact.and_then(|c| text(c, names));
        Excavator {
            name: text(e, &["callerName", "contactName"]).or_else(|| contact(&["name"])),
            company: text(e, &["name"]),
            kind: text(e, &["excavatorType"]).map(|t| onecall::excavator_type(&t)),
            id: None,
            phone: text(e, &["callerPhone", "contactPhone", "phoneNumber"])
                .or_else(|| contact(&["phone"])),
            email: text(e, &["callerEmail", "contactEmail"])
                .or_else(|| contact(&["email", "emailAddress"])),
        }
    }

    pub(super) fn members(&self) -> Vec<String> {
        let ids = texts_of(field(self.header, &["memberIds"]));
        if !ids.is_empty() {
            return ids;
        }
        field(self.doc, &["members", "memberList"])
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(Value::as_object)
                    .filter_map(|m| text(m, &["memberId", "memberCode"]))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(super) fn remarks(&self) -> Option<String> {
        let info = section(
            self.doc,
            &["locateInformation", "markingInformation", "locateInfo"],
        )?;
        let parts: Vec<String> = [
            text(info, &["locateInstructions", "markingInstructions"]),
            text(info, &["remarks"]),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty()).then(|| parts.join(" — "))
    }
}

fn has(w: &str, words: &[&str]) -> bool {
    words.iter().any(|x| w.contains(x))
}

/// The national standard types (the specification's list) and their spellings.
fn standard_type(w: &str) -> Option<TicketType> {
    if has(w, &["emergency"]) {
        Some(TicketType::Emergency)
    } else if has(w, &["short notice", "short-notice", "shortnotice"]) {
        Some(TicketType::ShortNotice)
    } else if has(w, &["no response", "noresponse", "no-response"]) {
        Some(TicketType::NoResponse)
    } else if has(w, &["design"]) {
        Some(TicketType::Design)
    } else if has(w, &["remark", "re-mark"]) {
        Some(TicketType::Remark)
    } else if has(w, &["update", "correction", "renew", "amend"]) {
        Some(TicketType::Update)
    } else if has(w, &["normal", "routine", "project", "regular"]) {
        Some(TicketType::Normal)
    } else {
        None
    }
}

/// What a priority says of the type: only urgency (`Normal` leaves it to the other fields).
fn priority_type(w: &str) -> Option<TicketType> {
    if has(w, &["emergency"]) {
        Some(TicketType::Emergency)
    } else if has(w, &["rush", "short notice", "short-notice", "shortnotice"]) {
        Some(TicketType::ShortNotice)
    } else {
        None
    }
}

/// What an action (a status before 1.0) says of the type: the notices that follow a ticket.
fn action_type(w: &str) -> Option<TicketType> {
    if has(
        w,
        &[
            "no response",
            "noresponse",
            "renotify",
            "re-notify",
            "2nd notice",
            "second notice",
            "late",
        ],
    ) {
        // Someone says the marks are still not there as digging is due.
        Some(TicketType::NoResponse)
    } else if has(w, &["remark", "re-mark", "relocate"]) {
        Some(TicketType::Remark)
    } else if has(w, &["update", "correction", "renew", "amend"]) {
        Some(TicketType::Update)
    } else if has(w, &["design"]) {
        Some(TicketType::Design)
    } else {
        None
    }
}
