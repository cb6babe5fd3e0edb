//! The PositiveResponse API client: a bearer token per center from `POST /api/Token` (fetched
//! again when a call answers `401`), `GET /member/LocateCode` for the code list and
//! `POST /member/LocateCode` to post a response. How an answer is read: `isSuccessful` in the
//! body decides, not the status alone; `412` is final with its reason; transport errors, `408`,
//! `429` and `5xx` are worth another attempt; any other `4xx` is final.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aegis_actors::ports::{BoxFuture, Responder};
use aegis_actors::records::{ResponseJob, SendResult};
use aegis_workflows::positive_response::{LocateCode, rejection_reason};
use futures::FutureExt;
use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::db::Db;
use crate::db::response_apis::{self, ResponseApi};
use crate::notify::http_post::transport_error;
use crate::outbound::Outbound;

/// Answers are kept only this long in errors.
const BODY_SNIPPET: usize = 200;

/// center → (url, username, token): a token is used only with the login it came from.
type Tokens = HashMap<String, (String, String, String)>;

#[derive(Clone)]
pub struct PositiveResponseClient {
    db: Db,
    http: reqwest::Client,
    outbound: Outbound,
    tokens: Arc<Mutex<Tokens>>,
}

/// Why a call did not give an answer to read.
enum CallError {
    /// The token was refused: fetch a new one (once).
    Unauthorized,
    Failed(SendResult),
}

impl PositiveResponseClient {
    /// The center's server is an operator's target: it goes out through the outbound policy.
    pub fn new(db: Db, timeout: Duration, outbound: Outbound) -> anyhow::Result<Self> {
        Ok(Self {
            db,
            http: outbound.client(timeout)?,
            outbound,
            tokens: Arc::default(),
        })
    }

    /// `path` under the center's server. The set-up's URL carries no user info, query or
    /// fragment (a `#` would make every path one page, and the login go where it points).
    fn endpoint(&self, api: &ResponseApi, path: &str) -> Result<String, SendResult> {
        let refused = |error: String| SendResult::Refused {
            error: format!("the response API's URL cannot be used: {error}"),
        };
        let u = reqwest::Url::parse(&api.url).map_err(|e| refused(e.to_string()))?;
        if !u.username().is_empty()
            || u.password().is_some()
            || u.query().is_some()
            || u.fragment().is_some()
        {
            return Err(refused(
                "it carries user info, a query or a fragment".into(),
            ));
        }
        self.outbound.check_literal(&u).map_err(refused)?;
        Ok(format!("{}{path}", u.as_str().trim_end_matches('/')))
    }

    async fn token(&self, api: &ResponseApi, fresh: bool) -> Result<String, SendResult> {
        if !fresh
            && let Some((url, user, token)) = self.tokens.lock().get(&api.center).cloned()
            && url == api.url
            && user == api.username
        {
            return Ok(token);
        }
        let body = json!({ "userName": api.username, "password": api.password });
        let resp = self
            .http
            .post(self.endpoint(api, "/api/Token")?)
            .json(&body)
            .send()
            .await
            .map_err(|e| SendResult::Transient {
                error: format!("token: {}", transport_error(&e)),
            })?;
        let status = resp.status();
        let answer: Value = read_body(resp).await;
        if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
            return Err(SendResult::Transient {
                error: format!("token: HTTP {}", status.as_u16()),
            });
        }
        let token = answer
            .get("token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty());
        match (status.is_success(), successful(&answer), token) {
            (true, true, Some(t)) => {
                self.tokens.lock().insert(
                    api.center.clone(),
                    (api.url.clone(), api.username.clone(), t.to_owned()),
                );
                Ok(t.to_owned())
            }
            // A refused login is final for this response: the operator must fix the account.
            _ => Err(SendResult::Refused {
                error: format!(
                    "the center refused the login for user '{}' (HTTP {})",
                    api.username,
                    status.as_u16()
                ),
            }),
        }
    }

    /// One call with the current token; `Unauthorized` when the token was refused.
    async fn call(
        &self,
        token: &str,
        req: reqwest::RequestBuilder,
    ) -> Result<(u16, Value), CallError> {
        let resp = req.bearer_auth(token).send().await.map_err(|e| {
            CallError::Failed(SendResult::Transient {
                error: transport_error(&e),
            })
        })?;
        let status = resp.status().as_u16();
        if status == 401 {
            return Err(CallError::Unauthorized);
        }
        Ok((status, read_body(resp).await))
    }

    /// A call with a token, fetched again once if the center refuses the one we have.
    async fn with_token(
        &self,
        api: &ResponseApi,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<(u16, Value), SendResult> {
        let token = self.token(api, false).await?;
        match self.call(&token, build()).await {
            Ok(answer) => Ok(answer),
            Err(CallError::Failed(r)) => Err(r),
            Err(CallError::Unauthorized) => {
                let token = self.token(api, true).await?;
                match self.call(&token, build()).await {
                    Ok(answer) => Ok(answer),
                    Err(CallError::Failed(r)) => Err(r),
                    Err(CallError::Unauthorized) => Err(SendResult::Transient {
                        error: "HTTP 401 even with a new token".into(),
                    }),
                }
            }
        }
    }

    /// The center's locate codes (`GET /member/LocateCode`).
    pub async fn locate_codes(&self, api: &ResponseApi) -> Result<Vec<LocateCode>, String> {
        let url = self
            .endpoint(api, "/member/LocateCode")
            .map_err(|r| describe(&r))?;
        let (status, body) = self
            .with_token(api, || self.http.get(&url))
            .await
            .map_err(|r| describe(&r))?;
        if !(200..300).contains(&status) || !successful(&body) {
            return Err(format!("HTTP {status}: {}", snippet(&body)));
        }
        let list = body
            .get("locateCodes")
            .and_then(Value::as_array)
            .ok_or_else(|| "the answer has no locateCodes list".to_owned())?;
        list.iter()
            .map(|c| {
                let code = c
                    .get("locateCode")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("a locate code without its code: {c}"))?;
                Ok(LocateCode {
                    code: code.to_owned(),
                    active: c.get("isActive").and_then(Value::as_bool).unwrap_or(false),
                    description: c
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                })
            })
            .collect()
    }

    async fn post_response(&self, job: ResponseJob) -> SendResult {
        let r = &job.record;
        let center = r.center.clone();
        let api = match self
            .db
            .with_read(move |c| response_apis::api(c, &center))
            .await
        {
            Ok(Some(api)) => api,
            Ok(None) => {
                return SendResult::Refused {
                    error: "the center has no positive-response API any more".into(),
                };
            }
            Err(e) => {
                return SendResult::Transient {
                    error: format!("reading the center's response API: {e}"),
                };
            }
        };
        let body = json!({
            "requestNumber": r.ticket_number,
            "station": r.station,
            "locateCode": r.code,
            "reason": r.note.clone().unwrap_or_default(),
            "isNoteVisibleToContractor": false,
            "accountNameOfPositiveResponseProvider": r.account,
            "trailId": r.id,
        });
        let url = match self.endpoint(&api, "/member/LocateCode") {
            Ok(u) => u,
            Err(r) => return r,
        };
        let (status, answer) = match self
            .with_token(&api, || self.http.post(&url).json(&body))
            .await
        {
            Ok(x) => x,
            Err(r) => return r,
        };
        read_post_answer(status, &answer)
    }
}

/// What a `POST /member/LocateCode` answer means.
fn read_post_answer(status: u16, answer: &Value) -> SendResult {
    match status {
        200..=299 if successful(answer) => SendResult::Accepted,
        200..=299 => SendResult::Refused {
            error: format!("HTTP {status} without isSuccessful: {}", snippet(answer)),
        },
        412 => {
            let reason = ["reason", "reasonCode", "reasonId"]
                .iter()
                .find_map(|k| answer.get(*k).and_then(Value::as_u64))
                .and_then(|n| u32::try_from(n).ok());
            SendResult::Refused {
                error: match reason {
                    Some(n) => format!("412 reason {n}: {}", rejection_reason(n)),
                    None => format!("412: {}", snippet(answer)),
                },
            }
        }
        408 | 429 | 500..=599 => SendResult::Transient {
            error: format!("HTTP {status}: {}", snippet(answer)),
        },
        _ => SendResult::Refused {
            error: format!("HTTP {status}: {}", snippet(answer)),
        },
    }
}

fn successful(v: &Value) -> bool {
    v.get("isSuccessful").and_then(Value::as_bool) == Some(true)
}

async fn read_body(resp: reqwest::Response) -> Value {
    match resp.text().await {
        Ok(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        Err(e) => Value::String(format!("(the answer could not be read: {e})")),
    }
}

fn snippet(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    s.chars().take(BODY_SNIPPET).collect()
}

fn describe(r: &SendResult) -> String {
    match r {
        SendResult::Accepted => "accepted".into(),
        SendResult::Transient { error } | SendResult::Refused { error } => error.clone(),
    }
}

impl Responder for PositiveResponseClient {
    fn post(&self, job: ResponseJob) -> BoxFuture<'static, SendResult> {
        let me = self.clone();
        async move { me.post_response(job).await }.boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_by_is_successful_and_status() {
        let ok = json!({"isSuccessful": true});
        assert_eq!(read_post_answer(201, &ok), SendResult::Accepted);
        assert!(matches!(
            read_post_answer(201, &json!({"isSuccessful": false})),
            SendResult::Refused { .. }
        ));
        let SendResult::Refused { error } = read_post_answer(412, &json!({"reason": 9})) else {
            panic!("a 412 is final");
        };
        assert!(error.starts_with("412 reason 9: a response that cannot be overridden"));
        assert!(matches!(
            read_post_answer(500, &json!("boom")),
            SendResult::Transient { .. }
        ));
        assert!(matches!(
            read_post_answer(403, &json!({})),
            SendResult::Refused { .. }
        ));
    }
}
