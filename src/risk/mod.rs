//! The risk model: features come from `aegis-workflows`; here are the model (XGBoost's own
//! file formats, evaluated natively with exact SHAP explanations), the scorer service, the
//! synthetic history generator (over a synthetic facility network), and training through the XGBoost library.

pub mod dataset;
mod fastshap;
pub mod forest;
pub mod generate;
pub mod model_file;
pub mod scorer;
pub mod train;
mod tree;
pub mod treeshap;
pub mod ubjson;
pub mod world;
pub mod xgboost_library;

/// The model shipped with Aegis, scored when `model.path` is empty.
pub const BUNDLED_MODEL: &[u8] = include_bytes!("../../models/default.json");
