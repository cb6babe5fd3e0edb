//! Rosters and contact channels (contract §7): operators wire users to e-mail, PagerDuty,
//! Slack and webhooks and group them in rosters; secrets never come back.

use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    channels_are_checked_stored_and_shown_masked,
    rosters_name_users_and_say_who_is_on_duty,
    the_command_line_and_the_api_refuse_and_store_alike
);

const ROUTING_KEY: &str = "R0ut1ngK3ySecretABCD";
const WEBHOOK_SECRET: &str = "whsec_YWVnaXMtd2ViaG9vay1zZWNyZXQtMDEyMzQ1Njc=";

async fn channels_are_checked_stored_and_shown_masked(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let path = "/v1/admin/users/officer-1/channels";
    let channels = json!({"channels": [
        {"kind": "email", "address": "dana@example.org"},
        {"kind": "pagerduty", "url": "https://events.pagerduty.com/v2/enqueue", "routing_key": ROUTING_KEY},
        {"kind": "webhook", "url": "https://hooks.example.org/aegis", "secret": WEBHOOK_SECRET},
        {"kind": "slack", "url": "https://hooks.slack.com/services/T000/B000/XXXXSECRETYYYY"},
    ]});
    let r = app.put_json(path, &app.token, &channels).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let text = r.body.to_string();
    for secret in [ROUTING_KEY, WEBHOOK_SECRET, "XXXXSECRET"] {
        assert!(!text.contains(secret), "a secret came back: {text}");
    }
    assert_eq!(r.body["channels"][0]["address"], "dana@example.org");
    assert_eq!(r.body["channels"][1]["routing_key"], "••••ABCD");
    let one = app.get("/v1/admin/users/officer-1", &app.token).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["channels"].as_array().unwrap().len(), 4);
    assert_eq!(one.body["role"], "officer");
    let all = app.get("/v1/admin/users", &app.token).await;
    assert!(
        all.body
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["name"] == "ops")
    );
    assert!(!all.body.to_string().contains(ROUTING_KEY));
    // Every problem of a bad definition, in one answer; nothing is changed.
    let bad = json!({"channels": [
        {"kind": "email", "address": "dana at example"},
        {"kind": "slack", "url": "ftp://hooks"},
        {"kind": "pagerduty", "url": "https://events.pagerduty.com/v2/enqueue", "routing_key": " "},
    ]});
    let r = app.put_json(path, &app.token, &bad).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let fields: Vec<&str> = r.body["error"]["details"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "channels[0].address",
            "channels[1].url",
            "channels[2].routing_key"
        ]
    );
    let still = app.get("/v1/admin/users/officer-1", &app.token).await;
    assert_eq!(still.body["channels"].as_array().unwrap().len(), 4);
    // Officers may not; unknown users are 404.
    assert_eq!(
        app.put_json(path, &app.officer_token, &channels)
            .await
            .status,
        403
    );
    let nobody = app
        .put_json("/v1/admin/users/nobody/channels", &app.token, &channels)
        .await;
    assert_eq!(nobody.status, 404);
}

async fn rosters_name_users_and_say_who_is_on_duty(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let roster = json!({
        "members": ["officer-1", "ops", "officer-1"],
        "after_hours_members": ["ops"],
        "business_hours": {"days": "Mon-Sun", "from": "00:00", "to": "00:00", "timezone": "America/Los_Angeles"},
    });
    let r = app
        .put_json("/v1/admin/rosters/safety-oncall", &app.token, &roster)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["members"],
        json!(["officer-1", "ops"]),
        "a name listed twice counts once"
    );
    // Business hours all day, every day: the members are on duty.
    assert_eq!(r.body["on_duty"], json!(["officer-1", "ops"]));
    let list = app.get("/v1/admin/rosters", &app.token).await;
    assert_eq!(list.body[0]["name"], "safety-oncall");
    let unknown = app
        .put_json(
            "/v1/admin/rosters/night",
            &app.token,
            &json!({"members": ["officer-1", "ghost"]}),
        )
        .await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    assert_eq!(
        unknown.body["error"]["details"]["unknown_users"],
        json!(["ghost"])
    );
    let bad = app
        .put_json(
            "/v1/admin/rosters/night",
            &app.token,
            &json!({"members": ["ops"], "business_hours": {"days": "Mon-Fri", "from": "07:00", "to": "17:00", "timezone": "Mars/Olympus"}}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(
        bad.body["error"]["details"]["problems"][0]["field"],
        "business_hours.timezone"
    );
    assert_eq!(
        app.get("/v1/admin/rosters", &app.token)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// `aegis …` against the app's own database, as an operator on its machine runs it.
fn cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_aegis"))
        .args(args)
        .env(
            "AEGIS__DATABASE__URL",
            &app.state.app.settings().database.url,
        )
        .env("AEGIS__OUTBOUND__ALLOW_PRIVATE_NETWORKS", "false")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

/// Issue 31: the command line opened the database itself and drifted from the use cases — it
/// let a channel point at a private network and kept a roster's duplicate members. Now both
/// doors go through the same use cases: the same refusal, the same stored roster.
async fn the_command_line_and_the_api_refuse_and_store_alike(backend: Backend) {
    let Some(app) = spawn_with(backend, |s| s.outbound.allow_private_networks = false).await else {
        return;
    };
    // A webhook on a private network: 422 naming the field, through either door.
    let private = "http://10.20.30.40/hook";
    let r = app
        .put_json(
            "/v1/admin/users/officer-1/channels",
            &app.token,
            &json!({"channels": [{"kind": "webhook", "url": private, "secret": WEBHOOK_SECRET}]}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let problem = &r.body["error"]["details"]["problems"][0];
    assert_eq!(problem["field"], "channels[0].url");
    assert_eq!(problem["code"], "forbidden_target");
    let out = cli(
        &app,
        &[
            "users",
            "channels",
            "officer-1",
            "--webhook",
            private,
            "--webhook-secret",
            WEBHOOK_SECRET,
        ],
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the CLI stored it: {said}");
    assert!(said.contains("422 VALIDATION_FAILED"), "{said}");
    assert!(
        said.contains(&format!(
            "channels[0].url: {}",
            problem["message"].as_str().unwrap()
        )),
        "{said}"
    );
    let user = app.get("/v1/admin/users/officer-1", &app.token).await;
    assert_eq!(user.body["channels"], json!([]), "nothing was stored");

    // An address the published pattern refuses: refused by both, by the same rule.
    let r = app
        .put_json(
            "/v1/admin/users/officer-1/channels",
            &app.token,
            &json!({"channels": [{"kind": "email", "address": "dana@@example"}]}),
        )
        .await;
    assert_eq!(r.status, 422);
    let out = cli(
        &app,
        &["users", "channels", "officer-1", "--email", "dana@@example"],
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && said.contains("channels[0].address"),
        "{said}"
    );

    // A roster listing a member twice is stored once, through either door.
    let out = cli(
        &app,
        &["rosters", "put", "night", "--members", "ops,officer-1,ops"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = app
        .put_json(
            "/v1/admin/rosters/day",
            &app.token,
            &json!({"members": ["officer-1", "officer-1", "ops"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let all = app.get("/v1/admin/rosters", &app.token).await;
    let members = |name: &str| {
        all.body
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .map(|r| r["members"].clone())
    };
    assert_eq!(members("night"), Some(json!(["ops", "officer-1"])));
    assert_eq!(members("day"), Some(json!(["officer-1", "ops"])));
}
