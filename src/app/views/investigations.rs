//! An investigation as officers and operators read it (contract §14): its findings in the
//! domain's closed vocabularies, which ticket it is on, and who opened, changed and closed it.

use aegis_actors::ports::StoreError;
use aegis_workflows::investigation::{
    AtFault, DamagedFacility, Equipment, ExcavatorKind, InvestigationState, Kind, Marks, RootCause,
    RootCauseGroup, WorkType,
};
use aegis_workflows::ticket::ExcavationMethod;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::investigations::{InvestigationRow, record_of};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvestigationView {
    pub id: String,
    pub workflow_id: String,
    pub center: String,
    pub ticket_number: String,
    #[schema(value_type = String, example = "open")]
    pub state: InvestigationState,
    /// 1 when opened, one more at every change; an edit may name the version it was made from.
    pub version: u32,
    #[schema(value_type = String, example = "damage")]
    pub kind: Kind,
    pub occurred_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub facility: DamagedFacility,
    #[schema(value_type = Option<String>, example = "excavation.no_test_hole")]
    pub root_cause: Option<RootCause>,
    #[schema(value_type = Option<String>, example = "excavation")]
    pub root_cause_group: Option<RootCauseGroup>,
    #[schema(value_type = Option<String>, example = "contractor")]
    pub excavator_type: Option<ExcavatorKind>,
    pub excavator: Option<String>,
    /// The excavator's history key (the scorecard's row); internal.
    #[serde(skip)]
    pub excavator_key: Option<String>,
    #[schema(value_type = Option<String>, example = "backhoe_trackhoe")]
    pub equipment: Option<Equipment>,
    #[schema(value_type = Option<String>, example = "telecommunications")]
    pub work_type: Option<WorkType>,
    #[schema(value_type = Option<String>, example = "directional_drilling")]
    pub method: Option<ExcavationMethod>,
    #[schema(value_type = Option<String>, example = "present_accurate")]
    pub marks: Option<Marks>,
    /// Whether Aegis's answer to the center came by the ticket's due time (its own record).
    pub response_on_time: Option<bool>,
    pub downtime_hours: Option<f64>,
    pub cost_usd: Option<f64>,
    #[schema(value_type = Option<String>, example = "excavator")]
    pub at_fault: Option<AtFault>,
    pub narrative: Option<String>,
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_by: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl InvestigationView {
    pub fn of(row: InvestigationRow) -> Result<Self, StoreError> {
        let (center, ticket_number) = (row.center.clone(), row.ticket_number.clone());
        let r = record_of(row)?;
        let f = r.findings;
        Ok(Self {
            id: r.id,
            workflow_id: r.workflow_id,
            center,
            ticket_number,
            state: r.state,
            version: r.version,
            kind: f.kind,
            occurred_at: f.occurred_at,
            facility: f.facility,
            root_cause: f.root_cause,
            root_cause_group: f.root_cause.map(RootCause::group),
            excavator_type: f.excavator_type,
            excavator: f.excavator,
            excavator_key: r.excavator_key,
            equipment: f.equipment,
            work_type: f.work_type,
            method: f.method,
            marks: f.marks,
            response_on_time: f.response_on_time,
            downtime_hours: f.downtime_hours,
            cost_usd: f.cost_usd,
            at_fault: f.at_fault,
            narrative: f.narrative,
            opened_by: r.opened_by,
            opened_at: r.opened_at,
            updated_at: r.updated_at,
            closed_by: r.closed_by,
            closed_at: r.closed_at,
        })
    }
}
