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
    // One seed for every run, so that the suite passes or fails the same on any day and a
    // failure is the same on every machine; `AEGIS_SCHEMATHESIS_SEED=random` (or a number)
    // explores further, and the seed is printed so such a run can be replayed.
    const SEED: u64 = 305_292_409;
    let seed: u64 = match std::env::var("AEGIS_SCHEMATHESIS_SEED").ok().as_deref() {
        None | Some("") => SEED,
        Some("random") => rand::random::<u32>().into(),
        Some(s) => s
            .parse()
            .expect("AEGIS_SCHEMATHESIS_SEED is a number or `random`"),
    };
    eprintln!("schemathesis seed {seed} (replay: AEGIS_SCHEMATHESIS_SEED={seed})");
    let seed_arg = seed.to_string();
    // A layer file or a coverage polygon can fit its schema and still be refused: a GeoJSON
    // with a self-intersecting ring is an object like any other. So can a daily summary (a
    // revision of `2029.0` is an integer to JSON Schema, not to the reader; a date that
    // fits the format may name a day the center never had; a report's period may run
    // backwards or name a zone that is no zone; an investigation may be opened without its
    // kind, or dated in the future). Those operations may answer 422
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

[[operations]]
include-path-regex = "^(/v1/reports/\\{name\\}|/v1/admin/workflows/\\{id\\}/investigations(/\\{inv\\})?)$"
include-method-regex = "^(GET|POST|PATCH)$"
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
            // Hypothesis would otherwise replay examples that failed in earlier runs (kept in
            // the working directory), and the verdict would depend on the machine's history.
            "--generation-database",
            "none",
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
    if !out.status.success() {
        // The whole report first, then a digest of it last: CI shows the end of a failing
        // test's output, and a panic's backtrace would push the digest out of that view, so the
        // test fails by unwinding without the panic hook.
        eprintln!("{report}\n{}", String::from_utf8_lossy(&out.stderr));
        let digest = failure_digest(&report);
        eprintln!(
            "schemathesis found problems with seed {seed} (replay: AEGIS_SCHEMATHESIS_SEED={seed}):\n{digest}"
        );
        std::panic::resume_unwind(Box::new(format!("schemathesis failed, seed {seed}")));
    }
    // Every route, or all but one: schemathesis may not count the endless event stream.
    let tested: usize = summary
        .split("Tested: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        tested >= aegis::http::ROUTES.len() - 1,
        "not every operation was tested ({tested} of {}): {summary}",
        aegis::http::ROUTES.len()
    );
}

/// The lines of a schemathesis report that say what failed: each operation's heading, each
/// check that failed, each response status and body and each network error: at most 40
/// lines of 240 characters.
fn failure_digest(report: &str) -> String {
    let from = ["FAILURES", "ERRORS"]
        .iter()
        .filter_map(|h| report.find(&format!(" {h} ")))
        .min()
        .unwrap_or(0);
    let to = report
        .rfind("SUMMARY")
        .filter(|&t| t > from)
        .unwrap_or(report.len());
    let wanted = |l: &&str| {
        let t = l.trim_start();
        t.starts_with("___")
            || t.starts_with("- ")
            || t.starts_with('[')
            || t.starts_with('`')
            || t.contains("Error")
            || t.contains("Timeout")
            || t.starts_with("Expected")
    };
    report[from..to]
        .lines()
        .filter(wanted)
        .map(|l| match l.char_indices().nth(240) {
            Some((cut, _)) => &l[..cut],
            None => l,
        })
        .take(40)
        .collect::<Vec<_>>()
        .join("\n")
}
