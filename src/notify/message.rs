//! A notification rendered once, whatever it is about and whichever channels it goes to: the
//! channel-neutral message every integration turns into its own request (as Alertmanager's
//! notifiers take one rendered notification). Text in it is plain: each integration escapes it
//! by the rules of what it sends (Slack's `&`, `<`, `>`; e-mail headers; HTML).

use serde_json::Value;

/// What the incident on a pager does with this message (PagerDuty's `event_action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagerAction {
    /// Open (or update) the incident keyed by the message's dedup key.
    Trigger {
        severity: Severity,
    },
    Acknowledge,
    Resolve,
}

impl PagerAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trigger { .. } => "trigger",
            Self::Acknowledge => "acknowledge",
            Self::Resolve => "resolve",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Critical,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Error => "error",
        }
    }
}

/// A link the person can follow from the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub href: String,
    pub label: &'static str,
}

/// One notification, rendered.
#[derive(Debug, Clone)]
pub struct Message {
    /// The event it reports, as webhooks name it (`alert.raised`, `tickets.missing`).
    pub event: &'static str,
    /// One line: the e-mail subject, the incident summary, Slack's title.
    pub subject: String,
    /// One sentence: what happened.
    pub headline: String,
    /// Labelled facts, in order.
    pub facts: Vec<(String, String)>,
    /// Why (the model's reasons with their contributions), when there is a why.
    pub reasons: Vec<(String, String)>,
    /// The whole message as plain text (e-mail).
    pub text: String,
    /// The whole message as an HTML document (e-mail), built escaped.
    pub html: Option<String>,
    /// The facts as JSON (PagerDuty's `custom_details`).
    pub details: Value,
    /// The webhook body's fields besides `type`.
    pub payload: serde_json::Map<String, Value>,
    /// What receivers that de-duplicate key the news by (PagerDuty's incident).
    pub dedup_key: String,
    pub action: PagerAction,
    pub link: Option<Link>,
}
