//! Aegis against clients that try to hurt it: made-up methods, credential guessing behind a
//! shared proxy address, hostile model files, replayed outcomes, odd timestamps, many streams.

use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

#[actix_web::test]
async fn made_up_methods_share_one_label_and_do_not_grow_metrics() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    for i in 0..300 {
        let method = format!("M{i:04}{}", "X".repeat(2_000));
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = app
            .client
            .request(m, format!("{}/v1/alerts/{i}", app.base))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
    }
    let text = app.metrics_text().await;
    assert!(
        !text.contains("XXXXXXXX") && !text.contains("M0001"),
        "a made-up method reached a label"
    );
    assert!(
        text.contains("method=\"other\""),
        "made-up methods are counted as other"
    );
    // Every method label is one of a closed set (the recorder is shared by the tests running
    // beside this one, so the set is checked rather than the size).
    const METHODS: [&str; 10] = [
        "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE", "other",
    ];
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        if let Some((_, rest)) = line.split_once("method=\"") {
            let value = rest.split('"').next().unwrap_or_default();
            assert!(METHODS.contains(&value), "method label {value:?} in {line}");
        }
    }
    // Series, not lines: a histogram has a line per bucket. Other tests share the recorder
    // (schemathesis tries odd methods on every route), so this bounds the label sets by the
    // routes there are rather than naming them.
    let other_series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("aegis_http_requests_total{") && l.contains("method=\"other\""))
        .collect();
    assert!(
        other_series.len() < aegis::http::ROUTES.len() + 5,
        "{} series for made-up methods: {other_series:#?}",
        other_series.len()
    );
    // Unmatched paths share one route label too.
    assert!(!text.contains("/v1/alerts/17\""));
}

async fn get_from(app: &TestApp, token: &str, forwarded_for: Option<&str>) -> u16 {
    let mut r = app
        .client
        .get(format!("{}/v1/alerts", app.base))
        .bearer_auth(token);
    if let Some(f) = forwarded_for {
        r = r.header("x-forwarded-for", f);
    }
    r.send().await.unwrap().status().as_u16()
}

#[actix_web::test]
async fn guessing_from_a_shared_address_never_locks_out_a_valid_token() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    for i in 0..25 {
        let status = get_from(&app, &format!("aegis_guess{i:04}xxxxxxxxxxxxxxxx"), None).await;
        assert!(status == 401 || status == 429, "{status}");
    }
    assert_eq!(
        get_from(&app, "aegis_guess-after-the-limit", None).await,
        429
    );
    assert_eq!(get_from(&app, &app.token, None).await, 200, "the operator");
    assert_eq!(
        get_from(&app, &app.officer_token, None).await,
        200,
        "the officer"
    );
    // Without trusted proxies a forged X-Forwarded-For changes nothing: still the same peer.
    assert_eq!(
        get_from(&app, "aegis_guess-forged-header", Some("203.0.113.50")).await,
        429
    );
}

#[actix_web::test]
async fn behind_a_trusted_proxy_failures_count_per_forwarded_client_and_token_prefix() {
    let Some(app) = spawn_with(Backend::Sqlite, |s| {
        s.http.trusted_proxies = vec!["127.0.0.0/8".into()];
    })
    .await
    else {
        return;
    };
    for i in 0..25 {
        let _ = get_from(
            &app,
            &format!("aegis_{i:04}-distinct-prefix"),
            Some("203.0.113.7"),
        )
        .await;
    }
    assert_eq!(
        get_from(&app, "aegis_9999-distinct-prefix", Some("203.0.113.7")).await,
        429,
        "the guessing client is limited"
    );
    assert_eq!(
        get_from(&app, "aegis_8888-distinct-prefix", Some("203.0.113.8")).await,
        401,
        "another client behind the same proxy is not"
    );
    assert_eq!(
        get_from(&app, &app.officer_token, Some("203.0.113.7")).await,
        200
    );
    // One token prefix tried from many addresses is limited too.
    for i in 0..25 {
        let _ = get_from(
            &app,
            &format!("aegis_SAMEPREFIXAB{i:04}"),
            Some(&format!("198.51.100.{i}")),
        )
        .await;
    }
    assert_eq!(
        get_from(&app, "aegis_SAMEPREFIXABzzzz", Some("198.51.100.200")).await,
        429
    );
}

/// The bundled model with `change` applied to its first tree.
fn model_with(change: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut m: serde_json::Value = serde_json::from_slice(aegis::risk::BUNDLED_MODEL).unwrap();
    change(&mut m["learner"]["gradient_booster"]["model"]["trees"][0]);
    m.to_string().into_bytes()
}

/// A tree that is one long left spine: `depth` inner nodes, each with a leaf on the right.
fn spine(depth: usize) -> serde_json::Value {
    let n = 2 * depth + 1;
    let mut left = vec![-1i64; n];
    let mut right = vec![-1i64; n];
    for i in 0..depth {
        let node = 2 * i;
        left[node] = (2 * i + 2) as i64;
        right[node] = (2 * i + 1) as i64;
    }
    json!({
        "left_children": left, "right_children": right,
        "split_indices": vec![0; n], "split_conditions": vec![0.5; n],
        "sum_hessian": vec![1.0; n], "default_left": vec![0; n],
        "base_weights": vec![0.0; n], "parents": vec![0; n],
        "split_type": vec![0; n], "categories": [], "categories_nodes": [],
        "categories_segments": [], "categories_sizes": [],
        "tree_param": {"num_nodes": n.to_string(), "num_feature": "30", "size_leaf_vector": "1", "num_deleted": "0"},
        "id": 0, "loss_changes": vec![0.0; n],
    })
}

#[actix_web::test]
async fn model_reload_reads_only_sane_files_from_the_model_directory() {
    let base =
        std::env::temp_dir().join(format!("aegis-hostile-{}", uuid::Uuid::new_v4().simple()));
    let dir = base.join("models");
    std::fs::create_dir_all(&dir).unwrap();
    let model_dir = dir.display().to_string();
    let Some(app) = spawn_with(Backend::Sqlite, |s| {
        s.model.dir = model_dir;
        s.model.max_bytes = 4 * 1024 * 1024;
    })
    .await
    else {
        return;
    };
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).unwrap();
    write(
        "nan-split.json",
        &model_with(|t| t["split_conditions"][0] = json!("nan")),
    );
    write(
        "inf-leaf.json",
        &model_with(|t| {
            let leaf = t["left_children"]
                .as_array()
                .unwrap()
                .iter()
                .position(|c| c == -1)
                .unwrap();
            t["split_conditions"][leaf] = json!("inf");
        }),
    );
    write(
        "bad-feature.json",
        &model_with(|t| t["split_indices"][0] = json!(aegis_workflows::features::COUNT + 2)),
    );
    write("deep.json", &model_with(|t| *t = spine(65)));
    write("huge.json", &vec![b' '; 5 * 1024 * 1024]);
    let mut noops = vec![b'N'; 3 * 1024 * 1024];
    noops.push(b'{');
    write("noops.ubj", &noops);
    std::fs::write(base.join("outside.json"), aegis::risk::BUNDLED_MODEL).unwrap();
    std::os::unix::fs::symlink(base.join("outside.json"), dir.join("escape.json")).unwrap();
    let cases = [
        ("/dev/zero", "only from"),
        ("/etc/passwd", "only from"),
        ("../outside.json", "only from"),
        ("escape.json", "only from"),
        ("nan-split.json", "finite"),
        ("inf-leaf.json", "finite"),
        ("bad-feature.json", "split on feature 59"),
        ("deep.json", "deeper than 64"),
        ("huge.json", "larger than"),
        ("noops.ubj", "UBJSON"),
    ];
    for (path, says) in cases {
        let started = std::time::Instant::now();
        let r = app
            .post_json(
                "/v1/admin/model/reload",
                &app.token,
                &json!({ "path": path }),
            )
            .await;
        assert_eq!(r.status, 422, "{path}: {}", r.body);
        assert_eq!(r.body["error"]["code"], "VALIDATION_FAILED");
        let message = r.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{path}: {message}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{path} took {:?}",
            started.elapsed()
        );
    }
    // Still scoring with the model it had.
    let w = app.post_native(&fixture("normal.json")).await;
    let done = app
        .wait_state(w.body["workflow_id"].as_str().unwrap(), "resolved")
        .await;
    assert!(done["score"]["probability"].as_f64().unwrap().is_finite());
    write("good.json", aegis::risk::BUNDLED_MODEL);
    let ok = app
        .post_json(
            "/v1/admin/model/reload",
            &app.token,
            &json!({"path": "good.json"}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let _ = std::fs::remove_dir_all(&base);
}

fn damages(app: &TestApp) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let q =
        diesel::sql_query("SELECT CAST(COALESCE(SUM(damages), 0) AS BIGINT) AS n FROM excavators");
    let mut conn = app.db.read().unwrap();
    let rows: Vec<N> = match &mut conn {
        aegis::db::AnyConn::Sqlite(c) => q.load(&mut **c).unwrap(),
        aegis::db::AnyConn::Pg(c) => q.load(&mut **c).unwrap(),
    };
    rows[0].n
}

both_backends!(a_replayed_outcome_counts_once);

async fn a_replayed_outcome_counts_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.resolved_normal_ticket().await;
    let path = "/v1/tickets/TEST/2026112200001/outcome";
    let body = json!({"damage": true, "facility": "gas", "reported_at": "2026-11-23T10:00:00Z"})
        .to_string();
    let first = app.post_signed_json(path, "out-replay-1", &body).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["duplicate"], false);
    let damage_after_first = damages(&app);
    assert_eq!(damage_after_first, 1);
    // The same delivery again (a center retrying), and the same report under a new delivery id.
    for delivery in ["out-replay-1", "out-replay-2"] {
        let again = app.post_signed_json(path, delivery, &body).await;
        assert_eq!(again.status, 200, "{delivery}: {}", again.body);
        assert_eq!(again.body["duplicate"], true);
        assert_eq!(again.body["id"], first.body["id"]);
    }
    // An operator posting the same report is a duplicate too.
    let op = app
        .post_json(path, &app.token, &serde_json::from_str(&body).unwrap())
        .await;
    assert_eq!(op.status, 200, "{}", op.body);
    assert_eq!(app.count("outcomes"), 1);
    assert_eq!(
        damages(&app),
        1,
        "a replay added to the excavator's damage history"
    );
    // Same ticket revision and time with other content: a conflict, not a silent overwrite.
    let other = json!({"damage": false, "reported_at": "2026-11-23T10:00:00Z"});
    let conflict = app.post_json(path, &app.token, &other).await;
    assert_eq!(conflict.status, 409, "{}", conflict.body);
    assert_eq!(conflict.body["error"]["code"], "CONFLICT");
    // Another time is another report.
    let later = json!({"damage": false, "reported_at": "2026-11-24T10:00:00Z"});
    assert_eq!(app.post_json(path, &app.token, &later).await.status, 201);
    assert_eq!(app.count("outcomes"), 2);
    // The 64 KiB API limit, in the contract's envelope, before authentication.
    let big = json!({"damage": false, "notes": "x".repeat(70_000)});
    let r = app
        .client
        .post(format!("{}{path}", app.base))
        .header("content-type", "application/json")
        .body(big.to_string())
        .send()
        .await
        .unwrap();
    let r = reply(r).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.body["error"]["code"], "PAYLOAD_TOO_LARGE");
}

#[actix_web::test]
async fn extreme_timestamps_and_replayed_garbage_are_handled_once() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    for ts in [i64::MIN, i64::MAX] {
        let r = app
            .post_native_as("TEST", "msg_extreme", ts, SECRET, &fixture("normal.json"))
            .await;
        assert_eq!(r.status, 401, "{ts}: {}", r.body);
        assert_eq!(r.body["error"]["code"], "TIMESTAMP_OUT_OF_TOLERANCE");
    }
    // A center retrying the same unreadable payload leaves one dead letter, not one per retry.
    let now = chrono::Utc::now().timestamp();
    for i in 0..3 {
        let r = app
            .post_native_as(
                "TEST",
                &format!("msg_garbage_{i}"),
                now,
                SECRET,
                b"not a ticket at all",
            )
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
    }
    assert_eq!(app.count("dead_letters"), 1);
    let other = app
        .post_native_as(
            "TEST",
            "msg_garbage_x",
            now,
            SECRET,
            b"another unreadable payload",
        )
        .await;
    assert_eq!(other.status, 400);
    assert_eq!(app.count("dead_letters"), 2);
}

async fn open_stream(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .get(format!("{}/v1/alerts/stream", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn streams_are_capped_and_end_when_their_token_is_revoked() {
    let Some(app) = spawn_with(Backend::Sqlite, |s| s.http.max_streams = 2).await else {
        return;
    };
    let victim = {
        let mut conn = app.db.write().unwrap();
        aegis::db::principals::add(&mut conn, "leaver", aegis::db::principals::Role::Officer)
            .unwrap()
    };
    let mut revoked_stream = open_stream(&app, &victim).await;
    assert_eq!(revoked_stream.status(), 200);
    let kept = open_stream(&app, &app.officer_token).await;
    assert_eq!(kept.status(), 200);
    let third = reply(open_stream(&app, &app.officer_token).await).await;
    assert_eq!(third.status, 503, "{}", third.body);
    assert_eq!(third.body["error"]["code"], "UNAVAILABLE");
    assert!(third.headers.contains_key("retry-after"));
    {
        let mut conn = app.db.write().unwrap();
        aegis::db::principals::revoke(&mut conn, "leaver").unwrap();
    }
    let ended = tokio::time::timeout(std::time::Duration::from_secs(15), async {
        while let Ok(Some(_)) = revoked_stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the revoked token's stream stayed open");
    // Its slot is free again.
    let mut reopened = None;
    for _ in 0..50 {
        let r = open_stream(&app, &app.officer_token).await;
        if r.status() == 200 {
            reopened = Some(r);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(reopened.is_some(), "the ended stream kept its slot");
    drop(kept);
}
