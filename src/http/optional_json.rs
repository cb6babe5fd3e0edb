//! An optional JSON body: absent (empty, or `null`) is `None`; present, it must be JSON of the right shape,
//! refused in the contract's envelope like any other body (`Option<web::Json<T>>` would instead
//! silently treat a malformed body as absent).

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use super::error::ApiError;

#[derive(Debug)]
pub struct OptionalJson<T>(pub Option<T>);

impl<T> OptionalJson<T> {
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let payload = web::Payload::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let payload = payload
                .await
                .map_err(|e| ApiError::malformed(e.to_string()))?;
            let timeout = req
                .app_data::<web::Data<super::state::AppState>>()
                .map(|s| s.body_timeout())
                .ok_or_else(|| ApiError::internal("application state missing"))?;
            let body =
                super::body::read_body(payload, &req, super::body::API_BODY_LIMIT, timeout).await?;
            if body.is_empty() {
                return Ok(Self(None));
            }
            super::body::require_json(&req)?;
            // `null` says "nothing" as plainly as an empty body does.
            serde_json::from_slice::<Option<T>>(&body)
                .map(Self)
                .map_err(|e| ApiError::from_json(&e))
        })
    }
}
