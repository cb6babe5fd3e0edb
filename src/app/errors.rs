//! The error policy of the application layer, written once (as crates.io's `util/errors.rs`).
//!
//! - **Per use case.** Every use case returns its own error enum (`thiserror`), whose variants
//!   say what stood in the way in the caller's terms (`NotFound`, `AlreadyRedriven`,
//!   `NoResponseApi`…). Adapters never see a diesel error, a pool or the writer.
//! - **One presentation.** Each enum implements [`UseCaseError`]: it presents itself as a
//!   [`Refusal`] — a [`Kind`], a stable machine code, a message written for the person or
//!   program that asked, and details. The HTTP adapter turns the kind into a status and the
//!   refusal into the contract's envelope; the console into a page with the same status and
//!   message. Nothing else maps errors to statuses.
//! - **What a caller sees.** The message of a refusal of their input (a missing field, an
//!   unknown id, a state that forbids the change) is theirs to act on. Storage trouble is
//!   `Unavailable` ("try again", with a Retry-After) and nothing was changed. Anything
//!   unexpected is `Internal`: the caller sees only "something went wrong; it has been logged".
//! - **What is logged.** An internal cause, at error, once, where it becomes a refusal; an
//!   unavailable database or runtime, at warn. Refusals of a caller's input are not logged: the
//!   adapters count them in metrics by code (never by content).
//!
//! | kind | HTTP | meaning |
//! |---|---|---|
//! | `Malformed` | 400 | not the shape of what was asked for at all |
//! | `Unauthenticated` | 401 | nobody, or a credential that does not hold |
//! | `Forbidden` | 403 | somebody not allowed to do this |
//! | `NotFound` | 404 | what was named does not exist |
//! | `Conflict` | 409 | the state of things forbids it now |
//! | `Gone` | 410 | it existed and can no longer be used |
//! | `TooLarge` | 413 | over a size limit |
//! | `Unsupported` | 415 | a media type that is not read here |
//! | `Invalid` | 422 | the right shape with wrong values (every problem listed) |
//! | `RateLimited` | 429 | too many failures; wait `retry_after` |
//! | `Internal` | 500 | a fault of Aegis's own |
//! | `Unavailable` | 503 | nothing changed; send it again after `retry_after` |

use aegis_actors::ports::StoreError;
use aegis_workflows::Problem;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Malformed,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    Gone,
    TooLarge,
    Unsupported,
    Invalid,
    RateLimited,
    Internal,
    Unavailable,
}

/// How a use case's error presents itself to whoever asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub kind: Kind,
    /// Stable, for programs: `NOT_FOUND`, `VALIDATION_FAILED`, `INVALID_TRANSITION`…
    pub code: &'static str,
    /// For people: what stood in the way, never an internal detail.
    pub message: String,
    pub details: Option<Value>,
    /// Seconds to wait before trying again (`RateLimited`, `Unavailable`).
    pub retry_after: Option<u64>,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl Refusal {
    pub fn new(kind: Kind, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            code,
            message: message.into(),
            details: None,
            retry_after: None,
        }
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
        Self::new(Kind::Malformed, "MALFORMED_PAYLOAD", message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(Kind::NotFound, "NOT_FOUND", format!("no such {what}"))
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Kind::Conflict, code, message)
    }

    /// `VALIDATION_FAILED` naming the offending field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(Kind::Invalid, "VALIDATION_FAILED", message)
            .with_details(json!({ "field": field }))
    }

    /// `VALIDATION_FAILED` listing every problem (field, code, message).
    pub fn problems(problems: &[Problem]) -> Self {
        let first = problems
            .first()
            .map_or_else(String::new, |p| p.message.clone());
        Self::new(
            Kind::Invalid,
            "VALIDATION_FAILED",
            format!("{} problem(s), the first: {first}", problems.len()),
        )
        .with_details(json!({ "problems": problems }))
    }

    /// Nothing was made durable or changed: send it again.
    pub fn unavailable(message: impl Into<String>, retry_after: u64) -> Self {
        Self::new(Kind::Unavailable, "UNAVAILABLE", message).retry_after(retry_after)
    }

    /// A fault of Aegis's own: the cause is logged here, once; the caller gets a generic message.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            Kind::Internal,
            "INTERNAL",
            "something went wrong; it has been logged",
        )
    }
}

/// Every use case's error enum: how it presents itself to the adapters (the policy above).
pub trait UseCaseError: std::error::Error {
    fn refusal(&self) -> Refusal;
}

/// How a use case's error enum presents itself, written once beside the enum:
/// `refusal!(DueError, self => match self { Self::TooWide => …, Self::Store(e) => e.refusal() });`
macro_rules! refusal {
    ($ty:ty, $s:ident => $body:expr) => {
        impl $crate::app::errors::UseCaseError for $ty {
            fn refusal(&$s) -> $crate::app::errors::Refusal {
                $body
            }
        }
    };
}

pub(crate) use refusal;

impl UseCaseError for Refusal {
    fn refusal(&self) -> Refusal {
        self.clone()
    }
}

impl std::error::Error for Refusal {}

/// The store's failures, as every use case that touches storage presents them.
impl UseCaseError for StoreError {
    fn refusal(&self) -> Refusal {
        match self {
            StoreError::Overloaded => Refusal::unavailable("Aegis is busy; try again shortly", 1),
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %self, "database unavailable");
                Refusal::unavailable("the database is unavailable; try again shortly", 5)
            }
            other => Refusal::internal(other),
        }
    }
}
