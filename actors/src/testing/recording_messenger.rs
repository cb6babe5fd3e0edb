//! The `Messenger` port in memory: records every send and answers with a scripted result per
//! channel kind (accepted unless told otherwise), so delivery, retries and give-ups can be
//! tested without a mail server or HTTP receiver.

use std::collections::HashMap;
use std::sync::Arc;

use futures::FutureExt;
use parking_lot::Mutex;

use crate::ports::{BoxFuture, Messenger};
use crate::records::{DeliveryJob, SendResult};

#[derive(Debug, Default)]
pub struct RecordingMessenger {
    sent: Mutex<Vec<DeliveryJob>>,
    /// Channel kind → results to answer, in order; the last one repeats.
    script: Mutex<HashMap<String, Vec<SendResult>>>,
}

impl RecordingMessenger {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Answers sends on `kind` channels with these results in turn, repeating the last.
    pub fn script(&self, kind: &str, results: Vec<SendResult>) {
        self.script.lock().insert(kind.to_owned(), results);
    }

    /// Every attempt so far, in the order made.
    pub fn sent(&self) -> Vec<DeliveryJob> {
        self.sent.lock().clone()
    }
}

impl Messenger for RecordingMessenger {
    fn send(&self, job: DeliveryJob) -> BoxFuture<'static, SendResult> {
        let kind = job.record.channel.kind().to_owned();
        self.sent.lock().push(job);
        let result = {
            let mut script = self.script.lock();
            match script.get_mut(&kind) {
                Some(list) if list.len() > 1 => list.remove(0),
                Some(list) => list.first().cloned().unwrap_or(SendResult::Accepted),
                None => SendResult::Accepted,
            }
        };
        async move { result }.boxed()
    }
}
