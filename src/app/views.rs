//! The read models the use cases answer with. They are built beside the queries that fill them
//! (`db::read`); adapters name them from here and need nothing of storage.

pub use crate::db::centers::CenterAuth;
pub use crate::db::facilities::{LayerView, VersionView};
pub use crate::db::outcomes::OutcomeRecord;
pub use crate::db::people::UserView;
pub use crate::db::principals::{Principal, Role};
pub use crate::db::read::deliveries::{DeliveryView, NoticeFacts};
pub use crate::db::read::due::DueItem;
pub use crate::db::read::responses::ResponseView;
pub use crate::db::read::{
    AlertItem, AlertView, DeadLetterView, EventView, ModelRecord, Page, Stats, WorkflowDetail,
    WorkflowItem,
};
pub use crate::db::reconciliations::ReconciliationView;
pub use crate::db::response_apis::ApiView;
pub use crate::db::sequence_gaps::GapView;
