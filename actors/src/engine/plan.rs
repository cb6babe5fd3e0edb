//! What a step decides: the writes it plans (events, score, alert, timers, deliveries,
//! responses) — shared by the step's deciders (`decide`, `notify`, `respond`) and `build`, which
//! turns a plan into a commit.

use aegis_workflows::lifecycle::Event;

use crate::records::{
    Alert, DeadLetterRecord, DeliveryRecord, DeliveryUpdate, Principal, ResponseRecord,
    ResponseUpdate, ScoreRecord, TimerChange,
};

/// What to write for one step.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub events: Vec<(Event, Principal)>,
    pub score: Option<ScoreRecord>,
    pub alert: Option<Alert>,
    pub timers: Vec<TimerChange>,
    pub dead_letter: Option<DeadLetterRecord>,
    pub deliveries: Vec<DeliveryRecord>,
    pub delivery_update: Option<DeliveryUpdate>,
    pub responses: Vec<ResponseRecord>,
    pub response_update: Option<ResponseUpdate>,
    /// The screening recorded with this step, whole (the trail keeps its summary).
    pub screening: Option<aegis_workflows::screening::Screening>,
    /// The investigation this step opens, edits or closes, as it stands after it.
    pub investigation: Option<crate::records::InvestigationRecord>,
}

#[derive(Debug)]
pub(crate) enum Decision {
    /// Nothing to do: the step was already done, or does not apply any more.
    Nothing,
    /// Only delete these timers: they fired but have nothing left to do.
    Settle(Vec<String>),
    Commit(Box<Plan>),
}
