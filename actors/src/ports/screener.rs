//! Screening, as a port (contract §10): what the member's facilities say about a ticket's dig
//! area, and the center's automatic-clearing policy. The adapter keeps the active layers'
//! indexes current; a screening is pure and takes microseconds, so it runs inside the step like
//! validation does.

use aegis_workflows::Ticket;
use aegis_workflows::screening::{AutoClear, Screening, Unknown};

pub trait Screener: Send + Sync + 'static {
    /// The ticket's screening against every active layer.
    fn screen(&self, ticket: &Ticket) -> Screening;

    /// `center`'s automatic clearing (off unless set).
    fn auto_clear(&self, center: &str) -> AutoClear;
}

/// No layers at all: every ticket is `unknown`, none is cleared.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoLayers;

impl Screener for NoLayers {
    fn screen(&self, _ticket: &Ticket) -> Screening {
        Screening::unknown(Unknown::NoLayer, Vec::new())
    }

    fn auto_clear(&self, _center: &str) -> AutoClear {
        AutoClear::default()
    }
}
