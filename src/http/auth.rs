//! Bearer-token authentication and roles, as extractors. Officers (and operators, who may do
//! everything an officer does) handle alerts; only operators inspect and repair workflows. The
//! rules — limits on failures, a valid token never refused — are the application's
//! (`app::sign_in`).

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::LocalBoxFuture;

use super::error::ApiError;
use crate::app::views::Principal;
use crate::web::state::AppState;

/// The bearer token a request presents, if any.
pub fn presented_token(req: &HttpRequest) -> Option<String> {
    let v = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty() && t.len() <= 256)
}

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("application state missing"))
}

/// The principal behind the request's token.
pub async fn authenticate(req: HttpRequest) -> Result<Principal, ApiError> {
    let state = state_of(&req)?;
    let token = presented_token(&req);
    Ok(state
        .app
        .authenticate(token.as_deref(), state.client(&req))
        .await?)
}

/// Any authenticated officer or operator.
#[derive(Debug, Clone)]
pub struct Officer(pub Principal);

/// An authenticated operator.
#[derive(Debug, Clone)]
pub struct Operator(pub Principal);

impl FromRequest for Officer {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(req).await.map(Officer) })
    }
}

impl FromRequest for Operator {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state_of(&req)?;
            let token = presented_token(&req);
            Ok(Operator(
                state
                    .app
                    .authenticate_operator(token.as_deref(), state.client(&req))
                    .await?,
            ))
        })
    }
}
