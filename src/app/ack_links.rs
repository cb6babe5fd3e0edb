//! Acknowledgement links (contract §7): whether a link sent to a person can still be used, and
//! acknowledging as that person through it. A link is usable once, before it expires, while
//! its alert still waits and its person still has access.

use aegis_actors::ports::StoreError;
use aegis_actors::step::{Command, StepError};
use aegis_workflows::notification::Change;
use chrono::{DateTime, TimeDelta, Utc};

use super::Service;
use super::errors::{Kind, Refusal, refusal};
use crate::db::principals::{self, Principal};
use crate::db::read::deliveries::{self, DeliveryFound, NoticeFacts};

/// Why a link cannot be used, as the person holding it is told.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Aegis never made it (or it names nothing any more).
    #[error("this link is not recognised")]
    Unknown,
    /// Used, expired, or its alert no longer waits: the reason, in words.
    #[error("{0}")]
    Gone(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

refusal!(LinkError, self => match self {
    Self::Unknown => Refusal::new(Kind::NotFound, "NOT_FOUND", self.to_string()),
    Self::Gone(why) => Refusal::new(Kind::Gone, "GONE", why.clone()),
    Self::Store(e) => {
        tracing::warn!(error = %e, "reading an acknowledgement link failed");
        Refusal::unavailable("Aegis could not answer just now", 5)
    }
});

/// A usable link: the alert's facts, the change it announced and the person it was sent to.
#[derive(Debug)]
pub struct UsableLink {
    pub facts: NoticeFacts,
    pub change: Change,
    pub user: Principal,
    /// The channel kind it came through (`email`, `slack`…).
    pub channel: &'static str,
    found: DeliveryFound,
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

impl Service {
    /// The link behind `token`, if it can still be used; changes nothing.
    pub async fn ack_link(&self, token: &str) -> Result<UsableLink, LinkError> {
        let id = self.links.verify(token).ok_or(LinkError::Unknown)?;
        let (found, facts, user) = self
            .db
            .with_read(move |c| {
                let Some(found) = deliveries::delivery(c, &id)? else {
                    return Ok(None);
                };
                let Some(alert_id) = found.record.subject.alert_id() else {
                    return Ok(None);
                };
                let facts = deliveries::notice_facts(c, alert_id)?;
                let user = principals::by_name(c, &found.record.user)?;
                Ok(Some((found, facts, user)))
            })
            .await?
            .ok_or(LinkError::Unknown)?;
        let change = found
            .record
            .subject
            .alert_change()
            .filter(|c| c.asks_for_action())
            .ok_or(LinkError::Unknown)?;
        let facts = facts.ok_or(LinkError::Unknown)?;
        if let Some(at) = found.link_used_at {
            return Err(LinkError::Gone(format!(
                "It was already used, at {}.",
                when(at)
            )));
        }
        let ttl = TimeDelta::seconds(
            i64::try_from(self.settings.notify.link_ttl_secs).unwrap_or(i64::MAX / 1_000_000),
        );
        let expired_at = found.record.created_at + ttl;
        if self.clock.now() > expired_at {
            return Err(LinkError::Gone(format!(
                "It expired at {}. Open the alert in the console instead.",
                when(expired_at)
            )));
        }
        let a = &facts.alert;
        if !matches!(a.state.as_str(), "open" | "escalated") {
            let why = match (&a.acknowledged_by, a.acknowledged_at) {
                (Some(by), Some(at)) => {
                    format!(
                        "The alert was already acknowledged by {by} at {}.",
                        when(at)
                    )
                }
                _ => format!("The alert is {} now.", a.state),
            };
            return Err(LinkError::Gone(why));
        }
        let Some(user) = user else {
            return Err(LinkError::Gone(
                "The person it was sent to no longer has access to Aegis.".into(),
            ));
        };
        Ok(UsableLink {
            facts,
            change,
            user,
            channel: found.record.channel.kind(),
            found,
        })
    }

    /// Acknowledges the link's alert as its person, recorded with the channel it came through;
    /// the link is used up.
    pub async fn acknowledge_by_link(&self, token: &str) -> Result<UsableLink, LinkError> {
        let link = self.ack_link(token).await?;
        let r = &link.found.record;
        let Some(workflow_id) = r.subject.workflow_id() else {
            return Err(LinkError::Unknown);
        };
        let command = Command::Acknowledge {
            by: link.user.audit_name(),
            note: None,
            via: Some(r.channel.kind().to_owned()),
        };
        match self.command(workflow_id, command).await {
            Ok(_) => {}
            Err(StepError::AlreadyAcknowledged { by }) => {
                return Err(LinkError::Gone(format!(
                    "The alert was already acknowledged by {by}."
                )));
            }
            Err(StepError::InvalidTransition(e)) => {
                return Err(LinkError::Gone(format!(
                    "The alert can no longer be acknowledged: its ticket is {}.",
                    e.from.as_str()
                )));
            }
            Err(e) => {
                tracing::warn!(workflow_id, error = %e, "acknowledging from a link failed");
                return Err(LinkError::Store(StoreError::Unavailable(
                    aegis_actors::ports::Cause::new(e),
                )));
            }
        }
        let (id, now) = (r.id.clone(), self.clock.now());
        if let Err(e) = self
            .store
            .writer()
            .run(move |tx| crate::db::write::deliveries::use_link(tx, &id, now))
            .await
        {
            // The acknowledgement stands; the link is refused anyway now that the alert is no
            // longer waiting.
            tracing::warn!(error = %e, "could not mark an acknowledgement link used");
        }
        Ok(link)
    }
}
