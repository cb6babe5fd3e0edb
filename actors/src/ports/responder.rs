//! Posting positive responses to a call center, as a port: the adapter speaks USA North 811's
//! PositiveResponse API (token, locate code); the responder only needs to know how a post ended.

use super::BoxFuture;
use crate::records::{ResponseJob, SendResult};

pub trait Responder: Send + Sync + 'static {
    /// Posts one response once. Never fails as a future: a `412` is `Refused` with its reason,
    /// transport errors and `5xx` are `Transient`, the center's acceptance is `Accepted`.
    fn post(&self, job: ResponseJob) -> BoxFuture<'static, SendResult>;
}
