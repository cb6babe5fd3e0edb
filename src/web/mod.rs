//! The web plumbing the JSON API ([`crate::http`]) and the console ([`crate::console`]) both
//! stand on, as siblings: the state every handler shares, the status each kind of refusal
//! answers with (the application's policy, `app::errors`), the frame and headers of every HTML
//! page, the client's address behind trusted proxies, request ids, and the per-center slots
//! bodies are read in. Nothing here knows JSON envelopes or pages' contents.

pub mod body_slots;
pub mod client_ip;
pub mod page;
pub mod request_id;
pub mod state;
pub mod status;
