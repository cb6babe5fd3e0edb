//! Notifications out of Aegis (contract §7): the [`Messenger`] port over SMTP e-mail,
//! PagerDuty, Slack and signed webhooks. The deliverer (in the runtime) decides when to send
//! and records what happened; here each delivery becomes a message with the alert's facts and,
//! when the change asks someone to act, that person's acknowledgement link.

pub mod email;
pub mod http_post;
pub mod links;
pub mod notice;
pub mod operator_notice;
pub mod pagerduty;
pub mod slack;
pub mod webhook;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aegis_actors::ports::{BoxFuture, Messenger};
use aegis_actors::records::{Channel, DeliveryJob, SendResult};
use aegis_workflows::notification::Change;
use futures::FutureExt;

use crate::db::Db;
use crate::db::read::deliveries::{NoticeFacts, notice_facts};
use links::LinkSigner;
use notice::Notice;

/// The facts of an alert change are the same for every one of its deliveries (users ×
/// channels), so they are read once and kept briefly.
const FACTS_TTL: Duration = Duration::from_secs(20);
const FACTS_KEPT: usize = 4_096;

type FactsCache = parking_lot::Mutex<HashMap<(String, String), (Instant, Arc<NoticeFacts>)>>;

/// Sends deliveries on every channel kind.
#[derive(Clone)]
pub struct ChannelMessenger {
    db: Db,
    facts: Arc<FactsCache>,
    links: LinkSigner,
    public_url: String,
    mailer: Option<email::Mailer>,
    http: reqwest::Client,
}

impl std::fmt::Debug for ChannelMessenger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelMessenger")
            .field("public_url", &self.public_url)
            .field("mailer", &self.mailer)
            .finish_non_exhaustive()
    }
}

impl ChannelMessenger {
    pub fn new(
        db: Db,
        links: LinkSigner,
        public_url: String,
        mailer: Option<email::Mailer>,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A receiver that redirects is not followed: the body is signed for this URL, and
            // a redirect to elsewhere is not where the operator pointed us.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("aegis/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            db,
            facts: Arc::default(),
            links,
            public_url,
            mailer,
            http,
        })
    }

    pub fn ack_url(&self, delivery_id: &str) -> Option<String> {
        self.links
            .token(delivery_id)
            .map(|t| format!("{}/v1/ack/{t}", self.public_url))
    }

    /// The alert's facts for one of its changes, read at most once per [`FACTS_TTL`].
    async fn facts_of(
        &self,
        alert_id: &str,
        change: &str,
    ) -> Result<Option<Arc<NoticeFacts>>, aegis_actors::ports::StoreError> {
        let key = (alert_id.to_owned(), change.to_owned());
        if let Some((at, f)) = self.facts.lock().get(&key)
            && at.elapsed() < FACTS_TTL
        {
            return Ok(Some(f.clone()));
        }
        let id = alert_id.to_owned();
        let Some(found) = self.db.with_read(move |c| notice_facts(c, &id)).await? else {
            return Ok(None);
        };
        let found = Arc::new(found);
        let mut cache = self.facts.lock();
        if cache.len() >= FACTS_KEPT {
            cache.retain(|_, (at, _)| at.elapsed() < FACTS_TTL);
            if cache.len() >= FACTS_KEPT {
                cache.clear();
            }
        }
        cache.insert(key, (Instant::now(), found.clone()));
        Ok(Some(found))
    }

    /// An operators' notice: the reconciliation it is about, read afresh, on this channel.
    async fn send_operator_notice(&self, job: &DeliveryJob) -> SendResult {
        let r = &job.record;
        let id = r.alert_id.clone();
        let found = self
            .db
            .with_read(move |c| crate::db::reconciliations::by_id(c, &id))
            .await;
        let rec = match found {
            Ok(Some(rec)) => rec,
            Ok(None) => {
                return SendResult::Refused {
                    error: "the reconciliation no longer exists".into(),
                };
            }
            Err(e) => {
                return SendResult::Transient {
                    error: format!("could not read the reconciliation: {e}"),
                };
            }
        };
        operator_notice::OperatorNotice::missing(&rec, &self.public_url)
            .send(&self.http, self.mailer.as_ref(), &r.channel, &r.id)
            .await
    }

    async fn send_job(self, job: DeliveryJob) -> SendResult {
        if job.record.change == operator_notice::MISSING_TICKETS {
            return self.send_operator_notice(&job).await;
        }
        let r = &job.record;
        let Some(change) = Change::parse_key(&r.change) else {
            return SendResult::Refused {
                error: format!("unknown alert change '{}'", r.change),
            };
        };
        let facts = match self.facts_of(&r.alert_id, &r.change).await {
            Ok(Some(f)) => f,
            Ok(None) => {
                return SendResult::Refused {
                    error: "the alert no longer exists".into(),
                };
            }
            Err(e) => {
                return SendResult::Transient {
                    error: format!("could not read the alert: {e}"),
                };
            }
        };
        let notice = Notice {
            change,
            facts: (*facts).clone(),
            ack_url: change
                .asks_for_action()
                .then(|| self.ack_url(&r.id))
                .flatten(),
        };
        match &r.channel {
            Channel::Email { address } => match &self.mailer {
                Some(m) => m.send(address, &r.id, &notice).await,
                None => SendResult::Refused {
                    error: "no mail relay is configured (notify.smtp_url)".into(),
                },
            },
            Channel::Pagerduty { url, routing_key } => {
                pagerduty::send(&self.http, url, routing_key, &notice).await
            }
            Channel::Slack { url } => slack::send(&self.http, url, &notice).await,
            Channel::Webhook { url, secret } => {
                webhook::send(&self.http, url, secret, &r.id, &notice).await
            }
        }
    }
}

impl Messenger for ChannelMessenger {
    fn send(&self, job: DeliveryJob) -> BoxFuture<'static, SendResult> {
        self.clone().send_job(job).boxed()
    }
}
