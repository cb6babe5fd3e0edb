//! A PositiveResponse server on loopback, following USA North 811's "API Member functions"
//! (the contract's `onecall/positive-response.md`): `POST /api/Token` (a failed login is `200`
//! with `isSuccessful: false`), `GET /member/LocateCode` (active and inactive codes), and
//! `POST /member/LocateCode` (`201` with `isSuccessful`, `401` for a token it no longer honours,
//! `412` with a reason, `500`), scripted per request number. It records what it was sent.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use parking_lot::Mutex;
use serde_json::{Value, json};

pub const USER: &str = "pr-user@example.org";
pub const PASSWORD: &str = "s3cret-Pr-password";

#[derive(Default)]
struct Shared {
    /// The token it honours now; `expire_token` forgets it.
    token: Mutex<Option<String>>,
    tokens_issued: Mutex<u32>,
    /// Request number → statuses to answer in turn (the last repeats); `0` hangs.
    script: Mutex<HashMap<String, Vec<u16>>>,
    posts: Mutex<Vec<(u16, Value)>>,
}

pub struct PositiveResponseServer {
    pub base: String,
    shared: Arc<Shared>,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for PositiveResponseServer {
    fn drop(&mut self) {
        let h = self.handle.clone();
        actix_web::rt::spawn(async move { h.stop(false).await });
    }
}

fn authorized(req: &HttpRequest, shared: &Shared) -> bool {
    let presented = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    presented.is_some() && presented.map(str::to_owned) == *shared.token.lock()
}

async fn token(body: web::Json<Value>, shared: web::Data<Arc<Shared>>) -> HttpResponse {
    if body["userName"] != USER || body["password"] != PASSWORD {
        return HttpResponse::Ok().json(json!({"isSuccessful": false, "token": ""}));
    }
    let n = {
        let mut issued = shared.tokens_issued.lock();
        *issued += 1;
        *issued
    };
    let t = format!("jwt-{n}-{}", uuid::Uuid::new_v4().simple());
    *shared.token.lock() = Some(t.clone());
    HttpResponse::Ok().json(json!({"isSuccessful": true, "token": t}))
}

async fn codes(req: HttpRequest, shared: web::Data<Arc<Shared>>) -> HttpResponse {
    if !authorized(&req, &shared) {
        return HttpResponse::Unauthorized().finish();
    }
    let code = |id: u32, code: &str, active: bool, d: &str| {
        json!({"locateCodeId": id, "locateCode": code, "isActive": active,
               "description": d, "descriptionShort": d})
    };
    HttpResponse::Ok().json(json!({
        "locateCodes": [
            code(1, "CODE 1", true, "Clear/No Conflict"),
            code(2, "CODE 2", true, "Marked"),
            code(3, "CODE 3", true, "Marked - Critical Facilities"),
            code(7, "CODE 7", false, "Retired"),
        ],
        "validationErrors": [], "exceptionMessages": [], "trailId": "t", "isSuccessful": true
    }))
}

async fn post_code(
    req: HttpRequest,
    body: web::Json<Value>,
    shared: web::Data<Arc<Shared>>,
) -> HttpResponse {
    if !authorized(&req, &shared) {
        return HttpResponse::Unauthorized().finish();
    }
    let body = body.into_inner();
    let number = body["requestNumber"].as_str().unwrap_or("").to_owned();
    let status = {
        let mut script = shared.script.lock();
        match script.get_mut(&number) {
            Some(list) if list.len() > 1 => list.remove(0),
            Some(list) => list.first().copied().unwrap_or(201),
            None => 201,
        }
    };
    shared.posts.lock().push((status, body.clone()));
    match status {
        0 => {
            tokio::time::sleep(Duration::from_secs(3_600)).await;
            HttpResponse::GatewayTimeout().finish()
        }
        201 => HttpResponse::Created().json(json!({
            "isSuccessful": true, "validationErrors": [], "exceptionMessages": [],
            "trailId": body["trailId"]
        })),
        412 => HttpResponse::PreconditionFailed().json(json!({
            "isSuccessful": false, "reason": 9,
            "validationErrors": ["A response that cannot be overridden exists"]
        })),
        s => HttpResponse::build(actix_web::http::StatusCode::from_u16(s).unwrap())
            .json(json!({"isSuccessful": false, "exceptionMessages": ["unexpected"]})),
    }
}

impl PositiveResponseServer {
    pub fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let data = web::Data::new(shared.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(data.clone())
                .route("/api/Token", web::post().to(token))
                .route("/member/LocateCode", web::get().to(codes))
                .route("/member/LocateCode", web::post().to(post_code))
        })
        .workers(2)
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Self {
            base: format!("http://127.0.0.1:{port}"),
            shared,
            handle,
        }
    }

    /// Answers posts for `number` with these statuses in turn (the last repeats); `0` hangs.
    pub fn script(&self, number: &str, statuses: &[u16]) {
        self.shared
            .script
            .lock()
            .insert(number.to_owned(), statuses.to_vec());
    }

    /// Stops honouring the current token (as when it expires).
    pub fn expire_token(&self) {
        *self.shared.token.lock() = None;
    }

    pub fn tokens_issued(&self) -> u32 {
        *self.shared.tokens_issued.lock()
    }

    /// Every post received for `number`: (status answered, body).
    pub fn posts(&self, number: &str) -> Vec<(u16, Value)> {
        self.shared
            .posts
            .lock()
            .iter()
            .filter(|(_, b)| b["requestNumber"] == number)
            .cloned()
            .collect()
    }
}
