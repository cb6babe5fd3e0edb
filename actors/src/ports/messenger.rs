//! Sending notifications, as a port: the adapters speak SMTP, PagerDuty's Events API, Slack's
//! incoming webhooks and signed webhooks; the deliverer only needs to know how a send ended.

use super::BoxFuture;
use crate::records::{DeliveryJob, SendResult};

pub trait Messenger: Send + Sync + 'static {
    /// Sends one delivery once. Never fails as a future: every way a send can end is a
    /// [`SendResult`], so the deliverer always has something to record.
    fn send(&self, job: DeliveryJob) -> BoxFuture<'static, SendResult>;
}
