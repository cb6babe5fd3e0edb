//! The model checked against what happened (issue 34, contract §16): tickets scored by the
//! running model, outcomes recorded for them, and the quality report's figures compared with
//! an independent computation in Python (AUC by counting pairs, average precision from the
//! precision-recall steps, Brier, equal-count calibration bins and their expected error, the
//! riskiest tenth's lift) — never with Aegis's own code.

use serde_json::{Value, json};

use crate::helpers::*;

crate::both_backends!(the_quality_report_matches_an_independent_computation);

const METHODS: [&str; 7] = [
    "hand",
    "backhoe",
    "trencher",
    "auger",
    "directional_drilling",
    "boring",
    "vacuum",
];

/// The same figures, computed in plain Python from the (probability, damage) pairs.
const INDEPENDENT: &str = r#"
import json, math, sys
pairs = json.load(sys.stdin)
p = [a for a, _ in pairs]; y = [b for _, b in pairs]
pos = [a for a, b in pairs if b]; neg = [a for a, b in pairs if not b]
# ROC AUC: the share of (damage, other) pairs ranked right, ties counting a half.
auc = sum((1.0 if a > b else 0.5 if a == b else 0.0) for a in pos for b in neg) / (len(pos) * len(neg))
# Average precision: precision at each distinct threshold, weighted by the recall it adds.
ap, last = 0.0, 0.0
for t in sorted(set(p), reverse=True):
    chosen = [b for a, b in pairs if a >= t]
    recall = sum(chosen) / len(pos)
    ap += (recall - last) * (sum(chosen) / len(chosen)); last = recall
brier = sum((a - b) ** 2 for a, b in pairs) / len(pairs)
order = sorted(range(len(p)), key=lambda i: p[i])
size = -(-len(p) // 10)
bins = [order[i:i + size] for i in range(0, len(order), size)]
ece = sum(len(b) * abs(sum(p[i] for i in b) / len(b) - sum(y[i] for i in b) / len(b)) for b in bins) / len(p)
top = order[::-1][:size]
lift = (sum(y[i] for i in top) / len(top)) / (sum(y) / len(y))
print(json.dumps({"auc": auc, "ap": ap, "brier": brier, "ece": ece, "lift": lift, "bins": [len(b) for b in bins]}))
"#;

fn independent(pairs: &[(f64, bool)]) -> Value {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args(["-c", INDEPENDENT])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 (make test installs it)");
    let input = serde_json::to_vec(pairs).unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn outcome(app: &TestApp, number: &str, damage: bool) {
    let r = app
        .post_json(
            &format!("/v1/tickets/TEST/{number}/outcome"),
            &app.token,
            &json!({"damage": damage}),
        )
        .await;
    assert!(r.status == 201 || r.status == 200, "{}", r.body);
}

async fn quality(app: &TestApp) -> Value {
    let r = app.get("/v1/admin/model/quality", &app.token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

fn close(a: &Value, b: f64, what: &str) {
    let a = a.as_f64().unwrap_or_else(|| panic!("{what}: {a}"));
    assert!((a - b).abs() < 1e-9, "{what}: Aegis {a}, independent {b}");
}

async fn the_quality_report_matches_an_independent_computation(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // 42 tickets, varied enough to be scored differently: method, type, excavator.
    let mut scored = Vec::new();
    for i in 0..42usize {
        let fixture = if i % 5 == 0 {
            "emergency-directional-drilling.json"
        } else {
            "normal.json"
        };
        let mut t = fixture_json(fixture);
        let number = format!("Q-{i:03}");
        t["ticket_number"] = json!(number);
        t["revision"] = json!(0);
        t["excavator"]["id"] = json!(format!("EX-Q{}", i % 6));
        t["work"]["method"] = json!(METHODS[i % METHODS.len()]);
        let r = app.post_ticket(&t).await;
        assert_eq!(r.status, 202, "{}", r.body);
        let id = r.body["workflow_id"].as_str().unwrap().to_owned();
        let w = app
            .wait_for(&id, "scored", |w| w["score"]["probability"].is_f64())
            .await;
        scored.push((number, w["score"]["probability"].as_f64().unwrap()));
    }
    let mut distinct: Vec<f64> = scored.iter().map(|(_, p)| *p).collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    assert!(
        distinct.len() >= 5,
        "too few distinct scores to rank: {distinct:?}"
    );
    // Fewer than ten damages: no ranking figure, and the report says why.
    for (number, _) in scored.iter().take(5) {
        outcome(&app, number, true).await;
    }
    let q = quality(&app).await;
    let v = &q["versions"][0];
    assert_eq!(v["live"]["damages"], 5, "{q:#}");
    assert!(v["live"]["roc_auc"].is_null());
    assert!(
        v["live"]["ranking_note"]
            .as_str()
            .unwrap()
            .contains("too few damages: 5"),
        "{v:#}"
    );

    // Every third ticket (and the five above) a damage, the rest reported undamaged.
    let mut pairs = Vec::new();
    for (i, (number, p)) in scored.iter().enumerate() {
        let damage = i < 5 || i % 3 == 0;
        if i >= 5 {
            outcome(&app, number, damage).await;
        }
        pairs.push((*p, damage));
    }
    let expected = independent(&pairs);
    let q = quality(&app).await;
    let v = &q["versions"][0];
    assert_eq!(v["active"], true);
    assert_eq!(v["scored"], 42, "{v:#}");
    let live = &v["live"];
    assert_eq!(live["tickets"], 42);
    let damages = pairs.iter().filter(|(_, d)| *d).count();
    assert_eq!(live["damages"], damages);
    close(
        &live["roc_auc"],
        expected["auc"].as_f64().unwrap(),
        "ROC AUC",
    );
    close(&live["pr_auc"], expected["ap"].as_f64().unwrap(), "PR AUC");
    close(&live["brier"], expected["brier"].as_f64().unwrap(), "Brier");
    close(
        &live["expected_calibration_error"],
        expected["ece"].as_f64().unwrap(),
        "ECE",
    );
    close(
        &live["lift_top_decile"],
        expected["lift"].as_f64().unwrap(),
        "lift",
    );
    let counts: Vec<u64> = live["calibration"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .collect();
    let expected_counts: Vec<u64> = expected["bins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect();
    assert_eq!(counts, expected_counts);
    // Bands: every scored ticket in one, every damage in one.
    let bands = v["bands"].as_array().unwrap();
    let tickets: u64 = bands.iter().map(|b| b["tickets"].as_u64().unwrap()).sum();
    let banded: u64 = bands.iter().map(|b| b["damages"].as_u64().unwrap()).sum();
    assert_eq!((tickets, banded), (42, damages as u64));
    // The bundled model has no training figures recorded in this database.
    assert!(v["training"].is_null());
    // An officer does not read it; a bad period is refused.
    let officer = app.get("/v1/admin/model/quality", &app.officer_token).await;
    assert_eq!(officer.status, 403);
    let empty = app
        .get(
            "/v1/admin/model/quality?from=2026-11-02T00:00:00Z&until=2026-11-01T00:00:00Z",
            &app.token,
        )
        .await;
    assert_eq!(empty.status, 422, "{}", empty.body);

    // The console's Model page shows the same figures and the reliability diagram.
    let (client, cookie) = crate::console::signed_in(&app, "ops").await;
    let (status, html) = crate::console::page(&app, &client, "/admin/model", &cookie).await;
    assert_eq!(status, 200, "{html}");
    let auc = format!("{:.3}", expected["auc"].as_f64().unwrap());
    assert!(
        html.contains(&format!("<td>{auc}</td>")),
        "ROC AUC {auc} on {html}"
    );
    assert!(html.contains("<svg class=\"chart\""), "{html}");
    assert!(html.contains("data-band=\"high\""));
    let (officer, officer_cookie) = crate::console::signed_in(&app, "officer-1").await;
    let (status, _) = crate::console::page(&app, &officer, "/admin/model", &officer_cookie).await;
    assert_eq!(status, 403);
}
