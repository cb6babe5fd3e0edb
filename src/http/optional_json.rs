//! JSON bodies that must be objects, refused in the contract's envelope like any other misfit:
//! an optional one ([`OptionalJson`]: absent — empty, or `null` — is `None`, where
//! `Option<web::Json<T>>` would silently treat a malformed body as absent), and a required one
//! ([`Object`]).

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
                .app_data::<web::Data<crate::web::state::AppState>>()
                .map(|s| s.body_timeout())
                .ok_or_else(|| ApiError::internal("application state missing"))?;
            let body =
                super::body::read_body(payload, &req, super::body::API_BODY_LIMIT, timeout).await?;
            if body.is_empty() {
                return Ok(Self(None));
            }
            super::body::require_json(&req)?;
            // `null` says "nothing" as plainly as an empty body does. Anything else is an
            // object: serde would take a struct from an array too (`[null]`), field by field.
            let value: serde_json::Value =
                serde_json::from_slice(&body).map_err(|e| ApiError::from_json(&e))?;
            match value {
                serde_json::Value::Null => Ok(Self(None)),
                serde_json::Value::Object(_) => serde_json::from_value::<T>(value)
                    .map(|t| Self(Some(t)))
                    .map_err(|e| ApiError::from_json(&e)),
                _ => Err(ApiError::new(
                    actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "VALIDATION_FAILED",
                    "the body is a JSON object",
                )),
            }
        })
    }
}

/// A JSON object body. `web::Json<T>` of a struct would also take an array, field by field
/// (`["no_conflict", null]`): a body that is not an object is refused like any other misfit
/// (`422`). Size, media type and syntax are checked by `web::Json` and its configuration.
#[derive(Debug)]
pub struct Object<T>(pub T);

impl<T> Object<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Object<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Object<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let value = json.await?.into_inner();
            if !value.is_object() {
                return Err(ApiError::new(
                    actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "VALIDATION_FAILED",
                    "the body is a JSON object",
                )
                .into());
            }
            serde_json::from_value::<T>(value).map(Self).map_err(|e| {
                ApiError::new(
                    actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "VALIDATION_FAILED",
                    format!("the body does not fit: {e}"),
                )
                .into()
            })
        })
    }
}
