//! Read models for the officer and operator APIs, one module per thing read: workflows,
//! alerts, dead letters, notification deliveries, counts and trained models; [`page`] holds the
//! cursors they share.

pub mod alerts;
pub mod counts;
pub mod dead_letters;
pub mod deliveries;
pub mod due;
pub mod page;
pub mod responses;
pub mod trained_models;
pub mod workflows;

pub use alerts::*;
pub use counts::*;
pub use dead_letters::*;
pub use page::Cursor;
pub use trained_models::*;
pub use workflows::*;
