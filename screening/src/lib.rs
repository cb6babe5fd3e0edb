//! Screening dig areas against a member's facilities (contract §10), pure: given a dig area and
//! an index of facilities, the distances, the facilities near and the category are a function.
//! [`index`] builds a layer version's R-tree; [`screen`] measures a dig area against every
//! active layer in a local plane in feet ([`local`]). The adapters read the member's GIS files
//! and keep the indexes current; nothing here does I/O.

pub mod index;
pub mod local;
pub mod screen;

pub use index::{BuildError, Facility, LayerIndex, LayerMeta, ScreeningSet};
pub use local::LocalFrame;
