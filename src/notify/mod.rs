//! Notifications out of Aegis (contract §7): the runtime's [`Messenger`] port. The deliverer
//! (in the runtime) decides when to send and records what happened; here one path does the
//! rest, shaped like Alertmanager's: what a delivery is about (its typed subject: an alert
//! change, a center's missing tickets) is rendered once into a channel-neutral [`Message`]
//! ([`notice`], [`missing_tickets`]), and the integration its channel names — [`email`],
//! [`pagerduty`], [`slack`], [`webhook`], each an [`Integration`] — turns it into its service's
//! request and says whether a failure is worth retrying.

pub mod email;
pub mod http_post;
pub mod integration;
pub mod links;
pub mod message;
pub mod missing_tickets;
pub mod notice;
pub mod pagerduty;
pub mod slack;
pub mod webhook;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aegis_actors::ports::{BoxFuture, Messenger};
use aegis_actors::records::{Channel, DeliveryJob, SendResult, Subject};
use aegis_workflows::notification::Change;
use futures::FutureExt;

use crate::db::Db;
use crate::db::read::deliveries::{NoticeFacts, notice_facts};
use integration::Integration;
use links::LinkSigner;
use message::Message;
use notice::Notice;

/// The facts of an alert change are the same for every one of its deliveries (users ×
/// channels), so they are read once per change and kept briefly (a later change reads the
/// alert afresh: who acknowledged it, how it was resolved).
const FACTS_TTL: Duration = Duration::from_secs(20);
const FACTS_KEPT: usize = 4_096;

type FactsCache = parking_lot::Mutex<HashMap<(String, Change), (Instant, Arc<NoticeFacts>)>>;

/// Sends deliveries: renders what each is about into one [`Message`], then hands it to the
/// integration its channel names.
#[derive(Clone)]
pub struct ChannelMessenger {
    db: Db,
    facts: Arc<FactsCache>,
    links: LinkSigner,
    public_url: String,
    mailer: Option<email::Mailer>,
    pagerduty: pagerduty::PagerDuty,
    slack: slack::Slack,
    webhook: webhook::Webhook,
    /// Which facility a notice names first.
    weights: aegis_workflows::priority::ConsequenceWeights,
}

impl std::fmt::Debug for ChannelMessenger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelMessenger")
            .field("public_url", &self.public_url)
            .field("mailer", &self.mailer)
            .finish_non_exhaustive()
    }
}

/// Why a delivery's message could not be rendered.
fn unrendered(e: Rendering) -> SendResult {
    match e {
        Rendering::Gone(what) => SendResult::Refused {
            error: format!("the {what} no longer exists"),
        },
        Rendering::Unreadable(e) => SendResult::Transient {
            error: format!("could not read what it is about: {e}"),
        },
    }
}

enum Rendering {
    Gone(&'static str),
    Unreadable(aegis_actors::ports::StoreError),
}

impl ChannelMessenger {
    pub fn new(
        db: Db,
        links: LinkSigner,
        public_url: String,
        mailer: Option<email::Mailer>,
        timeout: Duration,
        outbound: crate::outbound::Outbound,
        weights: aegis_workflows::priority::ConsequenceWeights,
    ) -> anyhow::Result<Self> {
        let http = http_post::Poster::new(outbound.client(timeout)?, outbound);
        Ok(Self {
            weights,
            db,
            facts: Arc::default(),
            links,
            public_url,
            mailer,
            pagerduty: pagerduty::PagerDuty::new(http.clone()),
            slack: slack::Slack::new(http.clone()),
            webhook: webhook::Webhook::new(http),
        })
    }

    pub fn ack_url(&self, delivery_id: &str) -> Option<String> {
        self.links
            .token(delivery_id)
            .map(|t| format!("{}/v1/ack/{t}", self.public_url))
    }

    /// The alert's facts for one of its changes, read at most once per [`FACTS_TTL`] for all
    /// that change's deliveries.
    async fn facts_of(
        &self,
        alert_id: &str,
        change: Change,
    ) -> Result<Arc<NoticeFacts>, Rendering> {
        let key = (alert_id.to_owned(), change);
        if let Some((at, f)) = self.facts.lock().get(&key)
            && at.elapsed() < FACTS_TTL
        {
            return Ok(f.clone());
        }
        let id = alert_id.to_owned();
        let found = self
            .db
            .with_read(move |c| notice_facts(c, &id))
            .await
            .map_err(Rendering::Unreadable)?
            .ok_or(Rendering::Gone("alert"))?;
        let found = Arc::new(found);
        let mut cache = self.facts.lock();
        if cache.len() >= FACTS_KEPT {
            cache.retain(|_, (at, _)| at.elapsed() < FACTS_TTL);
            if cache.len() >= FACTS_KEPT {
                cache.clear();
            }
        }
        cache.insert(key, (Instant::now(), found.clone()));
        Ok(found)
    }

    /// What the delivery says, rendered once for whichever channel it goes to.
    async fn render(&self, delivery_id: &str, subject: &Subject) -> Result<Message, Rendering> {
        match subject {
            Subject::Alert {
                alert_id, change, ..
            } => {
                let facts = self.facts_of(alert_id, *change).await?;
                Ok(self.alert_message(*change, &facts, delivery_id))
            }
            Subject::MissingTickets { reconciliation_id } => {
                let id = reconciliation_id.clone();
                let r = self
                    .db
                    .with_read(move |c| crate::db::reconciliations::by_id(c, &id))
                    .await
                    .map_err(Rendering::Unreadable)?
                    .ok_or(Rendering::Gone("reconciliation"))?;
                Ok(missing_tickets::message(&r, &self.public_url))
            }
        }
    }

    fn alert_message(&self, change: Change, facts: &NoticeFacts, delivery_id: &str) -> Message {
        Notice {
            change,
            facts: facts.clone(),
            // Only a change that asks someone to act carries that person's link.
            ack_url: change
                .asks_for_action()
                .then(|| self.ack_url(delivery_id))
                .flatten(),
            weights: self.weights.clone(),
        }
        .message()
    }

    async fn send_job(self, job: DeliveryJob) -> SendResult {
        let r = &job.record;
        let message = match self.render(&r.id, &r.subject).await {
            Ok(m) => m,
            Err(e) => return unrendered(e),
        };
        // The one place a channel picks its integration.
        match &r.channel {
            Channel::Email { address } => match &self.mailer {
                Some(m) => m.send(address, &message, &r.id).await,
                None => SendResult::Refused {
                    error: "no mail relay is configured (notify.smtp_url)".into(),
                },
            },
            Channel::Pagerduty { url, routing_key } => {
                let route = pagerduty::Route {
                    url: url.clone(),
                    routing_key: routing_key.clone(),
                };
                self.pagerduty.send(&route, &message, &r.id).await
            }
            Channel::Slack { url } => self.slack.send(url, &message, &r.id).await,
            Channel::Webhook { url, secret } => {
                let to = webhook::Signed {
                    url: url.clone(),
                    secret: secret.clone(),
                };
                self.webhook.send(&to, &message, &r.id).await
            }
        }
    }
}

impl Messenger for ChannelMessenger {
    fn send(&self, job: DeliveryJob) -> BoxFuture<'static, SendResult> {
        self.clone().send_job(job).boxed()
    }
}
