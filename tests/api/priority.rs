//! Risk that knows what is buried, and the queue (contract §12), from outside: on the demo's
//! facility network, the same emergency bore scores at least twice as high beside the gas
//! transmission line as beside the long-haul fibre and says why in words; urgent tickets in
//! conflict or unknown reach a person whatever the band; and `GET /v1/alerts?order=priority`
//! lists live alerts by expected harm raised by urgency, the earlier deadline first at equal
//! harm, and below them, apart, the stale ones whose dig time passed over a day ago.

use aegis::facilities::synthetic::{DEMO_CENTER, DEMO_NETWORK, LAYERS, network_in_memory};
use aegis_screening::LocalFrame;
use serde_json::{Value, json};

use crate::helpers::*;

/// The demo network as the demo install lays it out.
fn demo_network() -> Vec<Value> {
    network_in_memory(DEMO_CENTER, DEMO_NETWORK)
        .unwrap()
        .into_iter()
        .map(|(_, bytes)| serde_json::from_slice(&bytes).unwrap())
        .collect()
}

/// A point `north` feet north of the vertex `along` the way (0 to 1) of feature `id` in layer
/// `layer`.
fn beside(network: &[Value], layer: &str, id: &str, along: f64, north: f64) -> (f64, f64) {
    let i = LAYERS.iter().position(|(n, _)| *n == layer).unwrap();
    let f = network[i]["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {layer}"));
    let coords = f["geometry"]["coordinates"].as_array().unwrap();
    let v = &coords[((coords.len() - 1) as f64 * along).round() as usize];
    let (lon, lat) = (v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
    let (_, dlat) = LocalFrame::at(lon, lat).degrees_for(north);
    (lon, lat + dlat)
}

/// The emergency directional-drilling example as `number`, digging at a point, submitted five
/// minutes ago on the test clock (or, for a start already passed, five minutes before it), its
/// legal start and response due `legal_h` and `due_h` hours from now.
fn bore(number: &str, at: (f64, f64), legal_h: f64, due_h: Option<f64>) -> Value {
    let now = test_now();
    let h = |x: f64| (now + chrono::TimeDelta::seconds((x * 3600.0) as i64)).to_rfc3339();
    let mut t = fixture_json("emergency-directional-drilling.json");
    t["ticket_number"] = json!(number);
    t["excavator"]["id"] = json!(format!("EX-{number}"));
    t["submitted_at"] = json!(h(legal_h.min(0.0) - 5.0 / 60.0));
    t["legal_start_at"] = json!(h(legal_h));
    if let Some(d) = due_h {
        t["response_due_at"] = json!(h(d));
    }
    t["location"]["polygon_wkt"] = Value::Null;
    t["location"]["longitude"] = json!(at.0);
    t["location"]["latitude"] = json!(at.1);
    t
}

/// Posts the ticket and waits for its alert: the read-back.
async fn alerted(app: &TestApp, ticket: &Value) -> Value {
    let r = app.post_ticket(ticket).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let id = r.body["workflow_id"].as_str().unwrap().to_owned();
    app.wait_state(&id, "alerted").await
}

/// Four alerts on the demo network, in the order the queue must list them: a bore beside the
/// transmission line answering in 2 hours; the same bore, same harm, answering in 4; a bore
/// beside the fibre answering in 1 hour; and, apart below them, an emergency outside the map
/// whose start passed 15 days 9 hours ago (the README's Oakland ticket, which used to sit on
/// top). Returns the read-backs in that order.
pub async fn four_alerts(app: &TestApp) -> Vec<Value> {
    let net = demo_network();
    // Both in the open land south of the town: the corridor an eighth of the way from its
    // south-west end, the fibre route half way along.
    let gas = beside(&net, "demo-gas-transmission", "GT-1", 0.125, 5.0);
    let fibre = beside(&net, "demo-fiber", "FO-LH-1", 0.5, 5.0);
    // Ten miles east of the network: outside the mapped coverage.
    let away = (DEMO_CENTER.0 + 0.18, DEMO_CENTER.1);
    let stale = alerted(app, &bore("Q-STALE", away, -(15.0 * 24.0 + 9.0), None)).await;
    let gas_2h = alerted(app, &bore("Q-GAS-2H", gas, 6.0, Some(2.0))).await;
    let gas_4h = alerted(app, &bore("Q-GAS-4H", gas, 6.0, Some(4.0))).await;
    let fibre_1h = alerted(app, &bore("Q-FIBRE-1H", fibre, 6.0, Some(1.0))).await;
    vec![gas_2h, gas_4h, fibre_1h, stale]
}

fn names(features: &Value) -> Vec<String> {
    features
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["feature"].as_str().unwrap().to_owned())
        .collect()
}

crate::both_backends!(the_queue_puts_what_could_hurt_most_soonest_first);

async fn the_queue_puts_what_could_hurt_most_soonest_first(backend: Backend) {
    let Some(app) = spawn_with(backend, |s| s.demo.enabled = true).await else {
        return;
    };
    let alerts = four_alerts(&app).await;
    let [gas, gas_later, fibre, stale] = [0, 1, 2, 3].map(|i| alerts[i].clone());

    // What is buried moves the risk: the same bore, beside the transmission line and beside
    // the fibre, scored by the bundled v2 model.
    for w in &alerts {
        assert_eq!(w["score"]["feature_schema"], "aegis-features-v2", "{w:#}");
    }
    assert_eq!(gas["screening"]["category"], "conflict");
    assert_eq!(fibre["screening"]["category"], "conflict");
    assert_eq!(stale["screening"]["unknown"], "outside_coverage");
    let p = |w: &Value| w["score"]["probability"].as_f64().unwrap();
    assert!(
        p(&gas) >= 2.0 * p(&fibre),
        "beside gas transmission {} vs beside fibre {}",
        p(&gas),
        p(&fibre)
    );
    eprintln!(
        "the same emergency bore: {:.4} beside gas transmission, {:.4} beside fibre",
        p(&gas),
        p(&fibre)
    );
    assert_eq!(p(&gas), p(&gas_later), "the same ticket but its due time");
    let top = names(&gas["score"]["top_features"]);
    assert!(
        top.iter()
            .take(3)
            .any(|f| f.starts_with("gas_transmission_")),
        "the top reasons name the facility: {top:?}"
    );

    // Each reached a person: by the band, or by the standing rule for urgent tickets.
    for w in &alerts {
        let raised = w["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["event"] == "alert_raised")
            .unwrap();
        if w["score"]["band"] != "high" {
            let rule = raised["detail"]["rule"].as_str().unwrap_or_default();
            assert!(rule.starts_with("an emergency ticket"), "{raised:#}");
        }
    }

    let q = app
        .get("/v1/alerts?order=priority", &app.officer_token)
        .await;
    assert_eq!(q.status, 200, "{}", q.body);
    let ids: Vec<&str> = q.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = alerts
        .iter()
        .map(|w| w["alert"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, expected, "{:#}", q.body);
    assert_eq!(q.body["truncated"], false);
    assert_eq!(q.body["stale"], 1, "one stale alert, counted apart");
    // The stale one is last, though its start passed long ago and nobody knows what is buried.
    let last = &q.body["items"][3];
    assert_eq!(last["priority"]["stale"], true);
    assert_eq!(last["priority"]["overdue"], true);
    assert_eq!(last["priority"]["consequence"]["basis"], "unknown");
    assert!(
        last["words"]["time_left"]
            .as_str()
            .unwrap()
            .starts_with("overdue 15 d 9 h")
    );
    let first = &q.body["items"][0];
    assert_eq!(first["priority"]["stale"], false);
    assert_eq!(
        first["priority"]["consequence"]["class"],
        "gas_transmission"
    );
    // Five feet north of a bend in the corridor: at most five feet from it, and named first
    // with its zone, whatever else is nearer.
    let buried = first["words"]["buried"].as_str().unwrap();
    let feet: f64 = buried
        .strip_prefix("gas transmission ")
        .and_then(|r| r.split(" ft").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{buried}"));
    assert!(feet <= 5.0, "{buried}");
    assert!(buried.contains(" ft — inside its 100 ft zone"), "{buried}");
    let second = &q.body["items"][1];
    assert!(
        second["words"]["risk"]
            .as_str()
            .unwrap()
            .contains("× a usual ticket")
    );
    assert!(
        second["words"]["work"]
            .as_str()
            .unwrap()
            .contains("directional drilling")
    );
    assert_eq!(
        q.body["items"][2]["priority"]["consequence"]["class"],
        "telecom"
    );

    // Filters and refusals.
    let only = app
        .get(
            "/v1/alerts?order=priority&state=open&limit=2",
            &app.officer_token,
        )
        .await;
    assert_eq!(only.status, 200, "{}", only.body);
    assert_eq!(only.body["items"].as_array().unwrap().len(), 2);
    let closed = app
        .get(
            "/v1/alerts?order=priority&state=resolved",
            &app.officer_token,
        )
        .await;
    assert_eq!(closed.status, 200, "{}", closed.body);
    assert_eq!(closed.body["items"], json!([]));
    let later = app
        .get(
            &format!(
                "/v1/alerts?order=priority&since={}",
                (test_now() + chrono::TimeDelta::hours(1))
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            &app.officer_token,
        )
        .await;
    assert_eq!(later.status, 200, "{}", later.body);
    assert_eq!(
        later.body["items"],
        json!([]),
        "none raised an hour from now"
    );
    for bad in [
        "/v1/alerts?order=loudest",
        "/v1/alerts?order=priority&since=yesterday",
        "/v1/alerts?order=priority&state=lost",
    ] {
        let r = app.get(bad, &app.officer_token).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.body);
    }
}

#[actix_web::test]
async fn a_v1_model_still_scores_and_says_so() {
    let model = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/models/features-v1.json")
        .display()
        .to_string();
    let Some(app) = spawn_with(Backend::Sqlite, |s| s.model.path = model).await else {
        return;
    };
    let m = app.get("/v1/admin/model", &app.token).await;
    assert_eq!(m.status, 200, "{}", m.body);
    assert_eq!(m.body["feature_schema"], "aegis-features-v1", "{}", m.body);
    let r = app.post_native(&fixture("normal.json")).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let id = r.body["workflow_id"].as_str().unwrap().to_owned();
    let w = app.wait_for(&id, "scored", |w| !w["score"].is_null()).await;
    assert_eq!(w["score"]["feature_schema"], "aegis-features-v1", "{w:#}");
    let v1 = aegis_workflows::features::Schema::V1.names();
    for f in names(&w["score"]["top_features"]) {
        assert!(v1.contains(&f.as_str()), "{f} is not a v1 feature");
    }
}
