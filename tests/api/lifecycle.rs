//! The lifecycle as a whole: scoring, alerts, revisions.

use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    emergency_drilling_scores_far_above_normal,
    cancel_notice_cancels_the_earlier_revision,
    update_supersedes_the_earlier_revision,
);

async fn emergency_drilling_scores_far_above_normal(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let normal = app.post_native(&fixture("normal.json")).await;
    let emergency = app
        .post_native(&fixture("emergency-directional-drilling.json"))
        .await;
    let n = app
        .wait_state(normal.body["workflow_id"].as_str().unwrap(), "resolved")
        .await;
    let e = app
        .wait_state(emergency.body["workflow_id"].as_str().unwrap(), "alerted")
        .await;
    let pn = n["score"]["probability"].as_f64().unwrap();
    let pe = e["score"]["probability"].as_f64().unwrap();
    assert!(pe > 10.0 * pn, "emergency {pe} vs normal {pn}");
    assert_eq!(e["score"]["band"], "high");
    assert!(!e["score"]["top_features"].as_array().unwrap().is_empty());
    assert_eq!(e["alert"]["state"], "open");
    assert_eq!(e["alert"]["tier"], 0);
    let kinds: Vec<&str> = e["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["event"].as_str().unwrap())
        .collect();
    // Nobody is wired to the tier's roster here, and the trail says so.
    assert_eq!(
        kinds,
        vec![
            "received",
            "validated",
            "screened",
            "scored",
            "alert_raised",
            "recipients_unreachable"
        ]
    );
    let unreachable = &e["events"][5]["detail"];
    assert_eq!(unreachable["change"], "raised");
    assert_eq!(
        unreachable["recipients"],
        serde_json::json!(["safety-oncall"])
    );
    // The resolution of a low-risk ticket says why.
    let last = n["events"].as_array().unwrap().last().unwrap().clone();
    assert!(
        last["detail"]["reason"]
            .as_str()
            .unwrap()
            .contains("below the alert threshold")
    );
}

async fn cancel_notice_cancels_the_earlier_revision(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let first = app
        .post_native(&fixture("emergency-directional-drilling.json"))
        .await;
    let first_id = first.body["workflow_id"].as_str().unwrap().to_owned();
    app.wait_state(&first_id, "alerted").await;
    let mut cancel = fixture_json("emergency-directional-drilling.json");
    cancel["revision"] = json!(1);
    cancel["type"] = json!("cancel");
    let second = app.post_ticket(&cancel).await;
    assert_eq!(second.status, 202, "{}", second.body);
    let second_id = second.body["workflow_id"].as_str().unwrap().to_owned();
    app.wait_state(&second_id, "cancelled").await;
    let old = app.wait_state(&first_id, "cancelled").await;
    assert_eq!(old["alert"]["state"], "closed");
    assert_eq!(
        app.count("timers"),
        0,
        "the cancelled alert's escalation timer is gone"
    );
}

async fn update_supersedes_the_earlier_revision(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let first = app
        .post_native(&fixture("emergency-directional-drilling.json"))
        .await;
    let first_id = first.body["workflow_id"].as_str().unwrap().to_owned();
    app.wait_state(&first_id, "alerted").await;
    let mut update = fixture_json("emergency-directional-drilling.json");
    update["revision"] = json!(1);
    update["type"] = json!("update");
    update["remarks"] = json!("moved 20 ft east");
    let second = app.post_ticket(&update).await;
    let second_id = second.body["workflow_id"].as_str().unwrap().to_owned();
    let old = app.wait_state(&first_id, "superseded").await;
    let last = old["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["detail"]["by_workflow"], second_id);
    app.wait_for(&second_id, "settled", |w| {
        w["score"].is_object() && w["state"] != "scored"
    })
    .await;
    // A stale revision arriving late is superseded by the newer one at once.
    let mut stale = fixture_json("emergency-directional-drilling.json");
    stale["revision"] = json!(0);
    stale["remarks"] = json!("a different revision 0");
    let conflict = app.post_ticket(&stale).await;
    assert_eq!(
        conflict.status, 409,
        "same number and revision, other content"
    );
}
