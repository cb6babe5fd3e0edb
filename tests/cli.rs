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
        self.aegis_env(args, &[])
    }

    fn aegis_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_aegis"))
            .args(args)
            .current_dir(&self.0)
            .env("AEGIS__DATABASE__URL", self.path("aegis.db"))
            .envs(env.iter().copied())
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
    // The console password comes from standard input, never the command line.
    let set = |name: &str, input: &str| {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_aegis"))
            .args(["users", "set-password", name])
            .current_dir(&s.0)
            .env("AEGIS__DATABASE__URL", s.path("aegis.db"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = set("dana", "a long enough passphrase\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !set("dana", "short\n").status.success(),
        "a short password is refused"
    );
    assert!(!set("nobody", "a long enough passphrase\n").status.success());
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
    assert!(schema.starts_with("feature schema aegis-features-v2"));
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

/// Runs `aegis serve` on `bind` until it answers, stops it, and returns what it printed.
fn serve_briefly(s: &Scratch, host: &str) -> String {
    let mut server = serve_on(s, host, &[]);
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    server.said.join().unwrap()
}

/// `aegis serve`, the port it chose, and everything it prints on stdout (once it ends).
struct Served {
    child: std::process::Child,
    port: u16,
    said: std::thread::JoinHandle<String>,
}

/// Starts `aegis serve` on `host` and port 0 with `env` set, and waits until it answers. The
/// port is the one the server prints: one chosen here and released before the server bound it
/// could be taken by another test's server meanwhile.
fn serve_on(s: &Scratch, host: &str, env: &[(&str, &str)]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aegis"))
        .arg("serve")
        .current_dir(&s.0)
        .env("AEGIS__DATABASE__URL", s.path("aegis.db"))
        .env("AEGIS__HTTP__BIND", format!("{host}:0"))
        .env("AEGIS__LOG__LEVEL", "error")
        .envs(env.iter().copied())
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let prefix = format!("Aegis is listening on {host}:");
    let said = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut all = String::new();
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(port) = line
                .strip_prefix(&prefix)
                .and_then(|p| p.trim().parse::<u16>().ok())
            {
                let _ = tx.send(port);
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let port = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("aegis did not say where it listens");
    let client = reqwest::blocking::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !client
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .is_ok_and(|r| r.status() == 200)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "aegis did not come up"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Served { child, port, said }
}

#[test]
fn the_demo_center_exists_only_on_a_fresh_loopback_install_and_its_secret_shows_once() {
    let s = Scratch::new();
    let public = serve_briefly(&s, "0.0.0.0");
    assert!(!public.contains("DEMO"), "{public}");
    assert!(s.ok(&["centers", "list"]).trim().is_empty());
    assert!(s.ok(&["facilities", "list"]).trim().is_empty());
    let first = serve_briefly(&s, "127.0.0.1");
    assert!(
        first.contains(
            "Demo center DEMO (native webhooks) created; its secret (shown once): whsec_"
        ),
        "{first}"
    );
    // The demo network came with it, once: six layers, imported by the demo.
    let layers = s.ok(&["facilities", "list"]);
    assert_eq!(layers.lines().count(), 6, "{layers}");
    assert!(
        layers.contains("demo-gas-mains\tgas_distribution"),
        "{layers}"
    );
    let again = serve_briefly(&s, "127.0.0.1");
    assert!(
        !again.contains("whsec_"),
        "the secret was printed again: {again}"
    );
    assert!(
        s.ok(&["centers", "remove", "DEMO"])
            .contains("center DEMO removed")
    );
    assert!(s.ok(&["centers", "list"]).trim().is_empty());
    // A real center exists: no demo center is added next to it.
    s.ok(&["centers", "add", "USAN", "--format", "onecall"]);
    let with_real = serve_briefly(&s, "127.0.0.1");
    assert!(!with_real.contains("DEMO"), "{with_real}");
    assert!(!s.ok(&["centers", "list"]).contains("DEMO"));
    assert!(!s.aegis(&["centers", "remove", "NOPE"]).status.success());
}

/// The XGBoost library the test build links, from the library path cargo gives tests.
fn xgboost_library() -> PathBuf {
    let paths = std::env::var("LD_LIBRARY_PATH").unwrap_or_default();
    std::env::split_paths(&paths)
        .map(|d| d.join("libxgboost.so"))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("libxgboost.so is on no path of LD_LIBRARY_PATH={paths}"))
}

/// Runs the copied binary with nothing of this environment: no `LD_LIBRARY_PATH`, no cargo.
fn run_clean(bin: &Path, dir: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(bin);
    cmd.args(args).current_dir(dir).env_clear();
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn the_binary_runs_from_another_directory_with_the_library_beside_it() {
    let s = Scratch::new();
    let install = s.path("install");
    std::fs::create_dir_all(&install).unwrap();
    let bin = install.join("aegis");
    std::fs::copy(env!("CARGO_BIN_EXE_aegis"), &bin).unwrap();
    let alone = run_clean(&bin, &s.0, &["--version"], &[]);
    assert!(
        !alone.status.success() && String::from_utf8_lossy(&alone.stderr).contains("libxgboost"),
        "the binary needs its library: {alone:?}"
    );
    // `make dist` ships the library under its soname beside the binary, with the shared objects
    // it needs from its own directory (the OpenMP runtime PyPI's wheel bundles).
    let library = xgboost_library();
    std::fs::copy(&library, install.join("libxgboost.so.3")).unwrap();
    for entry in std::fs::read_dir(library.parent().unwrap()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.contains(".so") && !name.starts_with("libxgboost") {
            std::fs::copy(&path, install.join(name)).unwrap();
        }
    }
    let version = run_clean(&bin, &s.0, &["--version"], &[]);
    assert!(version.status.success(), "{version:?}");
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("aegis "));
    let db = (
        "AEGIS__DATABASE__URL",
        s.path("clean.db").display().to_string(),
    );
    let csv = s.path("h.csv").display().to_string();
    let generated = run_clean(
        &bin,
        &s.0,
        &[
            "generate",
            "--tickets",
            "3000",
            "--damage-rate",
            "0.02",
            "--csv",
            &csv,
        ],
        std::slice::from_ref(&db),
    );
    assert!(generated.status.success(), "{generated:?}");
    let model = s.path("m.json").display().to_string();
    let train = run_clean(
        &bin,
        &s.0,
        &["train", "--csv", &csv, "--out", &model, "--rounds", "5"],
        std::slice::from_ref(&db),
    );
    assert!(train.status.success(), "{train:?}");
    assert!(Path::new(&model).exists());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut serve = Command::new(&bin)
        .arg("serve")
        .current_dir(&s.0)
        .env_clear()
        .env(db.0, &db.1)
        .env("AEGIS__HTTP__BIND", format!("127.0.0.1:{port}"))
        .env("AEGIS__MODEL__PATH", &model)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::blocking::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let up = loop {
        if client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .is_ok_and(|r| r.status() == 200)
        {
            break true;
        }
        if std::time::Instant::now() > deadline || serve.try_wait().unwrap().is_some() {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(up, "the copied binary did not serve");
}

#[test]
fn rosters_and_channels_are_wired_from_the_command_line() {
    let s = Scratch::new();
    s.ok(&["users", "add", "--role", "officer", "--name", "dana"]);
    s.ok(&["users", "add", "--role", "officer", "--name", "lee"]);
    let set = s.ok(&[
        "users",
        "channels",
        "dana",
        "--email",
        "dana@example.org",
        "--pagerduty-key",
        "R0ut1ngK3yABCD",
    ]);
    assert!(
        set.contains("dana: 2 channel(s), replacing 0 (none)"),
        "{set}"
    );
    let again = s.ok(&["users", "channels", "dana", "--email", "dana@example.org"]);
    assert!(
        again.contains("dana: 1 channel(s), replacing 2 (email, pagerduty)"),
        "it says what it replaced: {again}"
    );
    let bad = s.aegis(&["users", "channels", "lee", "--email", "not-an-address"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("channels[0].address"),
        "{bad:?}"
    );
    assert!(
        !s.aegis(&["users", "channels", "ghost", "--email", "g@example.org"])
            .status
            .success()
    );
    let put = s.ok(&[
        "rosters",
        "put",
        "safety-oncall",
        "--members",
        "dana,lee",
        "--after-hours",
        "lee",
        "--days",
        "Mon-Sun",
        "--from",
        "00:00",
        "--to",
        "00:00",
        "--timezone",
        "America/Los_Angeles",
    ]);
    assert!(put.contains("on duty now: dana, lee"), "{put}");
    let list = s.ok(&["rosters", "list"]);
    assert!(
        list.contains("safety-oncall\tmembers: dana,lee\tafter hours: lee"),
        "{list}"
    );
    let unknown = s.aegis(&["rosters", "put", "x", "--members", "ghost"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no such user: ghost"));
}

#[test]
fn facility_layers_are_imported_listed_and_retired_from_the_command_line() {
    let s = Scratch::new();
    let out = s.ok(&[
        "generate",
        "--facilities",
        "net",
        "--facility-extent-miles",
        "0.5",
    ]);
    assert!(out.contains("demo-gas-mains.geojson"), "{out}");
    let mains = s.path("net/demo-gas-mains.geojson");
    let mains = mains.to_str().unwrap();
    // A new layer needs its class; a bad mapping is refused, naming it; nothing is stored.
    let refused = s.aegis(&["facilities", "import", "mains", mains]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("class"));
    let refused = s.aegis(&[
        "facilities",
        "import",
        "mains",
        mains,
        "--class",
        "gas_distribution",
        "--attr",
        "colour=C",
    ]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("colour"));
    assert!(s.ok(&["facilities", "list"]).trim().is_empty());
    // The binary's own allocator and GDAL's: a real import through the release-shaped binary.
    let out = s.ok(&[
        "facilities",
        "import",
        "mains",
        mains,
        "--class",
        "gas_distribution",
        "--buffer-ft",
        "30",
    ]);
    assert!(
        out.starts_with("mains version 1: 14 feature(s), 98 vertices, from EPSG:4326 (geojson)"),
        "{out}"
    );
    let out = s.ok(&["facilities", "import", "mains", mains]);
    assert!(out.starts_with("mains version 2:"), "kept its class: {out}");
    let list = s.ok(&["facilities", "list"]);
    assert_eq!(
        list.trim(),
        "mains\tgas_distribution\tbuffer 30 ft, close 250 ft\tv2 screening\t14 feature(s)"
    );
    let show = s.ok(&["facilities", "show", "mains"]);
    assert_eq!(show.lines().count(), 3, "{show}");
    assert!(show.contains("  v1\t") && show.contains("by cli"), "{show}");
    assert!(s.ok(&["facilities", "retire", "mains"]).contains("retired"));
    assert!(s.ok(&["facilities", "list"]).contains("retired"));
    // Retiring again changes nothing, as `DELETE` on the layer does.
    assert!(
        s.ok(&["facilities", "retire", "mains"])
            .contains("already retired"),
        "a second retirement says so"
    );
    assert!(!s.aegis(&["facilities", "retire", "pipes"]).status.success());
}

#[test]
fn an_open_ticket_center_is_added_sent_to_and_loaded_from_the_command_line() {
    let s = Scratch::new();
    s.ok(&["migrate"]);
    let added = s.ok(&["centers", "add", "PA811", "--format", "openticket"]);
    assert!(added.contains("center PA811 added (openticket)"), "{added}");
    let secret = added
        .lines()
        .find_map(|l| l.strip_prefix("secret (shown once): "))
        .unwrap()
        .to_owned();
    assert!(
        s.ok(&["centers", "list"])
            .contains("PA811\topenticket\t1 active secret(s)")
    );
    let short = s.aegis(&[
        "centers",
        "add",
        "OK811",
        "--format",
        "openticket",
        "--secret",
        "short",
    ]);
    assert!(
        !short.status.success(),
        "a guessable bearer secret is refused"
    );
    let Served {
        child: mut server,
        port,
        ..
    } = serve_on(&s, "127.0.0.1", &[("AEGIS__DEMO__ENABLED", "false")]);
    let url = format!("http://127.0.0.1:{port}");
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/openticket/PA811-Routine.json"
    );
    let sent = s.ok(&[
        "send",
        "--url",
        &url,
        "--center",
        "PA811",
        "--secret",
        &secret,
        "--format",
        "openticket",
        file,
    ]);
    assert!(sent.starts_with("200 "), "{sent}");
    assert!(sent.contains("\"ticket_number\":\"20241231234\""), "{sent}");
    let wrong = s.aegis(&[
        "send",
        "--url",
        &url,
        "--center",
        "PA811",
        "--secret",
        "not-the-secret-000000000000",
        "--format",
        "openticket",
        file,
    ]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stdout).starts_with("401 "));
    // Without --url, `aegis send` posts where the configuration says Aegis listens.
    let bind = format!("127.0.0.1:{port}");
    let configured = s.aegis_env(
        &[
            "send",
            "--center",
            "PA811",
            "--secret",
            &secret,
            "--format",
            "openticket",
            file,
        ],
        &[("AEGIS__HTTP__BIND", bind.as_str())],
    );
    let said = String::from_utf8_lossy(&configured.stdout);
    assert!(configured.status.success(), "{said}");
    assert!(said.starts_with("200 "), "{said}");
    // The load generator's mix: a tenth each OneCall and Open Ticket, all taken.
    let report = s.ok(&[
        "loadgen",
        "--url",
        &url,
        "--center",
        "PA811",
        "--secret",
        &secret,
        "--format",
        "mixed",
        "--count",
        "40",
        "--concurrency",
        "4",
        "--json",
    ]);
    let r: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(
        (r["sent"].as_u64(), r["accepted"].as_u64()),
        (Some(40), Some(40)),
        "{report}"
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

/// The number after `label` in a summary line ("…: 1234 tickets, …").
fn count_before(summary: &str, label: &str) -> u64 {
    let at = summary
        .find(label)
        .unwrap_or_else(|| panic!("no {label} in {summary}"));
    summary[..at]
        .trim_end()
        .rsplit([' ', '('])
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count before {label} in {summary}"))
}

/// A replayed history (issue 33) goes through the lifecycle: the reports, read back through
/// the API, count what the replay says it did, and every workflow's trail verifies.
#[test]
fn a_replayed_history_fills_the_reports_through_the_lifecycle() {
    let s = Scratch::new();
    let out = s.aegis(&[
        "generate",
        "--history-days",
        "4",
        "--tickets-per-day",
        "150",
        "--damage-rate",
        "0.02",
        "--near-miss-rate",
        "0.01",
        "--seed",
        "7",
    ]);
    let (said, errors) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{said}{errors}");
    // In a pipe: the demo's secret (a fresh database) and the summary, no progress bar drawn.
    assert!(said.lines().count() <= 2, "{said}");
    assert!(
        !errors.contains("hours") && !said.contains("hours"),
        "{errors}"
    );
    let said = said.lines().last().unwrap().to_owned();
    let tickets = count_before(&said, "tickets,");
    let alerts = count_before(&said, "alerts");
    let acknowledged = count_before(&said, "acknowledged)");
    let investigations = count_before(&said, "investigations");
    assert!((450..=750).contains(&tickets), "{said}");
    assert!(
        alerts > 0 && acknowledged > 0 && investigations > 0,
        "{said}"
    );

    let token = s.ok(&["users", "add", "--role", "operator", "--name", "manager"]);
    let token = token.lines().last().unwrap().trim().to_owned();
    let server = serve_on(&s, "127.0.0.1", &[]);
    let client = reqwest::blocking::Client::new();
    let get = |path: &str| -> serde_json::Value {
        let r = client
            .get(format!("http://127.0.0.1:{}{path}", server.port))
            .bearer_auth(&token)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.json().unwrap()
    };
    let volume = get("/v1/reports/volume");
    assert_eq!(volume["totals"]["tickets"], tickets, "{volume:#}");
    let raised = get("/v1/reports/alerts");
    assert_eq!(raised["totals"]["raised"], alerts, "{raised:#}");
    assert_eq!(raised["totals"]["acknowledged"], acknowledged);
    let listed = get("/v1/admin/investigations?limit=200");
    assert_eq!(
        listed["items"].as_array().unwrap().len() as u64,
        investigations,
        "{listed:#}"
    );
    // Received over four days, not all at once.
    let days = get("/v1/reports/volume?bucket=day");
    let buckets: std::collections::BTreeSet<&str> = days["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["bucket"].as_str().unwrap())
        .collect();
    assert!(buckets.len() >= 4, "{buckets:?}");
    let some = get("/v1/admin/workflows?limit=20");
    for w in some["items"].as_array().unwrap() {
        let detail = get(&format!(
            "/v1/admin/workflows/{}",
            w["id"].as_str().unwrap()
        ));
        assert_eq!(detail["chain_valid"], true, "{detail:#}");
    }
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}
