//! The native JSON ticket of contract §1a. Unknown fields are ignored (they stay in the raw
//! payload); fields of the wrong type become parse problems that validation reports, so a
//! ticket that names itself is always accepted and, if broken, ends `rejected` with reasons.

use aegis_workflows::Problem;
use aegis_workflows::ticket::{
    ExcavationMethod, Excavator, ExcavatorType, IdentityError, Location, Ticket, TicketType, Work,
    check_ticket_number,
};
use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use super::{ParseError, Parsed};

/// Parses a native ticket body.
pub fn parse(body: &[u8]) -> Result<Parsed, ParseError> {
    let text = std::str::from_utf8(body).map_err(|_| ParseError::NotUtf8)?;
    let value: Value =
        serde_json::from_str(text).map_err(|e| ParseError::NotJson(e.to_string()))?;
    let Value::Object(obj) = value else {
        return Err(ParseError::NotAnObject);
    };
    Ok(Parsed {
        ticket: from_object(&obj)?,
        delivery_id: None,
        sequence: None,
    })
}

/// Reads the identity (number and revision) strictly: without it nothing can be stored.
fn identity(obj: &Map<String, Value>) -> Result<(String, u32), IdentityError> {
    let number = match obj.get("ticket_number") {
        None | Some(Value::Null) => return Err(IdentityError::MissingNumber),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(IdentityError::BadNumber),
    };
    check_ticket_number(&number)?;
    let revision = match obj.get("revision") {
        None | Some(Value::Null) => return Err(IdentityError::MissingRevision),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .ok_or(IdentityError::BadRevision)?,
        Some(_) => return Err(IdentityError::BadRevision),
    };
    Ok((number, revision))
}

pub fn from_object(obj: &Map<String, Value>) -> Result<Ticket, ParseError> {
    let (ticket_number, revision) = identity(obj)?;
    let mut problems = Vec::new();
    let mut r = Reader {
        obj,
        path: "",
        problems: &mut problems,
    };
    let types: Vec<&str> = TicketType::ALL.iter().map(|t| t.as_str()).collect();
    let kind = r.choice("type", TicketType::parse, &types.join(", "));
    let submitted_at = r.time("submitted_at");
    let work_begin_at = r.time("work_begin_at");
    let legal_start_at = r.time("legal_start_at");
    let expires_at = r.time("expires_at");
    let response_due_at = r.time("response_due_at");
    let members = r.strings("members");
    let remarks = r.string("remarks");
    let excavator = r
        .section("excavator", "excavator.")
        .map_or_else(Excavator::default, |mut e| excavator(&mut e));
    let work = r
        .section("work", "work.")
        .map_or_else(Work::default, |mut w| work(&mut w));
    let location = r
        .section("location", "location.")
        .map_or_else(Location::default, |mut l| location(&mut l));
    Ok(Ticket {
        ticket_number,
        revision,
        kind,
        source_type: None,
        submitted_at,
        work_begin_at,
        legal_start_at,
        expires_at,
        response_due_at,
        excavator,
        work,
        location,
        members,
        remarks,
        is_test: false,
        parse_problems: problems,
    })
}

fn excavator(e: &mut Reader<'_, '_>) -> Excavator {
    Excavator {
        name: e.string("name"),
        company: e.string("company"),
        kind: e.choice(
            "type",
            ExcavatorType::parse,
            "contractor, homeowner, municipality, utility, railroad, other",
        ),
        id: e.string("id"),
        phone: e.string("phone"),
        email: e.string("email"),
    }
}

fn work(w: &mut Reader<'_, '_>) -> Work {
    Work {
        kind: w.string("type"),
        activity: w.string("activity"),
        method: w.choice(
            "method",
            ExcavationMethod::parse,
            "hand, backhoe, trencher, auger, directional_drilling, boring, vacuum, blasting, other",
        ),
        depth_inches: w.number("depth_inches"),
        depth_text: None,
        boring: w.boolean("boring"),
        explosives: w.boolean("explosives"),
        vacuum: w.boolean("vacuum"),
        pavement_only: w.boolean("pavement_only"),
        duration_days: w.number("duration_days"),
        done_for: w.string("done_for"),
    }
}

fn location(l: &mut Reader<'_, '_>) -> Location {
    Location {
        state: l.string("state"),
        county: l.string("county"),
        city: l.string("city"),
        address: l.string("address"),
        cross_street: l.string("cross_street"),
        latitude: l.number("latitude"),
        longitude: l.number("longitude"),
        polygon_wkt: l.string("polygon_wkt"),
        buffer_wkt: None,
    }
}

/// Reads typed fields from one JSON object, noting what does not fit.
struct Reader<'a, 'p> {
    obj: &'a Map<String, Value>,
    path: &'static str,
    problems: &'p mut Vec<Problem>,
}

impl<'a> Reader<'a, '_> {
    fn field(&self, key: &str) -> String {
        format!("{}{key}", self.path)
    }

    fn wrong(&mut self, key: &str, code: &str, what: &str) {
        let field = self.field(key);
        let message = format!("{field} must be {what}");
        self.problems.push(Problem::new(field, code, message));
    }

    /// The value, treating `null` as absent.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.obj.get(key).filter(|v| !v.is_null())
    }

    fn string(&mut self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.wrong(key, "invalid_type", "a string");
                None
            }
        }
    }

    fn number(&mut self, key: &str) -> Option<f64> {
        match self.get(key)? {
            Value::Number(n) => match n.as_f64().filter(|v| v.is_finite()) {
                Some(v) => Some(v),
                None => {
                    self.wrong(key, "out_of_range", "a finite number");
                    None
                }
            },
            _ => {
                self.wrong(key, "invalid_type", "a number");
                None
            }
        }
    }

    fn boolean(&mut self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.wrong(key, "invalid_type", "true or false");
                None
            }
        }
    }

    fn time(&mut self, key: &str) -> Option<DateTime<FixedOffset>> {
        let s = self.string(key)?;
        match DateTime::parse_from_rfc3339(&s) {
            Ok(t) => Some(t),
            Err(_) => {
                self.wrong(key, "invalid_format", "an RFC 3339 time with a UTC offset");
                None
            }
        }
    }

    fn choice<T>(&mut self, key: &str, parse: fn(&str) -> Option<T>, allowed: &str) -> Option<T> {
        let s = self.string(key)?;
        match parse(&s) {
            Some(v) => Some(v),
            None => {
                self.wrong(key, "unknown_value", &format!("one of: {allowed}"));
                None
            }
        }
    }

    fn strings(&mut self, key: &str) -> Vec<String> {
        match self.get(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        _ => self.wrong(&format!("{key}[{i}]"), "invalid_type", "a string"),
                    }
                }
                out
            }
            Some(_) => {
                self.wrong(key, "invalid_type", "an array of strings");
                Vec::new()
            }
        }
    }

    fn object(&mut self, key: &str, required: bool) -> Option<&'a Map<String, Value>> {
        match self.get(key) {
            Some(Value::Object(o)) => Some(o),
            Some(_) => {
                self.wrong(key, "invalid_type", "an object");
                None
            }
            None => {
                if required {
                    self.problems.push(Problem::required(self.field(key)));
                }
                None
            }
        }
    }

    /// A required section (`excavator.`, `work.`, …) read by a reader of its own, whose
    /// problems join this one's.
    fn section<'s>(&'s mut self, key: &str, path: &'static str) -> Option<Reader<'a, 's>> {
        let obj = self.object(key, true)?;
        Some(Reader {
            obj,
            path,
            problems: self.problems,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aegis_workflows::validation::problems;

    const NORMAL: &str = include_str!("../../tests/fixtures/normal.json");
    const INVALID: &str = include_str!("../../tests/fixtures/invalid-rejected.json");
    const EMERGENCY: &str =
        include_str!("../../tests/fixtures/emergency-directional-drilling.json");

    #[test]
    fn the_contract_examples_parse() {
        let t = parse(NORMAL.as_bytes()).unwrap().ticket;
        assert_eq!(t.ticket_number, "2026112200001");
        assert_eq!(t.kind, Some(TicketType::Normal));
        assert_eq!(t.work.method, Some(ExcavationMethod::Auger));
        assert_eq!(t.members.len(), 3);
        assert_eq!(problems(&t), vec![]);
        let e = parse(EMERGENCY.as_bytes()).unwrap().ticket;
        assert_eq!(e.work.method, Some(ExcavationMethod::DirectionalDrilling));
        assert!(e.location.polygon_wkt.is_some());
        assert_eq!(problems(&e), vec![]);
    }

    #[test]
    fn the_invalid_example_is_identified_with_every_reason() {
        let t = parse(INVALID.as_bytes()).unwrap().ticket;
        let fields: Vec<String> = problems(&t).into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            vec![
                "legal_start_at",
                "excavator.name",
                "work.depth_inches",
                "location.state",
                "location.latitude",
                "members"
            ]
        );
    }

    #[test]
    fn unidentifiable_bodies_are_errors() {
        for (body, want) in [
            (&b"\xff\xfe"[..], ParseError::NotUtf8),
            (b"[1,2]", ParseError::NotAnObject),
            (
                b"{}",
                ParseError::Unidentified(IdentityError::MissingNumber),
            ),
            (
                br#"{"ticket_number":"a b","revision":0}"#,
                ParseError::Unidentified(IdentityError::BadNumber),
            ),
            (
                br#"{"ticket_number":"A1"}"#,
                ParseError::Unidentified(IdentityError::MissingRevision),
            ),
            (
                br#"{"ticket_number":"A1","revision":-1}"#,
                ParseError::Unidentified(IdentityError::BadRevision),
            ),
            (
                br#"{"ticket_number":"A1","revision":1e30}"#,
                ParseError::Unidentified(IdentityError::BadRevision),
            ),
        ] {
            assert_eq!(
                parse(body).unwrap_err(),
                want,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert!(matches!(
            parse(b"{\"ticket_number\":"),
            Err(ParseError::NotJson(_))
        ));
        let deep = "[".repeat(10_000);
        assert!(matches!(
            parse(deep.as_bytes()),
            Err(ParseError::NotJson(_))
        ));
    }

    #[test]
    fn wrong_types_become_problems_not_errors() {
        let body =
            br#"{"ticket_number":"A1","revision":0,"type":"weird","submitted_at":"yesterday",
            "excavator":"bob","work":{"depth_inches":"deep","boring":"yes"},
            "location":{"latitude":1e308,"longitude":2},"members":["A",3]}"#;
        let t = parse(body).unwrap().ticket;
        let fields: Vec<&str> = t.parse_problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "type",
                "submitted_at",
                "members[1]",
                "excavator",
                "work.depth_inches",
                "work.boring"
            ]
        );
        assert!(!problems(&t).is_empty());
    }

    mod fuzz {
        use super::super::parse;
        use aegis_workflows::validation::problems;
        use proptest::prelude::*;

        fn json_value() -> impl Strategy<Value = serde_json::Value> {
            let leaf = prop_oneof![
                Just(serde_json::Value::Null),
                any::<bool>().prop_map(serde_json::Value::from),
                any::<f64>().prop_map(serde_json::Value::from),
                any::<i64>().prop_map(serde_json::Value::from),
                ".{0,12}".prop_map(serde_json::Value::from),
            ];
            leaf.prop_recursive(4, 32, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                    prop::collection::hash_map(
                        prop_oneof![
                            Just("ticket_number".to_owned()),
                            Just("revision".to_owned()),
                            Just("type".to_owned()),
                            Just("excavator".to_owned()),
                            Just("work".to_owned()),
                            Just("location".to_owned()),
                            Just("members".to_owned()),
                            Just("submitted_at".to_owned()),
                            "[a-z_]{1,10}",
                        ],
                        inner,
                        0..8
                    )
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2_000))]

            /// Any bytes at all: an answer, never a panic.
            #[test]
            fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
                let _ = parse(&body);
            }

            /// Any JSON shaped like a ticket: either unidentifiable, or a ticket whose
            /// validation runs to the end.
            #[test]
            fn ticket_shaped_json_parses_or_is_refused(mut v in json_value(), n in "[A-Z0-9]{1,10}", rev in 0u32..5) {
                if let serde_json::Value::Object(m) = &mut v {
                    m.insert("ticket_number".into(), n.into());
                    m.insert("revision".into(), rev.into());
                }
                if let Ok(p) = parse(v.to_string().as_bytes()) {
                    let _ = problems(&p.ticket);
                    prop_assert_eq!(p.ticket.revision, rev);
                }
            }
        }
    }
}
