//! The contract's error envelope, for every non-2xx answer:
//! `{"error": {"code", "message", "details"}, "request_id"}`.
//!
//! Handlers return [`ApiError`]; its message is written for the caller and never carries
//! internals (those go to the log with the request id). Every use case's error becomes one
//! through the application's policy (`app::errors`): this module only maps its kinds to
//! statuses.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::app::{Refusal, UseCaseError};
use crate::web::status::status_of;

/// The error envelope of every non-2xx answer (as documented).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
    pub request_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `MALFORMED_PAYLOAD`, `SIGNATURE_INVALID`, `UNAVAILABLE`, ...
    pub code: String,
    pub message: String,
    /// Present when there is more to say, such as the offending field.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object, required = false)]
    pub details: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
    pub retry_after: Option<u64>,
    /// Close the connection after answering: the rest of the body was never read.
    pub close: bool,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
            retry_after: None,
            close: false,
        }
    }

    /// Answers and closes the connection (a body left unread cannot be skipped).
    pub fn closing(mut self) -> Self {
        self.close = true;
        self
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    pub fn malformed(message: impl Into<String>) -> Self {
        Self::from_refusal(Refusal::malformed(message))
    }

    pub fn not_found(what: &str) -> Self {
        Self::from_refusal(Refusal::not_found(what))
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::from_refusal(Refusal::conflict(code, message))
    }

    /// `422 VALIDATION_FAILED` listing every problem (field, code, message).
    pub fn problems(problems: &[aegis_workflows::Problem]) -> Self {
        Self::from_refusal(Refusal::problems(problems))
    }

    /// `422 VALIDATION_FAILED` naming the offending field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::from_refusal(Refusal::invalid(field, message))
    }

    /// 503: nothing was made durable or changed, send it again.
    pub fn unavailable(message: impl Into<String>, retry_after: u64) -> Self {
        Self::from_refusal(Refusal::unavailable(message, retry_after))
    }

    /// A JSON body that does not parse (400) or does not fit its shape (422).
    pub fn from_json(e: &serde_json::Error) -> Self {
        if e.is_data() {
            Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "VALIDATION_FAILED",
                format!("the body does not fit: {e}"),
            )
        } else {
            Self::malformed(format!("the body is not valid JSON: {e}"))
        }
    }

    /// 500 with a generic message; the cause goes to the log.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::from_refusal(Refusal::internal(cause))
    }

    pub fn body(&self, request_id: &str) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(d) = &self.details {
            error["details"] = d.clone();
        }
        json!({ "error": error, "request_id": request_id })
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let id = crate::web::request_id::current();
        let mut resp = HttpResponse::build(self.status).json(self.body(&id));
        if self.close || self.status == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the body was never read; the connection cannot be reused.
            resp.head_mut()
                .set_connection_type(actix_web::http::ConnectionType::Close);
        }
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

impl ApiError {
    pub fn from_refusal(r: Refusal) -> Self {
        Self {
            status: status_of(r.kind),
            code: r.code,
            message: r.message,
            details: r.details,
            retry_after: r.retry_after,
            close: false,
        }
    }
}

/// Any use case's error (a [`Refusal`] included), as its refusal says.
impl<E: UseCaseError> From<E> for ApiError {
    fn from(e: E) -> Self {
        Self::from_refusal(e.refusal())
    }
}
