//! The read models the use cases answer with, owned by the application and typed with the
//! domain's own types (an alert's state, a workflow's state, a dead letter's kind, the
//! normalized ticket): the storage adapter fills them (`db::read`), adapters show them and need
//! nothing of storage. The smaller read models are still defined beside their queries and only
//! named here.

pub mod alerts;
pub mod dead_letters;
pub mod investigations;
pub mod page;
pub mod responses;
pub mod workflows;

pub use alerts::{AlertItem, AlertView};
pub use dead_letters::DeadLetterView;
pub use investigations::InvestigationView;
pub use page::Page;
pub use responses::ResponseView;
pub use workflows::{EventView, ScoreView, WorkflowDetail, WorkflowItem};

pub use crate::db::centers::{CenterAuth, CenterFormat, CenterInfo, Removed};
pub use crate::db::facilities::{LayerView, VersionView};
pub use crate::db::outcomes::OutcomeRecord;
pub use crate::db::people::UserView;
pub use crate::db::principals::{Principal, PrincipalInfo, Role};
pub use crate::db::read::deliveries::{DeliveryView, NoticeFacts};
pub use crate::db::read::due::DueItem;
pub use crate::db::read::{ModelRecord, Stats};
pub use crate::db::reconciliations::ReconciliationView;
pub use crate::db::response_apis::ApiView;
pub use crate::db::sequence_gaps::GapView;
pub use crate::db::training::Skipped;
