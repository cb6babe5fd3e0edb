//! The published OpenAPI document tells the truth: schemathesis (PyPI; `make test` installs
//! it) runs every check it has against every operation of a running Aegis with alerts, workflows
//! and dead letters in it, and finds no response outside its schema and no undocumented status.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

/// The `st` command: `AEGIS_SCHEMATHESIS`, or the one pip installed for this Python.
fn schemathesis() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("AEGIS_SCHEMATHESIS") {
        return Some(PathBuf::from(p));
    }
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('scripts'))",
        ])
        .output()
        .ok()?;
    let st = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("st");
    st.exists().then_some(st)
}

#[actix_web::test]
async fn every_documented_response_matches_its_schema_and_every_status_is_documented() {
    let Some(st) = schemathesis() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("schemathesis is required under CI=true: `make test` installs it");
        }
        eprintln!("SKIPPED: schemathesis is not installed (make test installs it)");
        return;
    };
    // Schemathesis tries bad credentials on every operation within a minute; the limiter
    // (tested in `auth`) would answer 429 where its check wants 401.
    let Some(app) = spawn_with(Backend::Sqlite, |s| {
        s.auth.max_failures_per_minute = 100_000
    })
    .await
    else {
        return;
    };
    // Something to find: an alert, a resolved workflow, a dead letter.
    let alerted = app
        .post_native(&fixture("emergency-directional-drilling.json"))
        .await;
    let normal = app.post_native(&fixture("normal.json")).await;
    let _ = app.post_native(b"not a ticket").await;
    app.wait_state(alerted.body["workflow_id"].as_str().unwrap(), "alerted")
        .await;
    app.wait_state(normal.body["workflow_id"].as_str().unwrap(), "resolved")
        .await;
    let outcome = app
        .post_json(
            "/v1/tickets/TEST/2026112200001/outcome",
            &app.token,
            &json!({"damage": false}),
        )
        .await;
    assert_eq!(outcome.status, 201);
    // An Open Ticket center under the code the document's example names, whose bearer secret
    // is the token schemathesis sends: its webhook is exercised, not only refused.
    {
        let mut conn = app.db.write().unwrap();
        aegis::db::centers::add(
            &mut conn,
            "PA811",
            aegis::db::centers::CenterFormat::Openticket,
            &app.token,
        )
        .unwrap();
    }
    // A new seed each run, so that over many runs more of the input space is tried; printed, so
    // a failure can be replayed with AEGIS_SCHEMATHESIS_SEED.
    let seed: u64 = std::env::var("AEGIS_SCHEMATHESIS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::random::<u32>().into());
    eprintln!("schemathesis seed {seed} (replay: AEGIS_SCHEMATHESIS_SEED={seed})");
    let seed_arg = seed.to_string();
    // A layer file or a coverage polygon can fit its schema and still be refused: a GeoJSON
    // with a self-intersecting ring is an object like any other. So can a daily summary (a
    // revision of `2029.0` is an integer to JSON Schema, not to the reader; a date that
    // fits the format may name a day the center never had). Those operations may answer 422
    // to data that fits the schema (the rest of schemathesis's default list stays allowed;
    // 5xx is still caught by its server-error check); every other check still runs on them.
    let config =
        std::env::temp_dir().join(format!("aegis-st-{}.toml", uuid::Uuid::new_v4().simple()));
    std::fs::write(
        &config,
        r#"
[[operations]]
include-path-regex = "^(/v1/admin/facility-(layers/\\{name\\}|coverage)|/v1/webhooks/\\{center\\}/summary)$"
include-method-regex = "^(PUT|POST)$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
"#,
    )
    .unwrap();
    let run = tokio::process::Command::new(&st)
        .arg("--config-file")
        .arg(&config)
        .args([
            "run",
            &format!("{}/openapi.json", app.base),
            "--header",
            &format!("Authorization: Bearer {}", app.token),
            "--checks",
            "all",
            "--workers",
            "1",
            "--max-examples",
            "40",
            "--request-timeout",
            "10",
            "--seed",
            &seed_arg,
        ])
        .env("NO_COLOR", "1")
        .current_dir(std::env::temp_dir())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(400), run)
        .await
        .expect("schemathesis finished in time")
        .expect("schemathesis ran");
    let report = String::from_utf8_lossy(&out.stdout);
    let summary = report
        .rsplit_once("SUMMARY")
        .map_or(report.as_ref(), |(_, s)| s);
    eprintln!("schemathesis summary:{summary}");
    assert!(
        out.status.success(),
        "schemathesis found problems with seed {seed} (replay: AEGIS_SCHEMATHESIS_SEED={seed}):\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        summary.contains(&format!("Tested: {}", aegis::http::ROUTES.len() - 1)),
        "not every operation was tested: {summary}"
    );
}
