//! The `Responder` port in memory: records every post and answers with scripted results in
//! turn (accepted unless told otherwise), so posting, retries and rejections can be tested
//! without a call center.

use std::sync::Arc;

use futures::FutureExt;
use parking_lot::Mutex;

use crate::ports::{BoxFuture, Responder};
use crate::records::{ResponseJob, SendResult};

#[derive(Debug, Default)]
pub struct RecordingResponder {
    posted: Mutex<Vec<ResponseJob>>,
    /// Results to answer, in order; the last one repeats.
    script: Mutex<Vec<SendResult>>,
}

impl RecordingResponder {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Answers posts with these results in turn, repeating the last.
    pub fn script(&self, results: Vec<SendResult>) {
        *self.script.lock() = results;
    }

    /// Every attempt so far, in the order made.
    pub fn posted(&self) -> Vec<ResponseJob> {
        self.posted.lock().clone()
    }
}

impl Responder for RecordingResponder {
    fn post(&self, job: ResponseJob) -> BoxFuture<'static, SendResult> {
        self.posted.lock().push(job);
        let result = {
            let mut script = self.script.lock();
            if script.len() > 1 {
                script.remove(0)
            } else {
                script.first().cloned().unwrap_or(SendResult::Accepted)
            }
        };
        async move { result }.boxed()
    }
}
