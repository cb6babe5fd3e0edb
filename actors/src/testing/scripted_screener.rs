//! The `Screener` port without layers: each ticket's category comes from a rule the test gives
//! (as a layer whose nearest facility is at a chosen distance), and each center's automatic
//! clearing is set by hand.

use std::collections::HashMap;
use std::sync::Arc;

use aegis_workflows::Ticket;
use aegis_workflows::screening::{AutoClear, FacilityClass, LayerScreening, Screening, Unknown};
use parking_lot::Mutex;

use crate::ports::Screener;

type Rule = dyn Fn(&Ticket) -> Option<f64> + Send + Sync;

/// One layer, `mains` version 1 (gas distribution, buffer 25 ft, close 250 ft); the rule gives
/// the nearest facility's distance in feet, or `None` for a ticket outside the coverage.
pub struct ScriptedScreener {
    rule: Box<Rule>,
    auto_clear: Mutex<HashMap<String, AutoClear>>,
}

impl std::fmt::Debug for ScriptedScreener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedScreener").finish_non_exhaustive()
    }
}

impl ScriptedScreener {
    pub fn new(rule: impl Fn(&Ticket) -> Option<f64> + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self {
            rule: Box::new(rule),
            auto_clear: Mutex::default(),
        })
    }

    pub fn set_auto_clear(&self, center: &str, policy: AutoClear) {
        self.auto_clear.lock().insert(center.to_owned(), policy);
    }
}

impl Screener for ScriptedScreener {
    fn screen(&self, ticket: &Ticket) -> Screening {
        let Some(nearest) = (self.rule)(ticket) else {
            return Screening::unknown(Unknown::OutsideCoverage, Vec::new());
        };
        let (buffer_ft, close_ft) = (25.0, 250.0);
        let near = nearest <= close_ft;
        Screening::from_layers(vec![LayerScreening {
            name: "mains".into(),
            version: 1,
            class: FacilityClass::GasDistribution,
            buffer_ft,
            close_ft,
            nearest_ft: Some(nearest),
            within_buffer: usize::from(nearest <= buffer_ft),
            facilities: if near {
                vec![aegis_workflows::screening::NearFacility {
                    id: "main-1".into(),
                    seq: 0,
                    distance_ft: nearest,
                    attributes: serde_json::Map::new(),
                }]
            } else {
                Vec::new()
            },
        }])
    }

    fn auto_clear(&self, center: &str) -> AutoClear {
        self.auto_clear
            .lock()
            .get(center)
            .cloned()
            .unwrap_or_default()
    }
}
