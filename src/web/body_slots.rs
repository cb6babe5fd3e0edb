//! Bodies being read at once, per center: a center's stalled uploads cannot take every
//! connection's memory, and another center's deliveries are not held up by them.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug)]
pub struct BodySlots {
    per_center: usize,
    centers: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl BodySlots {
    pub fn new(per_center: usize) -> Self {
        Self {
            per_center: per_center.max(1),
            centers: Mutex::default(),
        }
    }

    /// A slot to read one of `center`'s bodies in (a registered center's code: the map stays
    /// as small as the list of centers), or `None` when all are taken.
    pub fn take(&self, center: &str) -> Option<OwnedSemaphorePermit> {
        let slots = self
            .centers
            .lock()
            .entry(center.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_center)))
            .clone();
        slots.try_acquire_owned().ok()
    }
}
