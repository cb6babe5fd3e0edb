//! In-memory implementations of the ports (feature `test-support`), so the runtime is tested on
//! its own: no HTTP, no database, no broker, time moved by hand.

mod memory_bus;
mod memory_store;
mod recording_messenger;
mod recording_responder;
mod scripted_scorer;
mod scripted_screener;

pub use memory_bus::MemoryBus;
pub use memory_store::{MemoryStore, StoredDelivery, StoredResponse};
pub use recording_messenger::RecordingMessenger;
pub use recording_responder::RecordingResponder;
pub use scripted_scorer::ScriptedScorer;
pub use scripted_screener::ScriptedScreener;
