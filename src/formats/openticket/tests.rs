//! The Open Ticket reader against the published samples and one variant per quirk
//! (`tests/fixtures/openticket/`, expectations in its `expected.json`).

use super::site::geometry_text;
use super::times::read_time;
use super::*;
use aegis_workflows::geometry::DigArea;
use aegis_workflows::geometry::Polygon;
use aegis_workflows::ticket::{ExcavationMethod, TicketType};
use aegis_workflows::validation::validate;
use chrono::{DateTime, FixedOffset};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openticket");

fn cx() -> Context {
    Context {
        tz: chrono_tz::America::New_York,
    }
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
}

fn time(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

#[test]
fn every_sample_and_variant_reads_as_expected() {
    let expected: serde_json::Map<String, Value> =
        serde_json::from_slice(&read("expected.json")).unwrap();
    assert!(expected.len() >= 24, "the regression set shrank");
    for (file, want) in &expected {
        let p = parse(&read(file), cx()).unwrap_or_else(|e| panic!("{file}: {e}"));
        let t = &p.ticket;
        let ctx = format!("{file}: {t:#?}");
        assert_eq!(
            t.ticket_number,
            want["ticket_number"].as_str().unwrap(),
            "{ctx}"
        );
        assert_eq!(
            u64::from(t.revision),
            want["revision"].as_u64().unwrap(),
            "{ctx}"
        );
        assert_eq!(
            t.kind.map(TicketType::as_str),
            want["type"].as_str(),
            "{ctx}"
        );
        assert_eq!(
            t.is_test,
            want.get("is_test") == Some(&Value::Bool(true)),
            "{ctx}"
        );
        // Placed where it really is: the dig area and the point both.
        let place = want["place"].as_array().unwrap();
        let (lon, lat) = (place[0].as_f64().unwrap(), place[1].as_f64().unwrap());
        let (alon, alat) = DigArea::of(&t.location).unwrap().anchor();
        assert!(
            (alon - lon).abs() < 0.002 && (alat - lat).abs() < 0.002,
            "{file}: dig area at {alon},{alat}"
        );
        let (plon, plat) = (t.location.longitude.unwrap(), t.location.latitude.unwrap());
        assert!(
            (plon - lon).abs() < 0.002 && (plat - lat).abs() < 0.002,
            "{file}: point at {plon},{plat}"
        );
        // Nothing a center sends here is an error: at most warnings.
        let v = validate(t);
        assert!(!v.rejects(), "{file}: {:?}", v.errors);
        let codes: Vec<&str> = t.parse_problems.iter().map(|p| p.code.as_str()).collect();
        for w in want["warnings"].as_array().unwrap() {
            assert!(
                codes.contains(&w.as_str().unwrap()),
                "{file}: no {w} in {codes:?}"
            );
        }
        if want["warnings"].as_array().unwrap().is_empty() {
            assert!(
                t.parse_problems.is_empty(),
                "{file}: {:?}",
                t.parse_problems
            );
        }
        if let Some(n) = want.get("sequence") {
            assert_eq!(p.sequence.as_ref().map(|s| s.1), n.as_u64(), "{file}");
        }
        if let Some(d) = want.get("duration_days") {
            assert_eq!(t.work.duration_days, d.as_f64(), "{file}");
        }
        for (key, got) in [
            ("submitted_at", t.submitted_at),
            ("legal_start_at", t.legal_start_at),
            ("expires_at", t.expires_at),
            ("response_due", t.response_due_at),
        ] {
            match want.get(key) {
                Some(Value::Null) => assert_eq!(got, None, "{file} {key}"),
                Some(Value::String(s)) => {
                    let g = got.unwrap_or_else(|| panic!("{file}: no {key}"));
                    assert_eq!(g, time(s), "{file} {key}");
                    assert_eq!(
                        g.offset(),
                        time(s).offset(),
                        "{file} {key}: the center's zone"
                    );
                }
                _ => {}
            }
        }
        if let Some(n) = want.get("polygons") {
            let ps = Polygon::parse_all(t.location.polygon_wkt.as_deref().unwrap()).unwrap();
            assert_eq!(ps.len() as u64, n.as_u64().unwrap(), "{file}");
        }
        if let Some(n) = want.get("buffers") {
            let ps = Polygon::parse_all(t.location.buffer_wkt.as_deref().unwrap()).unwrap();
            assert_eq!(ps.len() as u64, n.as_u64().unwrap(), "{file}");
        }
        if let Some(m) = want.get("method") {
            assert_eq!(
                t.work.method.map(ExcavationMethod::as_str),
                m.as_str(),
                "{file}"
            );
        }
        if let Some(b) = want.get("boring") {
            assert_eq!(t.work.boring, b.as_bool(), "{file}");
        }
        if let Some(b) = want.get("explosives") {
            assert_eq!(t.work.explosives, b.as_bool(), "{file}");
        }
        if let Some(n) = want.get("excavator") {
            assert_eq!(t.excavator.name.as_deref(), n.as_str(), "{file}");
        }
    }
}

#[test]
fn the_georgia_sample_is_read_field_by_field() {
    let p = parse(&read("GA-240222-001001.json"), cx()).unwrap();
    let t = p.ticket;
    assert_eq!(p.sequence, Some(("GA811".to_owned(), 7)));
    assert_eq!(t.source_type.as_deref(), Some("Normal"));
    assert_eq!(t.submitted_at, Some(time("2024-02-22T16:35:37.193-05:00")));
    assert_eq!(t.legal_start_at, Some(time("2024-02-27T07:00:00-05:00")));
    // GA811 keeps the response deadline among its custom fields.
    assert_eq!(t.response_due_at, Some(time("2024-02-26T23:59:00-05:00")));
    assert_eq!(t.location.state.as_deref(), Some("GA"));
    assert_eq!(t.location.city.as_deref(), Some("DULUTH"));
    assert_eq!(t.location.address.as_deref(), Some("3900 Tree Summit Pkwy"));
    assert_eq!(
        t.location.cross_street.as_deref(),
        Some("Summit Ridge Pkwy")
    );
    assert!(
        t.location
            .buffer_wkt
            .as_deref()
            .unwrap()
            .starts_with("POLYGON((")
    );
    assert_eq!(t.excavator.company.as_deref(), Some("Andy's Septic"));
    assert_eq!(t.excavator.email.as_deref(), Some("andy@andyseptic.com"));
    assert_eq!(t.work.kind.as_deref(), Some("replacing septic field lines"));
    assert_eq!(t.work.done_for.as_deref(), Some("John Smith"));
    assert_eq!(t.work.boring, Some(false));
    assert_eq!(t.members, vec!["GAUPC"]);
    assert!(
        t.remarks
            .as_deref()
            .unwrap()
            .starts_with("LOCATE THE FRONT")
    );
}

#[test]
fn what_the_center_says_comes_back_as_it_labels_it() {
    let pa = center_says(&read("PA811-Routine.json"));
    let (label, fields) = &pa.groups[0];
    assert_eq!(label, "PA811 Header");
    assert!(fields.contains(&(
        "ACTIONTYPE (CANCEL, NEW, RENOTIFY, UPDATE)".to_owned(),
        "NEW".to_owned()
    )));
    assert_eq!(pa.groups.len(), 8);
    assert_eq!(pa.responses[1].code, "003");
    assert_eq!(pa.responses[1].description, "FIELD MARKED.");
    let sample = center_says(&read("open-ticket-sample.json"));
    assert_eq!(sample.attachments.len(), 2);
    assert_eq!(sample.attachments[0].name, "Satellite");
    assert!(sample.attachments[0].embedded_chars > 0);
    assert_eq!(sample.responses[0].code, "LATE");
    // 1.0 names its lists differently.
    let v10 = center_says(&read("format-1.0-names.json"));
    assert_eq!(v10.groups[0].0, "Time Line");
    assert_eq!(
        v10.attachments[0].uri.as_deref(),
        Some("https://media.example.org/240222-900001.png")
    );
    assert!(center_says(b"not json").is_empty());
}

fn refusal(body: &[u8]) -> Refused {
    match parse(body, cx()) {
        Err(ParseError::OpenTicket(r)) => *r,
        other => panic!("not refused: {other:?}"),
    }
}

#[test]
fn what_is_not_a_ticket_and_what_cannot_be_identified_or_placed_are_refused_apart() {
    let r = refusal(b"{\"header\": ");
    assert_eq!(
        (r.kind, r.errors[0].error.as_str()),
        (RefusedAs::NotATicket, "INVALID_JSON")
    );
    let r = refusal(b"[1, 2]");
    assert_eq!(r.kind, RefusedAs::NotATicket);
    let r = refusal(br#"{"workSite": {}}"#);
    assert_eq!(
        (r.kind, r.errors[0].field.as_deref()),
        (RefusedAs::NotATicket, Some("header"))
    );

    let mut doc: Value = serde_json::from_slice(&read("GA-240222-001001.json")).unwrap();
    doc["header"]["ticketNumber"] = Value::Null;
    let r = refusal(doc.to_string().as_bytes());
    assert_eq!(
        (
            r.kind,
            r.errors[0].error.as_str(),
            r.format_version.as_str()
        ),
        (RefusedAs::Unusable, "MISSING_REQUIRED_FIELD", "0.3")
    );
    doc["header"]["ticketNumber"] = Value::String("X".repeat(40));
    assert_eq!(
        refusal(doc.to_string().as_bytes()).errors[0].error,
        "FIELD_TOO_LONG"
    );

    let mut doc: Value = serde_json::from_slice(&read("GA-240222-001001.json")).unwrap();
    doc["geography"] = serde_json::json!({"srid": 4326});
    doc["workSite"]["fullAddress"] = Value::Null;
    doc["workSite"]["addressStreetName"] = Value::String(String::new());
    let r = refusal(doc.to_string().as_bytes());
    assert_eq!(
        (r.kind, r.ticket_number.as_str(), r.errors[0].error.as_str()),
        (RefusedAs::Unusable, "240222-001001", "MISSING_GEOMETRY")
    );
    // An address alone places it.
    doc["workSite"]["fullAddress"] = Value::String("3900 Tree Summit Pkwy".into());
    assert!(parse(doc.to_string().as_bytes(), cx()).is_ok());
}

#[test]
fn times_are_read_in_every_form_centers_use() {
    let ny = chrono_tz::America::New_York;
    let at = |s: &str| read_time(s, ny, false).unwrap().unwrap();
    assert_eq!(
        at("2024-03-04T12:10:42.003-05:00"),
        (time("2024-03-04T12:10:42.003-05:00"), true)
    );
    assert_eq!(
        at("2024-03-04T17:10:42Z").0,
        time("2024-03-04T12:10:42-05:00")
    );
    assert_eq!(
        at("2024-03-04T12:10:42-0500").0,
        time("2024-03-04T12:10:42-05:00")
    );
    assert_eq!(
        at("2024-07-04T12:10:42"),
        (time("2024-07-04T12:10:42-04:00"), false)
    );
    assert_eq!(at("2024/07/04 12:10").0, time("2024-07-04T12:10:00-04:00"));
    assert_eq!(
        at("07/04/2024 01:15 PM").0,
        time("2024-07-04T13:15:00-04:00")
    );
    assert_eq!(at("07/04/2024").0, time("2024-07-04T00:00:00-04:00"));
    assert_eq!(
        read_time("07/04/2024", ny, true).unwrap().unwrap().0,
        time("2024-07-04T23:59:59-04:00")
    );
    // 02:30 on the spring-forward night does not exist in New York: an hour later.
    assert_eq!(
        at("2024-03-10T02:30:00").0,
        time("2024-03-10T03:30:00-04:00")
    );
    assert_eq!(read_time("  ", ny, false), Ok(None));
    assert_eq!(read_time("next tuesday", ny, false), Err(()));
}

#[test]
fn stray_text_after_a_geometry_is_cut_off() {
    assert_eq!(
        geometry_text("POLYGON((1 2,3 4,1 2)) SRID=4326 (x)"),
        ("POLYGON((1 2,3 4,1 2))", "SRID=4326 (x)")
    );
    assert_eq!(
        geometry_text("POLYGON((1 2,3 4,1 2))"),
        ("POLYGON((1 2,3 4,1 2))", "")
    );
    assert_eq!(geometry_text("garbage"), ("garbage", ""));
}

#[test]
fn versions_are_read_however_they_are_written() {
    assert_eq!(normalize_version(".3"), "0.3");
    assert_eq!(normalize_version("1"), "1.0");
    assert_eq!(normalize_version("0.5 "), "0.5");
}

#[test]
fn generated_tickets_survive_a_round_trip_through_a_document() {
    use crate::risk::generate::{Generator, GeneratorConfig};
    for g in Generator::new(&GeneratorConfig::default()).take(300) {
        let t = g.ticket;
        let doc = to_document(&t, 3).to_string();
        let p = parse(doc.as_bytes(), cx()).unwrap();
        let back = p.ticket;
        assert_eq!(p.sequence, Some(("AEGIS".to_owned(), 3)));
        assert_eq!(
            (back.ticket_number.as_str(), back.revision),
            (t.ticket_number.as_str(), t.revision)
        );
        assert_eq!(back.kind, t.kind);
        assert_eq!(back.submitted_at, t.submitted_at);
        assert_eq!(back.legal_start_at, t.legal_start_at);
        assert_eq!(back.response_due_at, t.response_due_at);
        assert_eq!(back.location.state, t.location.state);
        assert_eq!(back.location.latitude, t.location.latitude);
        assert_eq!(back.location.longitude, t.location.longitude);
        assert_eq!(
            back.location
                .polygon_wkt
                .as_deref()
                .map(|w| Polygon::parse_all(w).unwrap()),
            t.location
                .polygon_wkt
                .as_deref()
                .map(|w| Polygon::parse_all(w).unwrap())
        );
        assert_eq!(back.work.boring, t.work.boring);
        assert_eq!(back.work.duration_days, t.work.duration_days);
        assert_eq!(back.excavator.company, t.excavator.company);
        assert_eq!(back.members, t.members);
    }
}

mod fuzz {
    use super::super::{Context, parse};
    use proptest::prelude::*;

    const GA: &str = include_str!("../../../tests/fixtures/openticket/GA-240222-001001.json");

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&body, Context { tz: chrono_tz::UTC });
        }

        /// The real ticket cut anywhere, or with a byte changed, never panics.
        #[test]
        fn damaged_real_tickets_never_panic(cut in 0usize..11000, pos in 0usize..11000, byte in any::<u8>()) {
            let mut body = GA.as_bytes().to_vec();
            let p = pos % body.len();
            body[p] = byte;
            body.truncate(cut % (body.len() + 1));
            let _ = parse(&body, Context { tz: chrono_tz::UTC });
        }
    }
}
