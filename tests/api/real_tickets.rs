//! Real-shaped USA North 811 tickets (`tests/fixtures/CA.xml` and its variants in
//! `tests/fixtures/onecall/`, written from the schema and the field guide): every one is
//! accepted, none ends `rejected` for the center's own quirks, each is scored (a cancel notice
//! ends cancelled, as cancels do), and the features read what the ticket says.

use serde_json::Value;

use crate::both_backends;
use crate::helpers::*;

/// The feature vector Aegis scored, by name, straight from the scores table.
fn features(app: &TestApp, workflow_id: &str) -> serde_json::Map<String, Value> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        features: String,
    }
    let q = diesel::sql_query(format!(
        "SELECT features FROM scores WHERE workflow_id = '{workflow_id}'"
    ));
    let mut conn = app.db.read().unwrap();
    let rows: Vec<Row> = match &mut conn {
        aegis::db::AnyConn::Sqlite(c) => q.load(&mut **c).unwrap(),
        aegis::db::AnyConn::Pg(c) => q.load(&mut **c).unwrap(),
    };
    let stored: Value = serde_json::from_str(&rows[0].features).unwrap();
    assert_eq!(stored["schema"], aegis_workflows::features::SCHEMA_VERSION);
    let values = stored["values"].as_array().unwrap().clone();
    aegis_workflows::features::names()
        .into_iter()
        .map(str::to_owned)
        .zip(values)
        .collect()
}

fn num(f: &serde_json::Map<String, Value>, name: &str) -> Option<f64> {
    f.get(name).and_then(Value::as_f64)
}

struct Case {
    file: &'static str,
    /// The state it settles in.
    state: &'static str,
    check: fn(&Value, Option<&serde_json::Map<String, Value>>),
}

fn warned(w: &Value, field: &str) -> bool {
    w["warnings"]
        .as_array()
        .is_some_and(|a| a.iter().any(|p| p["field"] == field))
}

const CASES: &[Case] = &[
    Case {
        file: "CA.xml",
        state: "resolved",
        check: |w, f| {
            let f = f.unwrap();
            assert_eq!(num(f, "depth_inches"), Some(12.0));
            assert_eq!(num(f, "method_hand"), Some(1.0));
            assert_eq!(num(f, "member_count"), Some(3.0));
            assert!(num(f, "lead_time_hours").unwrap() > 90.0);
            assert_eq!(w["warnings"], serde_json::json!([]));
        },
    },
    Case {
        file: "onecall/short-notice-starts-before-submission.xml",
        state: "*",
        check: |w, f| {
            let f = f.unwrap();
            assert_eq!(num(f, "short_notice"), Some(1.0));
            assert_eq!(num(f, "depth_inches"), Some(84.0));
            assert_eq!(num(f, "method_backhoe"), Some(1.0));
            let lead = num(f, "lead_time_hours").unwrap();
            assert!(lead < 0.0, "digging starts before submission: {lead}");
            assert!(warned(w, "work_begin_at"), "{}", w["warnings"]);
        },
    },
    Case {
        file: "onecall/emergency-directional-bore.xml",
        state: "*",
        check: |_, f| {
            let f = f.unwrap();
            assert_eq!(num(f, "emergency"), Some(1.0));
            assert_eq!(num(f, "method_directional_drilling"), Some(1.0));
            assert_eq!(num(f, "boring"), Some(1.0));
            assert_eq!(num(f, "depth_inches"), Some(84.0));
        },
    },
    Case {
        file: "onecall/update-with-previous-ticket.xml",
        state: "resolved",
        check: |w, f| {
            assert_eq!(num(f.unwrap(), "update_or_remark"), Some(1.0));
            assert_eq!(w["revision"], 1);
        },
    },
    Case {
        file: "onecall/cancel.xml",
        state: "cancelled",
        check: |w, f| {
            assert!(f.is_none(), "a cancel notice is not scored");
            assert_eq!(w["ticket"]["type"], "cancel");
        },
    },
    Case {
        file: "onecall/design-depth-unknown-expires-early.xml",
        state: "resolved",
        check: |w, f| {
            let f = f.unwrap();
            assert_eq!(num(f, "design"), Some(1.0));
            assert_eq!(
                num(f, "depth_inches"),
                None,
                "an unknown depth is missing, not zero"
            );
            assert!(warned(w, "expires_at"), "{}", w["warnings"]);
        },
    },
    Case {
        file: "onecall/empty-and-nil-elements.xml",
        state: "*",
        check: |w, f| {
            let f = f.unwrap();
            assert_eq!(num(f, "depth_inches"), None);
            assert_eq!(num(f, "boring"), None);
            assert_eq!(num(f, "member_count"), Some(0.0));
            assert!(warned(w, "members"), "{}", w["warnings"]);
        },
    },
    Case {
        file: "onecall/several-places-address-only.xml",
        state: "*",
        check: |w, f| {
            let f = f.unwrap();
            assert_eq!(num(f, "log10_dig_area_m2"), None, "no polygon, no area");
            assert_eq!(num(f, "depth_inches"), Some(12.0));
            assert_eq!(w["ticket"]["location"]["address"], "1080 Azuar Drive");
        },
    },
];

both_backends!(real_tickets_are_scored_not_rejected);

async fn real_tickets_are_scored_not_rejected(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    for (i, case) in CASES.iter().enumerate() {
        let xml = String::from_utf8(fixture(case.file)).unwrap();
        let r = app.post_onecall_xml(&xml, &format!("real-{i}")).await;
        assert_eq!(r.status, 202, "{}: {}", case.file, r.body);
        let id = r.body["workflow_id"].as_str().unwrap().to_owned();
        let w = app
            .wait_for(&id, "settled", |w| {
                !matches!(
                    w["state"].as_str(),
                    Some("received" | "validated" | "scored")
                )
            })
            .await;
        let state = w["state"].as_str().unwrap();
        assert_ne!(state, "rejected", "{}: {:#}", case.file, w["events"]);
        if case.state != "*" {
            assert_eq!(state, case.state, "{}", case.file);
        }
        let scored = !w["score"].is_null();
        assert_eq!(scored, case.state != "cancelled", "{}", case.file);
        let f = scored.then(|| features(&app, &id));
        (case.check)(&w, f.as_ref());
    }
}

#[actix_web::test]
async fn a_rejected_ticket_reaches_the_operators_live_stream() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let mut stream = app
        .client
        .get(format!("{}/v1/alerts/stream", app.base))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let r = app.post_native(&fixture("invalid-rejected.json")).await;
    let id = r.body["workflow_id"].as_str().unwrap().to_owned();
    let seen = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut text = String::new();
        while let Ok(Some(chunk)) = stream.chunk().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            if text.contains("event: ticket.rejected") && text.contains(&id) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(seen, Ok(true), "no ticket.rejected event on the stream");
}
