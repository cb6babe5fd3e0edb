//! Authentication and roles: every endpoint against every kind of caller, revocation, rate
//! limiting of failures, and the OpenAPI document.

use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    every_role_against_every_endpoint,
    revoked_tokens_stop_working
);

#[derive(Clone, Copy, PartialEq)]
enum Needs {
    Officer,
    Operator,
}

/// Every authenticated endpoint and the role it needs (contract §2–4).
const MATRIX: &[(&str, &str, Needs)] = &[
    ("GET", "/v1/alerts", Needs::Officer),
    ("GET", "/v1/alerts/stream", Needs::Officer),
    ("GET", "/v1/alerts/x", Needs::Officer),
    ("POST", "/v1/alerts/x/ack", Needs::Officer),
    ("POST", "/v1/alerts/x/resolve", Needs::Officer),
    ("POST", "/v1/tickets/TEST/x/outcome", Needs::Operator),
    ("GET", "/v1/admin/workflows", Needs::Operator),
    ("GET", "/v1/admin/workflows/x", Needs::Operator),
    ("POST", "/v1/admin/workflows/x/retry", Needs::Operator),
    ("POST", "/v1/admin/workflows/x/cancel", Needs::Operator),
    ("GET", "/v1/admin/dead-letters", Needs::Operator),
    ("POST", "/v1/admin/dead-letters/x/redrive", Needs::Operator),
    ("GET", "/v1/admin/actors", Needs::Operator),
    ("GET", "/v1/admin/model", Needs::Operator),
    ("POST", "/v1/admin/model/reload", Needs::Operator),
    ("GET", "/v1/admin/model/quality", Needs::Operator),
    ("GET", "/v1/admin/stats", Needs::Operator),
    ("GET", "/v1/admin/facility-layers", Needs::Operator),
    ("GET", "/v1/admin/facility-layers/x", Needs::Operator),
    ("PUT", "/v1/admin/facility-layers/x", Needs::Operator),
    ("PUT", "/v1/admin/facility-coverage", Needs::Operator),
    ("PUT", "/v1/admin/centers/TEST/auto-clear", Needs::Operator),
    ("GET", "/v1/admin/investigations", Needs::Officer),
    (
        "GET",
        "/v1/admin/workflows/x/investigations",
        Needs::Officer,
    ),
    (
        "POST",
        "/v1/admin/workflows/x/investigations/y/close",
        Needs::Operator,
    ),
];

async fn call(app: &TestApp, method: &str, path: &str, token: Option<&str>) -> Reply {
    let url = format!("{}{path}", app.base);
    let mut req = match method {
        "GET" => app.client.get(url),
        "PUT" => app
            .client
            .put(url)
            .json(&json!({"channels": [], "members": ["ops"]})),
        _ => app
            .client
            .post(url)
            .json(&json!({"disposition": "no_conflict", "damage": false})),
    };
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    if path.ends_with("/stream") && resp.status() == 200 {
        // Do not wait for an endless body.
        return Reply {
            status: resp.status().as_u16(),
            body: serde_json::Value::Null,
            headers: resp.headers().clone(),
        };
    }
    reply(resp).await
}

async fn every_role_against_every_endpoint(backend: Backend) {
    let Some(app) = spawn_with(backend, |s| s.auth.max_failures_per_minute = 10_000).await else {
        return;
    };
    for &(method, path, needs) in MATRIX {
        let anonymous = call(&app, method, path, None).await;
        assert_eq!(anonymous.status, 401, "{method} {path} without a token");
        assert_eq!(anonymous.body["error"]["code"], "UNAUTHENTICATED");
        let garbage = call(&app, method, path, Some("aegis_not-a-token")).await;
        assert_eq!(garbage.status, 401, "{method} {path} with a made-up token");
        let officer = call(&app, method, path, Some(&app.officer_token)).await;
        match needs {
            Needs::Operator => {
                assert_eq!(officer.status, 403, "{method} {path} as an officer");
                assert_eq!(officer.body["error"]["code"], "FORBIDDEN");
            }
            Needs::Officer => assert!(
                ![401, 403].contains(&officer.status),
                "{method} {path} as an officer: {}",
                officer.status
            ),
        }
        let operator = call(&app, method, path, Some(&app.token)).await;
        assert!(
            ![401, 403].contains(&operator.status),
            "{method} {path} as an operator: {}",
            operator.status
        );
    }
    // Public endpoints need nothing.
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        assert_eq!(call(&app, "GET", path, None).await.status, 200, "{path}");
    }
}

async fn revoked_tokens_stop_working(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    assert_eq!(app.get("/v1/alerts", &app.officer_token).await.status, 200);
    {
        let mut conn = app.db.write().unwrap();
        aegis::db::principals::revoke(&mut conn, "officer-1").unwrap();
    }
    // Verified tokens are cached for a few seconds.
    tokio::time::sleep(std::time::Duration::from_millis(5_200)).await;
    let r = app.get("/v1/alerts", &app.officer_token).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["error"]["code"], "UNAUTHENTICATED");
}

#[actix_web::test]
async fn repeated_failures_are_rate_limited() {
    let Some(app) = spawn_with(Backend::Sqlite, |s| s.auth.max_failures_per_minute = 5).await
    else {
        return;
    };
    for _ in 0..5 {
        assert_eq!(app.get("/v1/alerts", "aegis_wrong").await.status, 401);
    }
    let r = app.get("/v1/alerts", "aegis_wrong").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.body["error"]["code"], "RATE_LIMITED");
    assert!(r.headers.contains_key("retry-after"));
    // A good token is never refused: behind a proxy everyone shares the address.
    assert_eq!(app.get("/v1/alerts", &app.officer_token).await.status, 200);
}

#[actix_web::test]
async fn every_route_is_in_the_openapi_document() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let doc = app
        .client
        .get(format!("{}/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    let doc: serde_json::Value = doc.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for (method, path) in aegis::http::ROUTES {
        let op = &doc["paths"][path][method.to_lowercase()];
        assert!(op.is_object(), "{method} {path} is not in /openapi.json");
        assert!(
            op["responses"].is_object(),
            "{method} {path} documents no responses"
        );
    }
    // And every route listed is really served: a filled-in path never reaches the catch-all.
    for (method, path) in aegis::http::ROUTES {
        let filled = path
            .replace("{center}", "TEST")
            .replace("{id}", "x")
            .replace("{ticket_number}", "x");
        let r = call(&app, method, &filled, Some(&app.token)).await;
        assert!(
            !(r.status == 404 && r.body["error"]["message"] == "no such route"),
            "{method} {path} is listed but not served"
        );
    }
    let documented = doc["paths"].as_object().unwrap().len();
    let listed: std::collections::BTreeSet<&str> =
        aegis::http::ROUTES.iter().map(|(_, p)| *p).collect();
    assert_eq!(
        documented,
        listed.len(),
        "the document describes exactly the served paths"
    );
}
