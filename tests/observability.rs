//! The deployment files agree with the code: alert rules pass promtool, dashboards and rules
//! query only metrics Aegis exports, and the compose stack is wired to configuration keys Aegis
//! actually reads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use aegis::config::Settings;
use aegis::telemetry::names;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn yaml(path: &Path) -> serde_yaml::Value {
    serde_yaml::from_slice(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// promtool, or `None` (loudly) outside CI when it is not installed.
fn promtool() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("promtool"))
                .find(|p| p.exists())
        })
        .unwrap_or_default();
    if found.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("promtool is required under CI=true (make test installs it)");
        }
        eprintln!("SKIPPED: promtool is not installed; `make test` installs it");
    }
    found
}

#[test]
fn rules_and_scrape_config_pass_promtool() {
    let Some(promtool) = promtool() else { return };
    let dir = root().join("prometheus");
    for args in [
        vec!["check", "rules", "rules.yml"],
        vec!["check", "config", "prometheus.yml"],
        vec!["test", "rules", "rules_test.yml"],
    ] {
        let out = Command::new(&promtool)
            .args(&args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool {}: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Metric names in a PromQL expression.
fn metrics_in(expr: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let bytes = expr.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts = expr[i..].starts_with("aegis_")
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'));
        if starts {
            let end = expr[i..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(expr.len(), |e| i + e);
            out.insert(expr[i..end].to_owned());
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// Whether Aegis exports a series of this name (histograms export `_bucket`, `_sum`, `_count`).
fn exported(name: &str) -> bool {
    names::ALL.iter().any(|(n, kind, _)| {
        *n == name
            || (*kind == "histogram"
                && ["_bucket", "_sum", "_count"]
                    .iter()
                    .any(|s| name == format!("{n}{s}")))
    })
}

fn dashboard_exprs() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root().join("grafana/dashboards")).unwrap() {
        let path = entry.unwrap().path();
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for p in v["panels"].as_array().unwrap() {
            for t in p["targets"].as_array().unwrap() {
                out.push((
                    format!("{} / {}", path.display(), p["title"]),
                    t["expr"].as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    out
}

fn rule_exprs() -> Vec<(String, String)> {
    let v = yaml(&root().join("prometheus/rules.yml"));
    let mut out = Vec::new();
    for g in v["groups"].as_sequence().unwrap() {
        for r in g["rules"].as_sequence().unwrap() {
            out.push((
                r["alert"].as_str().unwrap().to_owned(),
                r["expr"].as_str().unwrap().to_owned(),
            ));
        }
    }
    out
}

#[test]
fn dashboards_and_rules_query_only_exported_metrics() {
    let exprs: Vec<_> = dashboard_exprs().into_iter().chain(rule_exprs()).collect();
    assert!(exprs.len() > 20);
    let mut used = BTreeSet::new();
    for (where_, expr) in &exprs {
        for m in metrics_in(expr) {
            assert!(
                exported(&m),
                "{where_} queries {m}, which Aegis does not export"
            );
            used.insert(m);
        }
    }
    // The overdue-alert rule, the one that wakes someone at 2 a.m., watches a real gauge.
    assert!(used.contains(names::ALERTS_OVERDUE));
    assert!(metrics_in("rate(aegis_a_b[5m]) / aegis_c").len() == 2);
}

#[test]
fn the_safety_and_operations_dashboards_exist() {
    let titles: BTreeSet<String> = std::fs::read_dir(root().join("grafana/dashboards"))
        .unwrap()
        .map(|e| {
            let v: serde_json::Value =
                serde_json::from_slice(&std::fs::read(e.unwrap().path()).unwrap()).unwrap();
            v["title"].as_str().unwrap().to_owned()
        })
        .collect();
    assert!(
        titles.contains("Aegis — operations") && titles.contains("Aegis — safety"),
        "{titles:?}"
    );
    let ds = yaml(&root().join("grafana/provisioning/datasources/prometheus.yml"));
    assert_eq!(ds["datasources"][0]["uid"].as_str(), Some("prometheus"));
    for (_, e) in dashboard_exprs() {
        assert!(!e.is_empty());
    }
}

#[test]
fn compose_wiring_matches_the_configuration_aegis_reads() {
    let dir = root().join("compose");
    let mut compose = yaml(&dir.join("docker-compose.yml"));
    // The Aegis services share their build and dependencies through a YAML merge key.
    compose.apply_merge().unwrap();
    let services = compose["services"].as_mapping().unwrap();
    let service = |n: &str| services.get(n).unwrap_or_else(|| panic!("no service {n}"));
    for s in [
        "postgres",
        "rabbitmq",
        "prometheus",
        "grafana",
        "aegis-1",
        "aegis-2",
    ] {
        service(s);
    }
    let pg = &service("postgres")["environment"];
    let (user, password, dbname) = (
        pg["POSTGRES_USER"].as_str().unwrap(),
        pg["POSTGRES_PASSWORD"].as_str().unwrap(),
        pg["POSTGRES_DB"].as_str().unwrap(),
    );
    let prom = yaml(&root().join("prometheus/prometheus.yml"));
    let targets: BTreeSet<String> = prom["scrape_configs"][0]["static_configs"][0]["targets"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    for name in ["aegis-1", "aegis-2"] {
        let env = service(name)["environment"].as_mapping().unwrap();
        let vars: std::collections::HashMap<String, String> = env
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().unwrap().to_owned(),
                    v.as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert!(
            vars.keys().all(|k| k.starts_with("AEGIS__")),
            "{name}: {vars:?}"
        );
        // Aegis refuses unknown keys, so a typo in the compose file fails here.
        let settings =
            Settings::load_with_env(None, Some(vars)).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        assert_eq!(
            settings.database.url,
            format!("postgres://{user}:{password}@postgres:5432/{dbname}"),
            "{name}"
        );
        assert!(
            settings.bus.url.starts_with("amqp://") && settings.bus.url.contains("@rabbitmq:5672"),
            "{name}"
        );
        assert_eq!(settings.runtime.node_id, name);
        let port = settings.http.bind.rsplit(':').next().unwrap();
        assert!(
            settings.http.bind.starts_with("0.0.0.0:"),
            "{name} must listen beyond localhost"
        );
        assert!(
            targets.contains(&format!("{name}:{port}")),
            "Prometheus does not scrape {name}:{port}"
        );
        // The image it runs is built from this repository.
        let build = &service(name)["build"];
        assert!(
            dir.join(build["context"].as_str().unwrap())
                .join(build["dockerfile"].as_str().unwrap())
                .exists()
        );
    }
    let grafana_ds = yaml(&root().join("grafana/provisioning/datasources/prometheus.yml"));
    assert_eq!(
        grafana_ds["datasources"][0]["url"].as_str(),
        Some("http://prometheus:9090")
    );
    // Every mounted file or directory exists.
    for s in services.values() {
        for v in s["volumes"].as_sequence().into_iter().flatten() {
            let src = v.as_str().unwrap().split(':').next().unwrap();
            if src.starts_with('.') {
                assert!(dir.join(src).exists(), "{src} is mounted but missing");
            }
        }
    }
}
