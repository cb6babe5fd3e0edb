//! The one thing every integration does (Alertmanager's `Notifier`): turn a rendered
//! [`Message`] into its service's request, send it to where a user's channel points, and say
//! whether a failure is worth another attempt ([`SendResult::Transient`]) or final
//! ([`SendResult::Refused`]). E-mail, PagerDuty, Slack and webhooks each implement it.

use std::future::Future;

use aegis_actors::records::SendResult;

use super::message::Message;

pub trait Integration: Send + Sync {
    /// Where a user's channel points this integration: an address, a URL and its key…
    type Target: ?Sized + Sync;

    /// Sends `message` to `target`; `delivery_id` is the same on every attempt, the key
    /// receivers that de-duplicate go by.
    fn send(
        &self,
        target: &Self::Target,
        message: &Message,
        delivery_id: &str,
    ) -> impl Future<Output = SendResult> + Send;
}
