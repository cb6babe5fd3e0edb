//! The operating interface (contract §6): the `aegis` command line, run as scripts run it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let p = std::env::temp_dir().join(format!("aegis-cli-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn aegis(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_aegis"))
            .args(args)
            .current_dir(&self.0)
            .env("AEGIS__DATABASE__URL", self.path("aegis.db"))
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.aegis(args);
        assert!(
            out.status.success(),
            "aegis {}: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn centers_and_users_are_managed_from_the_command_line() {
    let s = Scratch::new();
    assert!(s.ok(&["migrate"]).contains("applied"));
    assert!(s.ok(&["migrate"]).contains("up to date"));
    let added = s.ok(&["centers", "add", "USAN", "--format", "onecall"]);
    assert!(added.contains("secret (shown once): "), "{added}");
    s.ok(&[
        "centers",
        "add",
        "NATIVE1",
        "--secret",
        "whsec_YWVnaXMtZGVtby1zZWNyZXQtMDEyMzQ1Njc4OWFiY2Q=",
    ]);
    let dup = s.aegis(&["centers", "add", "USAN"]);
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    let bad = s.aegis(&["centers", "add", "X", "--secret", "not-a-whsec"]);
    assert!(!bad.status.success());
    let rotated = s.ok(&["centers", "rotate-secret", "NATIVE1"]);
    assert!(rotated.contains("secret (shown once): whsec_"), "{rotated}");
    let list = s.ok(&["centers", "list"]);
    assert!(
        list.contains("NATIVE1\tnative\t2 active secret(s)"),
        "{list}"
    );
    assert!(list.contains("USAN\tonecall\t1 active secret(s)"), "{list}");
    assert!(
        s.ok(&["centers", "retire-secrets", "NATIVE1"])
            .contains("revoked 1")
    );
    assert!(
        s.ok(&["centers", "list"])
            .contains("NATIVE1\tnative\t1 active secret(s)")
    );
    let token = s.ok(&["users", "add", "--role", "officer", "--name", "dana"]);
    assert!(
        token.lines().last().unwrap().starts_with("aegis_"),
        "{token}"
    );
    assert!(
        !s.aegis(&["users", "add", "--role", "boss", "--name", "x"])
            .status
            .success()
    );
    assert!(s.ok(&["users", "list"]).contains("dana\tofficer\tactive"));
    s.ok(&["users", "revoke", "dana"]);
    assert!(s.ok(&["users", "list"]).contains("dana\tofficer\trevoked"));
    assert!(!s.aegis(&["users", "revoke", "dana"]).status.success());
}

fn jsonl(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn generate_train_and_score_work_together() {
    let s = Scratch::new();
    let csv = s.path("history.csv");
    let tickets = s.path("tickets.jsonl");
    let out = s.ok(&[
        "generate",
        "--tickets",
        "40000",
        "--seed",
        "3",
        "--damage-rate",
        "0.01",
        "--csv",
        csv.to_str().unwrap(),
        "--jsonl",
        tickets.to_str().unwrap(),
        "--db",
    ]);
    assert!(out.contains("generated 40000 tickets"), "{out}");
    let model = s.path("model.json");
    let report = s.ok(&[
        "train",
        "--csv",
        csv.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
        "--rounds",
        "60",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert!(report["test"]["auc"].as_f64().unwrap() > 0.6, "{report}");
    assert!(report["test"]["calibration"].as_array().unwrap().len() == 10);
    assert!(report["version"].as_str().unwrap().starts_with("aegis-"));
    // Training from the database uses the rows `generate --db` stored, and records the model.
    let from_db = s.ok(&[
        "train",
        "--from-db",
        "--out",
        s.path("db-model.json").to_str().unwrap(),
        "--rounds",
        "40",
    ]);
    assert!(from_db.contains("rows 40000"), "{from_db}");
    // Score tickets and feature vectors, checked against the XGBoost library.
    let mut input: Vec<String> = std::fs::read_to_string(&tickets)
        .unwrap()
        .lines()
        .take(300)
        .map(str::to_owned)
        .collect();
    input.push(r#"{"features": {"emergency": 1, "method_directional_drilling": 1, "depth_inches": 60, "lead_time_hours": 0}}"#.into());
    input.push(r#"{"features": {"no_such_feature": 1}}"#.into());
    input.push("not json".into());
    let inp = s.path("input.jsonl");
    std::fs::write(&inp, input.join("\n")).unwrap();
    let scored = s.path("scored.jsonl");
    let out = s.aegis(&[
        "score",
        "--model",
        model.to_str().unwrap(),
        "--input",
        inp.to_str().unwrap(),
        "--output",
        scored.to_str().unwrap(),
        "--check",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("checked 301 rows against XGBoost"));
    let lines = jsonl(&scored);
    assert_eq!(lines.len(), 303);
    let first = &lines[0];
    assert!(first["probability"].as_f64().unwrap() > 0.0);
    assert!(["low", "medium", "high"].contains(&first["band"].as_str().unwrap()));
    assert!(
        first["top_features"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(
        first["features"]["depth_inches"].is_number()
            || first["features"]["depth_inches"].is_null()
    );
    assert_eq!(first["model_version"], report["version"]);
    assert!(
        lines[301]["error"]
            .as_str()
            .unwrap()
            .contains("unknown feature")
    );
    assert!(lines[302]["error"].is_string());
    let schema = s.ok(&["score", "--list-features"]);
    assert!(schema.starts_with("feature schema aegis-features-v1"));
    // A model with other feature names is refused with a clear error.
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&model).unwrap()).unwrap();
    m["learner"]["feature_names"][0] = "other".into();
    let wrong = s.path("wrong.json");
    std::fs::write(&wrong, m.to_string()).unwrap();
    let out = s.aegis(&[
        "score",
        "--model",
        wrong.to_str().unwrap(),
        "--input",
        inp.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("feature 0 is 'other', expected 'emergency'")
    );
}
