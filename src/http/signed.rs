//! The signature headers a center's request carries (Standard Webhooks' `webhook-*`, or
//! OneCall's `X-OneCall-Webhook-Signature`), for the application to check.

use actix_web::HttpRequest;

use crate::app::receive_ticket::Signed;

/// The signature headers of a request, whichever its center's format uses.
pub fn signed_by(req: &HttpRequest) -> Signed {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    Signed {
        webhook_id: header("webhook-id"),
        webhook_timestamp: header("webhook-timestamp"),
        webhook_signature: header("webhook-signature"),
        onecall_signature: header("x-onecall-webhook-signature"),
        authorization: header("authorization"),
    }
}
